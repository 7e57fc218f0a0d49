"""Load run: many signed callbacks from concurrent senders, then proof that nothing was lost.

    .venv/bin/python benchmarks/load_run.py [--callbacks 10000] [--senders 16]   # make load

Starts the local stack in a child process (loopback only, free ports), then:

1. builds ``--callbacks`` distinct callbacks from the vendor's samples (SMS, email, RTM and
   push lifecycles; ``--failure-share`` of the transactions end in a failure that alerts),
   each signed with the stack's callback secret (``x-hub-signature``);
2. sends them from ``--senders`` concurrent keep-alive connections, a transaction's
   callbacks in order on one connection, but for ``--out-of-order-share`` of them the final
   status first, and ``--duplicate-share`` of the callbacks sent a second time later, byte
   for byte (a platform retry after a slow 200); a 5xx or a refused connection is retried
   like the platform does (3 times, then counted as dropped);
3. waits for the alert pipeline to drain, then checks, against the embedded DynamoDB and the
   console's alert log: every distinct callback stored exactly once (the stored keys are the
   expected keys, no more, no fewer), every expected alert raised exactly once on every
   target (SNS, Slack, Teams, generic webhook), none on a delivered transaction, both
   dead-letter queues empty, every callback answered 200.

Storm control is raised out of the way (``StormThreshold``) so that every failure is its own
alert and can be counted; digests are proven by the alerts suite and bench_alerts.py.

Prints throughput and client-observed latency (p50, p99) as a Markdown table, also written
to ``benchmarks/latest-load.md``; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "layers" / "shared", REPO_ROOT / "local"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from receipts.models.callback import parse_callback  # noqa: E402
from receipts.storage import EventStore  # noqa: E402
from simulator.config import Signing  # noqa: E402
from simulator.signing import hub_signature as platform_signature  # noqa: E402

CALLBACKS_DIR = REPO_ROOT / "events" / "callbacks"
LATEST_PATH = Path(__file__).with_name("latest-load.md")
ALERT_TARGETS = ("sns", "chat:slack", "chat:teams", "chat:generic")
# Storm control out of the way: every failure is an alert of its own, so it can be counted.
# The console keeps every alert of the run (by default only the most recent 1,000). The
# reconcile sweep on the template's schedule (every 5 min), not the local 10 s: a run's
# figures are the webhook's and the alerts' alone.
STACK_ARGUMENTS = (
    "--param", "StormThreshold=1000000",
    "--param", "AlertMaxReceiveCount=2",
    "--alerts-kept", "100000",
    "--reconcile-interval", "0",
)  # fmt: skip
# A channel's samples: the lifecycle of a delivered message, and the failure that ends a
# failed one (after its first step).
LIFECYCLES: dict[str, tuple[tuple[str, ...], str]] = {
    "sms": (("01-sms-submitted", "02-sms-delivered"), "03-sms-un-delivered"),
    "email": (("32-email-submitted", "33-email-delivered"), "36-email-bounce"),
    "rtm": (("07-rt-submited", "08-rt-delivered", "09-rt-read"), "10-rt-failed"),
    "push": (
        (
            "11-push-android_pushid-submitted",
            "12-push-android_pushid-delivered",
            "13-push-android_pushid-read",
        ),
        "14-push-android_pushid-failed",
    ),
}
PLATFORM_RETRIES = 3
RETRY_PAUSE_SECONDS = 0.3


# ---- the workload -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    callbacks: int = 10_000
    senders: int = 16
    duplicate_share: float = 0.1
    out_of_order_share: float = 0.3
    failure_share: float = 0.1
    seed: int = 7


@dataclass(frozen=True)
class Callback:
    transid: str
    body: bytes
    failure: bool


@dataclass(frozen=True)
class Workload:
    run_id: str
    transactions: dict[str, list[Callback]]  # in lifecycle order
    failed: frozenset[str]
    # One list of (callback, is_duplicate) per sender, in sending order.
    queues: list[list[tuple[Callback, bool]]]

    @property
    def distinct_callbacks(self) -> int:
        return sum(len(callbacks) for callbacks in self.transactions.values())

    @property
    def requests(self) -> int:
        return sum(len(queue) for queue in self.queues)

    @property
    def duplicates(self) -> int:
        return sum(1 for queue in self.queues for _, duplicate in queue if duplicate)


def sample_callback(name: str) -> dict[str, Any]:
    """A vendor sample from ``events/callbacks`` (``03-sms-un-delivered``), as a document."""
    loaded: dict[str, Any] = json.loads((CALLBACKS_DIR / f"{name}.json").read_text("utf-8"))
    return loaded


def hub_signature(body: bytes, secret: str) -> str:
    """The ``x-hub-signature`` the platform sends, signed by the simulator's own signer."""
    signature = platform_signature(body, Signing(secret=secret))
    if signature is None:
        raise ValueError("signing needs a secret")
    return signature


