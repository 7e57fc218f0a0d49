"""Lookup function: how many lookups reach the vendor, warm latency, and cold-start cost.

    .venv/bin/python benchmarks/bench_lookup.py [--transactions 2000] [--lookups 20000]

1. Replays a lookup workload on a simulated clock: N transactions sent over an hour, M
   lookups with Zipf-skewed repeats (clients poll the same messages), each soon after its
   send; ~40% of the transactions get their final callback stored, the rest finalise at the
   vendor only (their callbacks are lost). An in-process fake vendor answers "sent" until
   a transaction finalises, "delivered" after. Lookups are spread over 1, 8 and 32 warm
   processes (each its own memory cache, one shared table). Reported: the share of lookups
   that reach the vendor, against a proxy without caches (every lookup is a vendor call).
2. Warm in-process latency through ``lambda_handler`` (Powertools resolver, validation,
   logging): a memory-cache hit; a table-cache hit with DynamoDB stubbed by a client object
   answering from memory (so the real EventStore marshalling runs, not the network); an
   answer rebuilt from stored callbacks, same stub.
3. Cold start in fresh processes: importing the handler and serving the first request,
   with the resolver as shipped (validation and OpenAPI models) and without validation.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import io
import json
import os
import random
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, cast

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "layers" / "shared", REPO_ROOT / "functions"):
    sys.path.insert(0, str(_path))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmark prints its own table; keep the function's INFO lines and metrics out of it.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "imiconnect-receipts-bench")

from tests.integration.lookup.lookup_harness import (  # noqa: E402
    LambdaContextStub,
    vendor_status_event,
)
from tests.unit.lookup.lookup_fakes import (  # noqa: E402
    FakeClock,
    InMemoryStore,
    callback_body,
    vendor_body,
)

from _harness import (  # type: ignore[import-not-found]  # noqa: E402
    fresh_process_seconds,
    per_call_seconds,
    print_table,
    timed_snippet,
)
from lookup.auth import ApiKeyVerifier  # noqa: E402
from lookup.handler import lambda_handler  # noqa: E402
from lookup.memory_cache import MemoryCache  # noqa: E402
from lookup.schemas import AnswerSource  # noqa: E402
from lookup.service import CachePolicy, LookupService, Remembered  # noqa: E402
from lookup.wiring import LookupDependencies  # noqa: E402
from receipts.models.callback import parse_callback  # noqa: E402
from receipts.storage import EventStore, StoredEvent  # noqa: E402
from receipts.storage.event_store import CachedAnswer  # noqa: E402

VENDOR_SHARE_AIM = 0.10
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
POLICY = CachePolicy(
    final_fresh_for=timedelta(seconds=86400),
    non_final_fresh_for=timedelta(seconds=30),
    stale_for=timedelta(seconds=86400),
)
API_KEY = "bench-key"


# ---- 1. the replay --------------------------------------------------------------------------


@dataclass(frozen=True)
class Transaction:
    transid: str
    sent_at: datetime
    final_at: datetime
    final_callback: bool


class FakeVendor:
    """The status API in-process: "sent" until the transaction finalises, then "delivered"."""

    def __init__(self, transactions: dict[str, Transaction], clock: FakeClock) -> None:
        self.transactions = transactions
        self.clock = clock
        self.calls = 0

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        self.calls += 1
        transaction = self.transactions[transid]
        status = "delivered" if self.clock.now >= transaction.final_at else "sent"
        return vendor_body(transid, status)


def _workload(
    transactions: int, lookups: int, seed: int
) -> tuple[dict[str, Transaction], list[tuple[datetime, str]]]:
    rng = random.Random(seed)
    sends: dict[str, Transaction] = {}
    for number in range(transactions):
        sent_at = START + timedelta(seconds=rng.uniform(0, 3600))
        sends[f"tx-{number:05d}"] = Transaction(
            transid=f"tx-{number:05d}",
            sent_at=sent_at,
            # Most SMS deliveries settle in seconds to a few minutes.
            final_at=sent_at + timedelta(seconds=rng.expovariate(1 / 90)),
            final_callback=rng.random() < 0.4,
        )
    # Zipf-skewed popularity (s = 1.1) over a random order of the transactions.
    ranked = list(sends)
    rng.shuffle(ranked)
    weights = list(accumulate(1 / (rank**1.1) for rank in range(1, len(ranked) + 1)))
    schedule = []
    for _ in range(lookups):
        transid = ranked[bisect.bisect_left(weights, rng.uniform(0, weights[-1]))]
        # Clients poll soon after sending, then less and less.
        delay = timedelta(seconds=rng.expovariate(1 / 600))
        schedule.append((sends[transid].sent_at + delay, transid))
    schedule.sort()
    return sends, schedule


def _stored(sample: str, transid: str, at: datetime) -> StoredEvent:
    body = callback_body(sample, transid=transid, timeStamp=at.isoformat())
    return StoredEvent(event=parse_callback(body), received_at=at, gtrid=None)


class ReplayStore(InMemoryStore):
    """The table as the ingest function fills it: an event shows once it has arrived."""

    def __init__(self, sends: dict[str, Transaction], clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        for transaction in sends.values():
            # Every send gets its "Submitted"; 40% get their final callback too.
            arrivals = [("01-sms-submitted", transaction.sent_at + timedelta(seconds=1))]
            if transaction.final_callback:
                arrivals.append(("02-sms-delivered", transaction.final_at))
            self.events[transaction.transid] = [
                _stored(sample, transaction.transid, at) for sample, at in arrivals
            ]

    def list_events(self, transid: str) -> list[StoredEvent]:
        return [
            stored
            for stored in super().list_events(transid)
            if stored.received_at <= self.clock.now
        ]


def replay(transactions: int, lookups: int, processes: int, seed: int = 7) -> dict[str, Any]:
    sends, schedule = _workload(transactions, lookups, seed)
    clock = FakeClock(START)
    store = ReplayStore(sends, clock)
    vendor = FakeVendor(sends, clock)
    services = [
        LookupService(
            store=store,
            status_api=vendor,
            memory=MemoryCache[Remembered](max_entries=5000, clock=clock),
            policy=POLICY,
            clock=clock,
        )
        for _ in range(processes)
    ]
    rng = random.Random(seed + processes)
    sources: Counter[str] = Counter()
    for at, transid in schedule:
        clock.now = at
        answer = rng.choice(services).vendor_status(transid)
        label = answer.source.value
        if answer.source is AnswerSource.CACHE:
            label = f"cache ({answer.cache_layer})"
        sources[label] += 1
    return {"vendor_calls": vendor.calls, "sources": sources, "lookups": len(schedule)}


# ---- 2. warm latency ------------------------------------------------------------------------


class StubDynamoDB:
    """A DynamoDB client object answering from memory: no network, no botocore.

    Handed to EventStore where a boto3 client goes; it has the three methods it calls.
    """

    def __init__(self, events: list[dict[str, Any]], cached: dict[str, Any] | None) -> None:
        self.events = events
        self.cached = cached

    def query(self, **request: Any) -> dict[str, Any]:
        return {"Items": self.events}

    def get_item(self, **request: Any) -> dict[str, Any]:
        return {"Item": self.cached} if self.cached else {}

    def put_item(self, **request: Any) -> dict[str, Any]:
        return {}


class NoVendor:
    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        raise AssertionError("a warm cache hit must not reach the vendor")


def _dependencies(store: Any, memory: MemoryCache[Remembered], clock: FakeClock) -> Any:
    service = LookupService(
        store=store, status_api=NoVendor(), memory=memory, policy=POLICY, clock=clock
    )
    return LookupDependencies(service=service, api_keys=ApiKeyVerifier(lambda: (API_KEY,)))


def _cached_item(transid: str, clock: FakeClock) -> dict[str, Any]:
    """The table's cache item, as EventStore writes it (captured through the stub)."""
    captured: dict[str, Any] = {}

    class Capture(StubDynamoDB):
        def put_item(self, **request: Any) -> dict[str, Any]:
            captured.update(request["Item"])
            return {}

    EventStore(cast(Any, Capture([], None)), "bench").put_cached_answer(
        transid,
        CachedAnswer(body=vendor_body(transid, "sent"), fetched_at=clock.now, final=False),
        keep_for=timedelta(days=1),
    )
    return captured


