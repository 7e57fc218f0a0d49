"""Small timing helpers shared by the benchmark scripts (not tests: they print figures)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join(
    str(REPO_ROOT / part) for part in ("layers/shared", "functions", "local", ".")
)


def per_call_seconds(function: Callable[[], object], *, repeat: int = 7, number: int = 0) -> float:
    """Median seconds per call over ``repeat`` rounds of ``number`` calls (auto-sized)."""
    if number <= 0:
        number = 1
        while True:
            started = time.perf_counter()
            for _ in range(number):
                function()
            if time.perf_counter() - started > 0.2:
                break
            number *= 2
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            function()
        rounds.append((time.perf_counter() - started) / number)
    return statistics.median(rounds)


def fresh_process_seconds(code: str, *, runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``python -c code`` in fresh processes, minus interpreter start-up.

    The snippet prints the seconds it measured itself, so interpreter start-up is excluded.
    """
    # Byte-code caches are allowed on both sides, as a built deployment package would ship
    # them; the first run warms them and the median ignores it.
    environment = {**os.environ, "PYTHONPATH": PYTHONPATH}
    # Without caches the project's own modules would be compiled in every timed process.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.update(env or {})
    timings = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env=environment,
        ).stdout
        timings.append(float(output.strip().splitlines()[-1]))
    return statistics.median(timings)


def timed_snippet(body: str) -> str:
    """Wrap ``body`` so that it prints its own duration in seconds as the last line."""
    indented = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return (
        "import time as _t\n_s = _t.perf_counter()\n"
        f"if True:\n{indented}\n"
        "print(_t.perf_counter() - _s)\n"
    )


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    headers = ("measure", "value", "baseline", "ratio / aim")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
