"""Alerts function: warm cost per alert record, and what a storm of failures sends.

    .venv/bin/python benchmarks/bench_alerts.py [--records 2000] [--storm 10000]

1. Warm time per record through ``lambda_handler`` (BatchProcessor, parsing, rules, the
   ledger, rendering every target's payload) in batches of 10, with the targets stubbed:
   they render and serialise their real payloads but send nothing. Measured with the
   in-memory ledger (the function's own cost) and with the DynamoDB ledger on moto
   in-process (adds moto's emulation, far slower than DynamoDB's network round trips).
2. A storm of N failures (default 10,000) with the template's defaults (threshold 20,
   window 300 s) on a simulated clock: how many messages each target receives.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (
    REPO_ROOT,
    REPO_ROOT / "layers" / "shared",
    REPO_ROOT / "functions",
    REPO_ROOT / "local",
):
    sys.path.insert(0, str(_path))

# The benchmark prints its own table; keep the function's INFO lines and metrics out of it.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "imiconnect-receipts-bench")
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from tests.unit.alerts.doubles import (  # noqa: E402
    FakeClock,
    FakeLambdaContext,
    RecordingScheduler,
    body_for_transid,
    sqs_event,
)
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger  # noqa: E402

from alerts import messages  # noqa: E402
from alerts.handler import lambda_handler  # noqa: E402
from alerts.ledger import AlertLedger, DynamoAlertLedger  # noqa: E402
from alerts.model import Digest, Notice  # noqa: E402
from alerts.service import AlertRules, AlertService, StormControl  # noqa: E402
from alerts.settings import DEFAULT_ALERT_STATUSES  # noqa: E402

SAMPLES = (
    "03-sms-un-delivered",
    "36-email-bounce",
    "14-push-android_pushid-failed",
    "27-fb-failed",
)
RENDERERS: dict[str, Callable[[Notice], Any]] = {
    "sns": lambda notice: (messages.subject(notice), messages.text(notice)),
    "slack": messages.slack_payload,
    "teams": messages.teams_payload,
    "generic": messages.webhook_event,
}


class StubTarget:
    """Renders and serialises the real payload, sends nothing, counts calls."""

    minimum_seconds = 0.0

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: Counter[str] = Counter()

    def send(self, notice: Notice, deadline: float) -> None:
        json.dumps(RENDERERS[self.name](notice))
        self.calls["digest" if isinstance(notice, Digest) else "alert"] += 1


def _service(
    ledger: AlertLedger, targets: list[StubTarget], clock: FakeClock, threshold: int
) -> tuple[AlertService, RecordingScheduler]:
    scheduler = RecordingScheduler()
    service = AlertService(
        ledger=ledger,
        scheduler=scheduler,
        targets=lambda: targets,
        rules=AlertRules(DEFAULT_ALERT_STATUSES),
        storm=StormControl(threshold=threshold, window_seconds=300),
        lookup_base_url="https://abc123.execute-api.eu-west-1.amazonaws.com",
        clock=clock,
    )
    return service, scheduler


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _bodies(count: int, prefix: str) -> list[str]:
    return [
        body_for_transid(SAMPLES[index % len(SAMPLES)], f"{prefix}-{index:06d}")
        for index in range(count)
    ]


def time_per_record(ledger: AlertLedger, records: int) -> tuple[float, float]:
    """Median microseconds per record of new alerts, then of redelivered (duplicate) ones."""
    targets = [StubTarget(name) for name in RENDERERS]
    service, _ = _service(ledger, targets, FakeClock(), threshold=10**9)
    context = FakeLambdaContext()
    bodies = _bodies(records, "bench")
    batches = [sqs_event(*bodies[start : start + 10]) for start in range(0, records, 10)]
    with _quiet():
        lambda_handler(sqs_event(*_bodies(20, "warm")), context, service=service)  # warm up
        results = []
        for phase in ("new", "duplicate"):
            per_batch = []
            for batch in batches:
                started = time.perf_counter()
                response = lambda_handler(batch, context, service=service)
                per_batch.append((time.perf_counter() - started) / len(batch["Records"]))
                assert response == {"batchItemFailures": []}, (phase, response)
            results.append(statistics.median(per_batch) * 1e6)
    assert all(target.calls["alert"] == records + 20 for target in targets)
    return results[0], results[1]


def storm(failures: int, spread_seconds: int) -> dict[str, Any]:
    """``failures`` distinct failures arriving evenly over ``spread_seconds``."""
    ledger = InMemoryAlertLedger()
    targets = [StubTarget(name) for name in RENDERERS]
    clock = FakeClock()
    service, scheduler = _service(ledger, targets, clock, threshold=20)
    context = FakeLambdaContext()
    bodies = _bodies(failures, "storm")
    step = spread_seconds / failures * 10
    pending: list[tuple[float, str]] = []  # markers as (due, body), fired when due
    markers = 0
    start = clock.now.timestamp()
    with _quiet():
        for index in range(0, failures, 10):
            now = start + index // 10 * step
            for due, body in sorted(pending):
                if due <= now:
                    clock.advance(due - clock.now.timestamp())
                    lambda_handler(sqs_event(body), context, service=service)
                    pending.remove((due, body))
            clock.advance(now - clock.now.timestamp())
            lambda_handler(sqs_event(*bodies[index : index + 10]), context, service=service)
            for marker, delay in scheduler.markers:
                pending.append((clock.now.timestamp() + delay, marker.to_body()))
                markers += 1
            scheduler.markers.clear()
        while pending:  # the tail: markers after the last failure
            due, body = min(pending)
            pending.remove((due, body))
            clock.advance(max(0.0, due - clock.now.timestamp()))
            lambda_handler(sqs_event(body), context, service=service)
            for marker, delay in scheduler.markers:
                pending.append((clock.now.timestamp() + delay, marker.to_body()))
                markers += 1
            scheduler.markers.clear()
    sns = targets[0].calls
    return {
        "alerts": sns["alert"],
        "digests": sns["digest"],
        "per_target": sns["alert"] + sns["digest"],
        "all_targets": sum(sum(target.calls.values()) for target in targets),
        "markers": markers,
        "ledger_ops_per_failure": sum(ledger.calls.values()) / failures,
        "digested": sum(window.digested for window in ledger.windows.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--storm", type=int, default=10_000)
    arguments = parser.parse_args()

    print(
        f"Warm time per alert record ({arguments.records} records, batches of 10, "
        "4 stubbed targets)"
    )
    print(f"{'ledger':<28}{'new alert (us)':>16}{'duplicate (us)':>16}")
    new, duplicate = time_per_record(InMemoryAlertLedger(), arguments.records)
    print(f"{'in memory':<28}{new:>16.0f}{duplicate:>16.0f}")
    from moto import mock_aws

    from local_stack.template import table_definition

    with mock_aws():
        import boto3

        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="bench-events", **table_definition())
        moto_records = min(arguments.records, 500)
        new, duplicate = time_per_record(DynamoAlertLedger(client, "bench-events"), moto_records)
    print(f"{f'DynamoDB on moto ({moto_records})':<28}{new:>16.0f}{duplicate:>16.0f}")

    print()
    print(f"Storm of {arguments.storm:,} failures (threshold 20, window 300 s)")
    header = (
        "arrival",
        "single",
        "digests",
        "per target",
        "4 targets",
        "markers",
        "ledger ops/failure",
    )
    print(
        f"{header[0]:<22}" + "".join(f"{column:>12}" for column in header[1:6]) + f"{header[6]:>20}"
    )
    for label, spread in (("within 1 minute", 60), ("over 10 minutes", 600), ("over 1 hour", 3600)):
        result = storm(arguments.storm, spread)
        assert result["alerts"] + result["digested"] == arguments.storm, result
        print(
            f"{label:<22}{result['alerts']:>12}{result['digests']:>12}{result['per_target']:>12}"
            f"{result['all_targets']:>12}{result['markers']:>12}"
            f"{result['ledger_ops_per_failure']:>20.2f}"
        )


if __name__ == "__main__":
    main()