def callback_from_sample(
    sample: dict[str, Any], transid: str, at: datetime, failure: bool = False
) -> Callback:
    """The sample with this transid and event time (the vendor's no-zone format)."""
    document = json.loads(json.dumps(sample))
    notification = document["deliveryInfoNotification"]
    notification["transid"] = transid
    # The vendor's most common format: no zone, milliseconds.
    notification["deliveryInfo"]["timeStamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return Callback(transid, json.dumps(document).encode(), failure)


def build_workload(plan: LoadPlan, run_id: str | None = None) -> Workload:
    """Transactions until ``plan.callbacks`` distinct callbacks, spread over the senders."""
    rng = random.Random(plan.seed)  # a workload, not a secret: repeatable on purpose
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%d%H%M%S") + f"{rng.randrange(1000):03d}"
    samples = {
        name: sample_callback(name)
        for lifecycle, failure in LIFECYCLES.values()
        for name in (*lifecycle, failure)
    }
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    transactions: dict[str, list[Callback]] = {}
    failed: set[str] = set()
    total = 0
    number = 0
    while total < plan.callbacks:
        lifecycle, failure_sample = LIFECYCLES[rng.choice(sorted(LIFECYCLES))]
        transid = f"load-{run_id}-{number:06d}"
        fails = rng.random() < plan.failure_share
        names = (lifecycle[0], failure_sample) if fails else lifecycle
        sent_at = start + timedelta(milliseconds=rng.randrange(3_600_000))
        transactions[transid] = [
            callback_from_sample(
                samples[name],
                transid,
                sent_at + timedelta(seconds=step * 2, milliseconds=rng.randrange(1000)),
                failure=fails and name == failure_sample,
            )
            for step, name in enumerate(names)
        ]
        if fails:
            failed.add(transid)
        total += len(names)
        number += 1

    queues: list[list[tuple[Callback, bool]]] = [[] for _ in range(plan.senders)]
    retries: list[list[tuple[Callback, bool]]] = [[] for _ in range(plan.senders)]
    for index, callbacks in enumerate(transactions.values()):
        sender = index % plan.senders
        ordered = list(callbacks)
        if rng.random() < plan.out_of_order_share:
            ordered.reverse()  # the final status first, the earlier ones late
        for callback in ordered:
            queues[sender].append((callback, False))
            if rng.random() < plan.duplicate_share:
                retries[sender].append((callback, True))
    for queue, later in zip(queues, retries, strict=True):
        # A duplicate comes later than its original, somewhere in the rest of the stream.
        for item in later:
            queue.insert(rng.randrange(len(queue) // 2, len(queue) + 1), item)
    return Workload(run_id, transactions, frozenset(failed), queues)


# ---- sending ----------------------------------------------------------------------------


@dataclass
class SendResults:
    latencies: list[float] = field(default_factory=list)  # seconds per request attempt
    statuses: Counter[int] = field(default_factory=Counter)
    retried: int = 0
    dropped: list[str] = field(default_factory=list)  # transids of callbacks never accepted
    lock: threading.Lock = field(default_factory=threading.Lock)


class Sender(threading.Thread):
    """One keep-alive connection posting its queue in order, retrying like the platform."""

    def __init__(
        self,
        webhook_url: str,
        secret: str,
        queue: Sequence[tuple[Callback, bool]],
        results: SendResults,
    ) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(webhook_url)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1":
            raise ValueError(f"load runs stay on loopback: {webhook_url}")
        self._host, self._port, self._path = parts.hostname, parts.port or 80, parts.path
        self._secret = secret
        self._queue = queue
        self._results = results
        self._connection: http.client.HTTPConnection | None = None

    def _post(self, body: bytes) -> int | None:
        headers = {
            "content-type": "application/json",
            "x-hub-signature": hub_signature(body, self._secret),
            "x-wx-gtrid": hashlib.sha256(body).hexdigest()[:32],
        }
        started = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
            self._connection.request("POST", self._path, body=body, headers=headers)
            response = self._connection.getresponse()
            response.read()
            status: int | None = response.status
        except (OSError, http.client.HTTPException):
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            status = None
        elapsed = time.perf_counter() - started
        with self._results.lock:
            self._results.latencies.append(elapsed)
            self._results.statuses[status or 0] += 1
        return status

    def run(self) -> None:
        for callback, _ in self._queue:
            for attempt in range(1 + PLATFORM_RETRIES):
                status = self._post(callback.body)
                if status == 200:
                    break
                # The platform retries refused connections, 401, 403, 429 and most 5xx.
                if status is not None and status < 500 and status not in (401, 403, 429):
                    break
                if attempt < PLATFORM_RETRIES:
                    with self._results.lock:
                        self._results.retried += 1
                    time.sleep(RETRY_PAUSE_SECONDS)
            if status != 200:
                with self._results.lock:
                    self._results.dropped.append(callback.transid)
        if self._connection is not None:
            self._connection.close()


def send_all(workload: Workload, webhook_url: str, secret: str) -> tuple[SendResults, float]:
    results = SendResults()
    senders = [Sender(webhook_url, secret, queue, results) for queue in workload.queues]
    started = time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return results, time.perf_counter() - started


# ---- checking ---------------------------------------------------------------------------


def expected_keys(workload: Workload) -> set[tuple[str, str]]:
    """The table keys the callbacks must be stored under, from the layer's own key design."""
    sizing = EventStore(None, "load")  # type: ignore[arg-type]  # event_item makes no call
    received_at = datetime.now(UTC)
    found = set()
    for callbacks in workload.transactions.values():
        for callback in callbacks:
            item = sizing.event_item(
                parse_callback(callback.body), received_at=received_at, gtrid=None
            )
            found.add((item["pk"]["S"], item["sk"]["S"]))
    return found


def _aws_client(state: Any, service: str) -> Any:
    import boto3

    # The embedded AWS takes any credentials; these only keep boto3 from looking for real ones.
    placeholder = "testing"
    return boto3.session.Session(
        aws_access_key_id=placeholder, aws_secret_access_key=placeholder, region_name=state.region
    ).client(service, endpoint_url=state.aws_endpoint_url)


def stored_keys(state: Any, run_id: str) -> Counter[tuple[str, str]]:
    """Every event item of this run in the embedded table, counted by key."""
    dynamodb = _aws_client(state, "dynamodb")
    counted: Counter[tuple[str, str]] = Counter()
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=state.resources["EventsTable"],
        FilterExpression="begins_with(pk, :run)",
        ExpressionAttributeValues={":run": {"S": f"TX#load-{run_id}-"}},
        ProjectionExpression="pk, sk",
    ):
        for item in page["Items"]:
            counted[(item["pk"]["S"], item["sk"]["S"])] += 1
    return counted


def alerts_by_target(client: Any, run_id: str) -> Counter[tuple[str, str]]:
    """Alerts the console received about this run's transactions, by (target, transid)."""
    pattern = re.compile(rf"load-{re.escape(run_id)}-\d{{6}}")
    counted: Counter[tuple[str, str]] = Counter()
    for alert in client.alerts():
        transids = set(pattern.findall(alert.get("message", "")))
        for transid in transids:
            counted[(alert["target"], transid)] += 1
    return counted


def wait_for_alerts(
    client: Any,
    workload: Workload,
    *,
    alerts_before: int,
    timeout: float,
    settle_seconds: float = 2.0,
) -> float:
    """Seconds until the alert pipeline is idle with as many alerts in as expected."""
    started = time.perf_counter()
    expected = len(workload.failed) * len(ALERT_TARGETS)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = client.stats()
        idle = stats["queues"]["AlertsQueue"] == {"visible": 0, "in_flight": 0}
        if idle and stats["alerts_received"] - alerts_before >= expected:
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    # Room for a duplicate alert to show up before anything is counted.
    time.sleep(settle_seconds)
    return elapsed


@dataclass
class LoadReport:
    plan: LoadPlan
    workload: Workload
    results: SendResults
    send_seconds: float
    alert_drain_seconds: float
    missing: list[tuple[str, str]]
    unexpected: list[tuple[str, str]]
    stored_twice: list[tuple[str, str]]
    alert_problems: list[str]
    dead_letters: dict[str, int]

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.unexpected
            or self.stored_twice
            or self.alert_problems
            or self.results.dropped
            or any(self.dead_letters.values())
        )

    def percentile(self, share: float) -> float:
        ordered = sorted(self.results.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def problems(self) -> list[str]:
        found = []
        if self.missing:
            found.append(f"{len(self.missing)} callbacks not stored, e.g. {self.missing[:3]}")
        if self.unexpected:
            found.append(f"{len(self.unexpected)} unexpected items, e.g. {self.unexpected[:3]}")
        if self.stored_twice:
            found.append(f"{len(self.stored_twice)} keys stored twice")
        if self.results.dropped:
            found.append(f"{len(self.results.dropped)} callbacks never answered 200")
        found.extend(self.alert_problems)
        for queue, depth in self.dead_letters.items():
            if depth:
                found.append(f"{depth} message(s) in {queue}")
        return found

    def markdown(self) -> str:
        requests = len(self.results.latencies)
        distinct = self.workload.distinct_callbacks
        rows = [
            (
                "Distinct callbacks",
                f"{distinct:,}",
                f"{len(self.workload.transactions):,} transactions",
            ),
            (
                "Requests sent",
                f"{requests:,}",
                f"{self.workload.duplicates:,} duplicates, {self.results.retried} retries, "
                f"{self.plan.senders} concurrent senders",
            ),
            (
                "Out of order",
                f"{self.plan.out_of_order_share:.0%} of transactions",
                "final status sent first",
            ),
            (
                "Throughput (webhook)",
                f"{requests / self.send_seconds:,.0f} requests/s",
                f"{distinct / self.send_seconds:,.0f} distinct callbacks/s "
                f"over {self.send_seconds:,.1f} s",
            ),
            (
                "Latency per request",
                f"p50 {self.percentile(0.50) * 1000:,.1f} ms",
                f"p99 {self.percentile(0.99) * 1000:,.1f} ms, "
                f"max {max(self.results.latencies, default=0) * 1000:,.0f} ms",
            ),
            (
                "Answers",
                ", ".join(
                    f"{status or 'no answer'}: {count:,}"
                    for status, count in sorted(self.results.statuses.items())
                ),
                "",
            ),
            (
                "Stored exactly once",
                f"{distinct - len(self.missing):,} / {distinct:,}",
                f"missing {len(self.missing)}, extra {len(self.unexpected)}, "
                f"twice {len(self.stored_twice)}",
            ),
            (
                "Alerts exactly once",
                f"{len(self.workload.failed):,} failures x {len(ALERT_TARGETS)} targets",
                "; ".join(self.alert_problems) or "none missing, none repeated",
            ),
            (
                "Alert pipeline drained",
                f"{self.alert_drain_seconds:,.1f} s after the last callback",
                "stream -> pipe -> queue -> alerts -> SNS + 3 webhooks",
            ),
            (
                "Dead-letter queues",
                ", ".join(f"{name} {depth}" for name, depth in self.dead_letters.items()),
                "",
            ),
            ("Result", "PASS" if self.ok else "FAIL", "; ".join(self.problems())),
        ]
        lines = ["| Load run | Figure | Detail |", "| --- | --- | --- |"]
        lines.extend(f"| {a} | {b} | {c} |" for a, b, c in rows)
        return "\n".join(lines)


def check_alerts(counted: Counter[tuple[str, str]], workload: Workload) -> list[str]:
    problems = []
    for target in ALERT_TARGETS:
        got = {transid: n for (name, transid), n in counted.items() if name == target}
        missing = workload.failed - set(got)
        repeated = [transid for transid, n in got.items() if n > 1]
        spurious = set(got) - workload.failed
        if missing:
            problems.append(f"{target}: {len(missing)} alerts missing")
        if repeated:
            problems.append(f"{target}: {len(repeated)} alerts repeated")
        if spurious:
            problems.append(f"{target}: {len(spurious)} alerts for delivered transactions")
    return problems


def run_load(client: Any, plan: LoadPlan, *, timeout: float = 900.0) -> LoadReport:
    """Send the workload to a running stack and check what it stored and alerted."""
    deadline = time.monotonic() + timeout
    workload = build_workload(plan)
    alerts_before = int(client.stats()["alerts_received"])
    results, send_seconds = send_all(
        workload, client.state.webhook_url, client.state.callback_secret
    )
    drain = wait_for_alerts(
        client,
        workload,
        alerts_before=alerts_before,
        timeout=max(1.0, deadline - time.monotonic()),
    )
    expected = expected_keys(workload)
    stored = stored_keys(client.state, workload.run_id)
    depths = client.stats()["queues"]
    return LoadReport(
        plan=plan,
        workload=workload,
        results=results,
        send_seconds=send_seconds,
        alert_drain_seconds=drain,
        missing=sorted(expected - set(stored)),
        unexpected=sorted(set(stored) - expected),
        stored_twice=sorted(key for key, count in stored.items() if count > 1),
        alert_problems=check_alerts(alerts_by_target(client, workload.run_id), workload),
        dead_letters={
            name: depth["visible"] + depth["in_flight"]
            for name, depth in depths.items()
            if "DeadLetter" in name
        },
    )


@contextmanager
def load_stack(extra_arguments: Sequence[str] = ()) -> Iterator[Any]:
    from benchmarks._stack_process import stack_process

    with stack_process([*STACK_ARGUMENTS, *extra_arguments]) as running:
        yield running


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=10_000, help="distinct callbacks")
    parser.add_argument("--senders", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duplicate-share", type=float, default=0.1)
    parser.add_argument("--out-of-order-share", type=float, default=0.3)
    parser.add_argument("--failure-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument("--output", type=Path, default=LATEST_PATH)
    options = parser.parse_args(arguments)
    plan = LoadPlan(
        callbacks=options.callbacks,
        senders=options.senders,
        duplicate_share=options.duplicate_share,
        out_of_order_share=options.out_of_order_share,
        failure_share=options.failure_share,
        seed=options.seed,
    )
    started = time.perf_counter()
    with load_stack() as running:
        report = run_load(running.client, plan, timeout=options.timeout)
    table = report.markdown()
    header = (
        f"Local stack, one process, loopback; {datetime.now(UTC):%Y-%m-%d}; "
        f"`make load` (`benchmarks/load_run.py --callbacks {plan.callbacks} "
        f"--senders {plan.senders}`), {time.perf_counter() - started:,.0f} s in all.\n\n"
    )
    print(header + table)
    options.output.write_text(header + table + "\n", encoding="utf-8")
    if options.output == LATEST_PATH:
        from readme_section import update_readme

        update_readme()
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
