"""The ingest function's cold start alone: the rows ``make bench`` reports, in a minute.

    .venv/bin/python benchmarks/cold_ingest.py [--runs 7] [--breakdown]

Same snippets, environment and stub as ``run_all.cold_starts`` (the template's settings, the
first callback through the deployed wiring, AWS answered at botocore's send hook), for the
ingest function only: with byte-code, without byte-code, and ``import boto3`` + one client,
one of each per round so load on the machine hits all three alike. Prints medians of CPU
time and the median of the per-round differences against the baseline; ``--breakdown``
adds where the time goes, step by step (``bench_ingest.cold_breakdown``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import run_all  # noqa: E402  # puts the code paths on sys.path
from _harness import fresh_process_times, timed_snippet  # noqa: E402

FUNCTION = "IngestFunction"


def _variants(unbuilt: str) -> dict[str, tuple[str, dict[str, str]]]:
    deployed = run_all.deployed_settings()
    pythonpath = os.pathsep.join(
        str(path) for path in (*run_all.CODE_PATHS, BENCHMARKS, run_all.REPO_ROOT)
    )
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_")) and name != "PYTHONDONTWRITEBYTECODE"
    }
    environment = {
        **base,
        **deployed.environments[FUNCTION],
        **run_all.BASE_ENVIRONMENT,
        "PYTHONPATH": pythonpath,
    }
    code = run_all.cold_snippet(FUNCTION, run_all.ingest_event(), deployed.secret_parameters, [])
    return {
        "ingest, with byte-code": (code, environment),
        "ingest, without byte-code": (
            code,
            {
                **environment,
                "PYTHONPATH": os.pathsep.join([unbuilt, pythonpath]),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
        ),
        "baseline": (
            timed_snippet(run_all.BASELINE_COLD),
            {**base, **run_all.BASE_ENVIRONMENT, "PYTHONPATH": pythonpath},
        ),
    }


def cold_seconds(runs: int) -> dict[str, list[float]]:
    """CPU seconds per fresh process, per variant; each round runs every variant once."""
    from bench_ingest import copy_without_bytecode

    with tempfile.TemporaryDirectory(prefix="ingest-unbuilt-") as unbuilt:
        copy_without_bytecode(Path(unbuilt), ("ingest",))
        variants = _variants(unbuilt)
        # One untimed round writes the byte-code caches a built package would ship.
        for code, environment in variants.values():
            fresh_process_times(code, environment)
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):
            for name, (code, environment) in variants.items():
                timings[name].append(fresh_process_times(code, environment)[1])
    return timings


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per variant")
    parser.add_argument("--breakdown", action="store_true", help="also time each step")
    options = parser.parse_args(arguments)
    timings = cold_seconds(options.runs)
    baseline = timings["baseline"]
    print(f"CPU time, {options.runs} rounds (ms): median, then median of (row - baseline)")
    for name, values in timings.items():
        extra = statistics.median(a - b for a, b in zip(values, baseline, strict=True))
        runs = " ".join(f"{value * 1000:.0f}" for value in values)
        print(
            f"  {name:<27} {statistics.median(values) * 1000:5.0f}  {extra * 1000:+5.0f}   [{runs}]"
        )
    if options.breakdown:
        import bench_ingest

        steps = bench_ingest.cold_breakdown(options.runs)
        print("Where it goes (median CPU ms per step: SSM, Secrets Manager, SSM's collector):")
        for index, step in enumerate(bench_ingest.BREAKDOWN_STEPS):
            ssm, manager = steps["SSM"][index], steps["Secrets Manager"][index]
            collector = steps["SSM, collector"][index]
            print(f"  {step:<76} {ssm * 1000:5.1f}  {manager * 1000:5.1f}  {collector * 1000:5.1f}")
        over = bench_ingest.over_the_baseline(steps["SSM"])
        collector = bench_ingest.over_the_baseline(steps["SSM, collector"])
        print(
            f"  {'over the baseline (shipped steps)':<76} {over * 1000:5.1f}  "
            f"{'':5}  {collector * 1000:5.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
