"""Small timing helpers shared by the benchmark scripts (not tests: they print figures)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
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


def fresh_process_times(code: str, environment: Mapping[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds a fresh ``python -c code`` measured itself (its last line).

    ``code`` comes from :func:`timed_snippet`, so interpreter start-up is excluded. The
    environment is used as given; the process runs from the repository root.
    """
    finished = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(environment),
        cwd=REPO_ROOT,
    )
    if finished.returncode != 0:
        output = (finished.stdout + finished.stderr)[-3000:]
        raise RuntimeError(f"a fresh-process run failed:\n{output}")
    wall, cpu = finished.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def fresh_process_seconds(code: str, *, runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time of a :func:`timed_snippet` in fresh processes of this environment."""
    # Byte-code caches are allowed on both sides, as a built deployment package would ship
    # them; the first run warms them and the median ignores it.
    environment = {**os.environ, "PYTHONPATH": PYTHONPATH}
    # Without caches the project's own modules would be compiled in every timed process.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.update(env or {})
    return statistics.median(fresh_process_times(code, environment)[0] for _ in range(runs))


def timed_snippet(body: str) -> str:
    """Wrap ``body`` so that it prints its wall and CPU seconds as its last line.

    CPU time is what the cold-start figures compare: this machine is shared, and a busy
    neighbour stretches wall time without changing the work done (an idle Lambda sandbox at
    init runs on its own CPU).
    """
    indented = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return (
        "import time as _t\n_wall, _cpu = _t.perf_counter(), _t.process_time()\n"
        f"if True:\n{indented}\n"
        "print(_t.perf_counter() - _wall, _t.process_time() - _cpu)\n"
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