def latency_figures() -> dict[str, float]:
    transid = "8026899a-bed4-4ea4-b1cd-eef98829dbd1"
    clock = FakeClock(START)
    context = LambdaContextStub()
    event = vendor_status_event(transid, api_key=API_KEY)
    figures: dict[str, float] = {}

    # A memory-cache hit: the second and later lookups in a warm process.
    table = StubDynamoDB([], _cached_item(transid, clock))
    memory = MemoryCache[Remembered](max_entries=100, clock=clock)
    dependencies = _dependencies(EventStore(cast(Any, table), "bench"), memory, clock)
    assert lambda_handler(event, context, dependencies=dependencies)["statusCode"] == 200

    def memory_hit() -> None:
        lambda_handler(event, context, dependencies=dependencies)

    figures["memory-cache hit (handler)"] = per_call_seconds(memory_hit)
    figures["memory-cache hit (service only)"] = per_call_seconds(
        lambda: dependencies.service.vendor_status(transid)
    )

    # A table-cache hit: no events, a fresh cached item, an empty memory every time.
    def table_hit() -> None:
        memory.clear()
        response = lambda_handler(event, context, dependencies=dependencies)
        assert response["headers"]["x-cache"] == "hit"

    figures["table-cache hit (handler, DynamoDB stubbed)"] = per_call_seconds(table_hit)

    # An answer rebuilt from two stored callbacks (query returns their stored items).
    sms = "262895e4-2217-4eef-92ca-79fd0250c4a3"
    writer = EventStore(cast(Any, StubDynamoDB([], None)), "bench")
    items = [
        writer.event_item(parse_callback(callback_body(sample)), received_at=START, gtrid=None)
        for sample in ("01-sms-submitted", "02-sms-delivered")
    ]
    callbacks_memory = MemoryCache[Remembered](max_entries=100, clock=clock)
    callbacks_dependencies = _dependencies(
        EventStore(cast(Any, StubDynamoDB(items, None)), "bench"), callbacks_memory, clock
    )
    callbacks_event = vendor_status_event(sms, api_key=API_KEY)

    def from_callbacks() -> None:
        callbacks_memory.clear()
        response = lambda_handler(callbacks_event, context, dependencies=callbacks_dependencies)
        assert response["headers"]["x-answer-source"] == "callbacks"

    figures["answer from callbacks (handler, DynamoDB stubbed)"] = per_call_seconds(from_callbacks)
    return figures


