"""Shared layer: parse + normalise cost per callback, and the layer's cold import time.

Run: .venv/bin/python benchmarks/bench_layer.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1] / part) for part in ("layers/shared", "local")
]
sys.path[:0] = [str(Path(__file__).resolve().parent)]

from _harness import (  # noqa: E402
    REPO_ROOT,
    fresh_process_seconds,
    per_call_seconds,
    print_table,
    timed_snippet,
)
from receipts.models.callback import parse_callback  # noqa: E402

NORMALISE_AIM = 10.0
IMPORT_AIM_MS = 60.0


def normalise_figures() -> tuple[float, float]:
    bodies = [p.read_bytes() for p in sorted((REPO_ROOT / "events" / "callbacks").glob("*.json"))]

    def normalise_all() -> None:
        for body in bodies:
            parse_callback(body)

    def json_all() -> None:
        for body in bodies:
            json.loads(body)

    return (
        per_call_seconds(normalise_all) / len(bodies),
        per_call_seconds(json_all) / len(bodies),
    )


def deployed_pydantic_environment() -> dict[str, str]:
    """The pydantic settings the template gives every function, applied to both sides."""
    from local_stack.template import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return {name: str(value) for name, value in variables.items() if name.startswith("PYDANTIC_")}


def import_figures(runs: int = 9) -> tuple[float, float]:
    environment = deployed_pydantic_environment()
    layer = fresh_process_seconds(
        timed_snippet(
            "import receipts.models.callback, receipts.models.status_api\n"
            "import receipts.storage, receipts.codes.lookup\n"
            "receipts.codes.lookup.resolve_code(7500)"
        ),
        runs=runs,
        env=environment,
    )
    pydantic_alone = fresh_process_seconds(
        timed_snippet("import pydantic.main"), runs=runs, env=environment
    )
    return layer, pydantic_alone


def main() -> None:
    normalise, loads = normalise_figures()
    layer_import, pydantic_import = import_figures()
    ratio = normalise / loads
    extra_ms = (layer_import - pydantic_import) * 1000
    print_table(
        "Shared layer (seed callbacks; medians)",
        [
            (
                "parse + normalise / callback",
                f"{normalise * 1e6:.1f} us",
                f"json.loads {loads * 1e6:.1f} us",
                f"{ratio:.1f}x (aim <= {NORMALISE_AIM:.0f}x)",
            ),
            (
                "cold import of the layer",
                f"{layer_import * 1000:.1f} ms",
                f"import pydantic {pydantic_import * 1000:.1f} ms",
                f"+{extra_ms:.1f} ms (aim <= {IMPORT_AIM_MS:.0f} ms)",
            ),
        ],
    )


if __name__ == "__main__":
    main()