# ---- 3. cold start --------------------------------------------------------------------------

_FIRST_REQUEST = """
import json, os
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "bench"
from datetime import UTC, datetime, timedelta
{imports}
from lookup.auth import ApiKeyVerifier
from lookup.memory_cache import MemoryCache
from lookup.service import CachePolicy, LookupService
from lookup.wiring import LookupDependencies
from receipts.storage.event_store import SearchPage
now = datetime(2024, 5, 1, tzinfo=UTC)
class Store:
    def list_events(self, transid): return []
    def search(self, **query): return SearchPage([], None)
    def get_cached_answer(self, transid): return None
    def put_cached_answer(self, transid, answer, *, keep_for): pass
class Vendor:
    def fetch_status(self, transid, **_): return open("events/status_api/01-sms.json").read()
service = LookupService(store=Store(), status_api=Vendor(),
    memory=MemoryCache(max_entries=10, clock=lambda: now),
    policy=CachePolicy(timedelta(days=1), timedelta(seconds=30), timedelta(days=1)),
    clock=lambda: now)
dependencies = LookupDependencies(service=service, api_keys=ApiKeyVerifier(lambda: ("k",)))
event = json.load(open("events/http/lookup/status-by-transactionid.json"))
event["headers"]["x-api-key"] = "k"
{call}
"""

_CALL_HANDLER = (
    "class Context:\n"
    "    function_name = 'f'; memory_limit_in_mb = 512\n"
    "    invoked_function_arn = 'arn'; aws_request_id = 'r'\n"
    "assert lambda_handler(event, Context(), dependencies=dependencies)['statusCode'] == 200"
)
_AS_SHIPPED = _FIRST_REQUEST.format(
    imports="from lookup.handler import lambda_handler", call=_CALL_HANDLER
)
# The same handler and routes, with the resolver built without request/response validation.
_WITHOUT_VALIDATION = _FIRST_REQUEST.format(
    imports=(
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "import lookup.api\n"
        "from lookup.handler import lambda_handler\n"
        "def _plain_resolver():\n"
        "    resolver = APIGatewayHttpResolver()\n"
        "    resolver.include_router(lookup.api.router)\n"
        "    return resolver\n"
        "lookup.api.build_resolver = _plain_resolver"
    ),
    call=_CALL_HANDLER,
)
_SERVICE_ONLY = _FIRST_REQUEST.format(imports="", call="service.vendor_status('tx')")


def cold_start_figures(runs: int) -> dict[str, float]:
    """Medians over ``runs`` rounds; each round runs every variant once, so that a busy
    machine slows all of them alike instead of whichever happened to run then."""
    variants = {
        "as shipped": timed_snippet(_AS_SHIPPED),
        "without validation": timed_snippet(_WITHOUT_VALIDATION),
        "service only": timed_snippet(_SERVICE_ONLY),
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for code in variants.values():
        fresh_process_seconds(code, runs=1)  # warm the byte-code caches
    for _ in range(runs):
        for name, code in variants.items():
            timings[name].append(fresh_process_seconds(code, runs=1))
    return {name: statistics.median(values) for name, values in timings.items()}


# ---- report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--cold-runs", type=int, default=11)
    options = parser.parse_args()

    rows = []
    for processes in (1, 8, 32):
        with contextlib.redirect_stdout(io.StringIO()):
            result = replay(options.transactions, options.lookups, processes)
        share = result["vendor_calls"] / result["lookups"]
        breakdown = ", ".join(
            f"{label} {count / result['lookups']:.1%}"
            for label, count in sorted(result["sources"].items())
        )
        rows.append(
            (
                f"vendor calls, {processes} warm process(es)",
                f"{result['vendor_calls']} ({share:.1%})",
                f"{result['lookups']} (100%, no cache)",
                f"{share:.1%} of baseline (aim < {VENDOR_SHARE_AIM:.0%})",
            )
        )
        rows.append((f"  answered from, {processes} process(es)", breakdown, "", ""))
    print_table(
        f"Lookup replay ({options.transactions} transactions, {options.lookups} lookups,"
        " Zipf s=1.1, ~40% final callbacks stored)",
        rows,
    )

    with contextlib.redirect_stdout(io.StringIO()):
        latency = latency_figures()
    print_table(
        "Warm in-process latency (medians)",
        [(name, f"{seconds * 1e6:.0f} us", "", "") for name, seconds in latency.items()],
    )

    cold = cold_start_figures(options.cold_runs)
    print_table(
        "Cold start: import + first request in a fresh process (medians)",
        [
            (
                "handler, resolver with validation + OpenAPI (as shipped)",
                f"{cold['as shipped'] * 1000:.0f} ms",
                f"service only {cold['service only'] * 1000:.0f} ms",
                f"+{(cold['as shipped'] - cold['service only']) * 1000:.0f} ms",
            ),
            (
                "same handler, resolver without validation",
                f"{cold['without validation'] * 1000:.0f} ms",
                f"service only {cold['service only'] * 1000:.0f} ms",
                f"+{(cold['without validation'] - cold['service only']) * 1000:.0f} ms",
            ),
        ],
    )
    print(json.dumps({"cold_ms": {k: round(v * 1000, 1) for k, v in cold.items()}}))


if __name__ == "__main__":
    main()
