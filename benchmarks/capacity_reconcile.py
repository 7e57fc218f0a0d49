"""The reconcile sweep at the capacity model's peak: its reads, its watch writes, its asks,
and whether one run every interval keeps up with discovery.

Part of ``make capacity`` (``capacity.py`` calls :func:`sweep_capacity` with its result).
Assumptions, stated here and in the report:

- Discovery reads every arrival minute once: per minute, one open-index query per write
  shard (``keys.WRITE_SHARDS``) and one more per ``discovery.PAGE_SIZE`` entries of a shard,
  then one ``event_summaries`` query per transaction named. Both eventually consistent:
  half a read unit per started 4 KB. An index page is charged on its entries' sizes (keys
  and projected attributes, from ``template.yaml`` through ``dynamodb_sizes``); a
  transaction's query on its events' full sizes (a projection does not lower what a Query
  is charged), which for every channel's events stays under 4 KB.
- The model's window is all at the peak; the hourly average is the peak over the burst.
- ``QUIET_SHARE`` of the transactions named go quiet without a final status and become
  watches: ``DROPPED_SHARE`` whose callbacks were dropped, plus ``SLOWER_THAN_QUIET_SHARE``
  whose final status comes later than the quiet time.
- A watch costs: its put (and its entry in the open index under its due day); per ask a
  consistent read of it (batch get), a query of its events and an update that moves its
  index entry (a delete and a put there) or ends it (a delete); the answer, when final,
  stored as an event (its item and its index entries). Item sizes from the layer's
  ``WatchStore`` and ``EventStore`` on a recording client. Vendor calls per watch from the
  reconcile row of ``benchmarks/latest.md`` (``make bench``), else ``CALLS_PER_WATCH``.
- Discovery's pace: it runs in parts side by side (one per schedule of the discovery
  function in ``template.yaml``, each its share of the write shards), each run given
  ``RECONCILE_RUN_BUDGET_SECONDS`` (the function's timeout less its margin, whichever is
  less), bounded by time only (``ReconcileMaxPerRun`` bounds the asks); its CPU cost per
  transaction is measured here on a botocore client whose calls are answered at the send
  hook (requests built, signed and parsed; no network, no moto), and Lambda gives the
  function (its ``MemorySize``) ``memory / LAMBDA_MB_PER_VCPU`` of a vCPU. The parts'
  shares are even (the write shards are, by hash), so the parts add up.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynamodb_sizes import index_shapes, item_size, write_units
from receipts.storage import EventStore, keys

DROPPED_SHARE = 0.01
SLOWER_THAN_QUIET_SHARE = 0.02
QUIET_SHARE = DROPPED_SHARE + SLOWER_THAN_QUIET_SHARE
# Used when benchmarks/latest.md has no reconcile row yet (make bench writes it).
CALLS_PER_WATCH = 1.4
# One ask from start to end: its events' query, the vendor's answer (the status API is a
# lookup; a few hundred milliseconds), the event and the watch written. Stated, not measured.
ASK_SECONDS = 0.3
LAMBDA_MB_PER_VCPU = 1769  # Lambda's memory at which a function has one full vCPU
CHECK_SAMPLES = 2000
INSTANT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

_CALLS_ROW = re.compile(
    r"^\| Reconcile: vendor calls per transaction, horizon-closed included \| ([\d.]+) ",
    re.MULTILINE,
)


def discovery_parts(template: Mapping[str, Any]) -> int:
    """How many parts discovery runs in: its schedules' inputs, every part of one whole."""
    function = template["Resources"]["ReconcileDiscoveryFunction"]["Properties"]
    inputs = [
        json.loads(event["Properties"]["Input"])
        for event in function["Events"].values()
        if event["Type"] == "Schedule"
    ]
    wholes = {found["parts"] for found in inputs}
    parts = wholes.pop() if len(wholes) == 1 else 0
    if not parts or sorted(found["part"] for found in inputs) != list(range(parts)):
        raise ValueError(f"discovery's schedules are not the parts of one whole: {inputs}")
    return int(parts)


def read_units(size: int) -> float:
    """Eventually consistent: half a unit per started 4 KB."""
    return max(1, math.ceil(size / 4096)) * 0.5


def calls_per_watch(latest: Path) -> tuple[float, str]:
    """Vendor calls per watched transaction: ``make bench``'s figure, else the stated one."""
    found = _CALLS_ROW.search(latest.read_text(encoding="utf-8")) if latest.exists() else None
    if found is None:
        return CALLS_PER_WATCH, "stated (no reconcile row in benchmarks/latest.md yet)"
    return float(found.group(1)), "measured by `make bench` (`bench_reconcile.py`)"


# ---- the sweep's settings, from the template and the function's defaults --------------------


@dataclass(frozen=True)
class SweepSettings:
    interval_seconds: float
    max_per_run: int
    max_calls_per_second: float
    concurrent_asks: int  # asks in flight at once in a run
    max_calls_per_second_allowed: float  # the parameter's MaxValue
    run_seconds: float  # the time a run may take
    discovery_parts: int  # discovery's runs side by side
    memory_mb: int  # discovery's function

    @classmethod
    def from_template(cls, template: Mapping[str, Any]) -> SweepSettings:
        from reconcile.settings import ReconcileSettings

        parameters = template["Parameters"]
        function = template["Resources"]["ReconcileDiscoveryFunction"]["Properties"]
        function_globals = template.get("Globals", {}).get("Function", {})
        fields = ReconcileSettings.model_fields
        budget = float(fields["run_budget_seconds"].default)
        margin = float(fields["deadline_margin_seconds"].default)
        return cls(
            interval_seconds=60 * float(parameters["ReconcileIntervalMinutes"]["Default"]),
            max_per_run=int(parameters["ReconcileMaxPerRun"]["Default"]),
            max_calls_per_second=float(parameters["ReconcileMaxCallsPerSecond"]["Default"]),
            concurrent_asks=int(fields["concurrent_asks"].default),
            max_calls_per_second_allowed=float(
                parameters["ReconcileMaxCallsPerSecond"]["MaxValue"]
            ),
            run_seconds=min(budget, float(function["Timeout"]) - margin),
            discovery_parts=discovery_parts(template),
            memory_mb=int(function.get("MemorySize", function_globals.get("MemorySize", 128))),
        )

    @property
    def ask_pace_ceiling(self) -> float:
        """The most asks a second a run can make whatever its pace setting: as many in
        flight as it allows, each taking ``ASK_SECONDS``."""
        return self.concurrent_asks / ASK_SECONDS

    @property
    def vcpu(self) -> float:
        return min(1.0, self.memory_mb / LAMBDA_MB_PER_VCPU)


# ---- sizes of what the sweep writes and reads ---------------------------------------------------


class _Recorder:
    """Keeps the requests the layer's stores make; answers as DynamoDB would, minimally."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append(("put_item", request))
        return {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append(("update_item", request))
        return {}


@dataclass(frozen=True)
class WatchCosts:
    """Write units of a watch's life, and read units of one ask."""

    watch_units: float  # its put, and its due-day entry in the open index
    per_ask_units: float  # the update, and its index entry moved (delete + put)
    end_units: float  # the update that ends it, and its index entry removed
    answer_units: float  # a final answer stored as an event: item and index entries
    ask_read_units: float  # consistent get of the watch + its events' query
    due_entry_bytes: int  # a watch's entry in the open index (its due day)


def watch_costs(template: Mapping[str, Any], transaction_bytes: int) -> WatchCosts:
    from receipts.models.reconciled import status_api_event
    from receipts.storage.watches import WatchSource, WatchStore

    recorder = _Recorder()
    store = WatchStore(recorder, "events")  # type: ignore[arg-type]
    transid = str(uuid.UUID(int=7, version=4))
    store.watch(
        transid,
        source=WatchSource.SWEEP,
        first_seen=INSTANT,
        due_at=INSTANT + timedelta(minutes=15),
        horizon_at=INSTANT + timedelta(hours=72),
    )
    ((_, put),) = recorder.requests
    watch_item = put["Item"]
    watch_size = item_size(watch_item)
    open_index = next(shape for shape in index_shapes(template) if shape.name == keys.OPEN_INDEX)
    entry = open_index.entry(watch_item)
    entry_units = write_units(item_size(entry)) if entry else 0
    # An update is charged on the larger of the item before and after: both about this size.
    update_units = write_units(watch_size)
    answer = status_api_event(
        transid,
        {"transactionid": transid, "status": "delivered", "channel": "SMS", "to": "919999999999"},
        destination="919999999999",
        correlationid="campaign-0000",
    )
    answer_item = EventStore(None, "events").event_item(  # type: ignore[arg-type]
        answer, received_at=INSTANT, gtrid=None
    )
    answer_units = write_units(item_size(answer_item)) + sum(
        write_units(item_size(found))
        for shape in index_shapes(template)
        if (found := shape.entry(answer_item)) is not None
    )
    return WatchCosts(
        watch_units=write_units(watch_size) + entry_units,
        per_ask_units=update_units + 2 * entry_units,
        end_units=update_units + entry_units,
        answer_units=answer_units,
        ask_read_units=2 * read_units(watch_size) + read_units(transaction_bytes),
        due_entry_bytes=item_size(entry) if entry else 0,
    )


def largest_transaction_bytes(plans: list[Any]) -> int:
    """The most bytes one transaction's events take, over every channel and outcome."""
    writer = EventStore(None, "events")  # type: ignore[arg-type]
    largest: int = max(
        sum(
            item_size(writer.event_item(seed.event, received_at=INSTANT, gtrid=str(uuid.uuid4())))
            for seed in plan.callbacks(failed)
        )
        for plan in plans
        for failed in (False, True)
    )
    return largest


# ---- discovery's CPU cost per transaction, without moto --------------------------------------


def _wire(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: {"B": base64.b64encode(bytes(value["B"])).decode()} if "B" in value else value
        for name, value in item.items()
    }


def check_cpu_seconds(plans: list[Any], samples: int = CHECK_SAMPLES) -> float:
    """CPU seconds discovery spends on one transaction: its events' query (through the real
    ``Discovery``, side by side as it runs them) and the look at them, answered at botocore's
    send hook with a settled transaction's events."""
    import boto3

    from _aws_stub import AwsStub
    from receipts.deadline import Deadline
    from receipts.storage.watches import WatchStore
    from reconcile.discovery import Discovery
    from reconcile.run import Run, SweepPolicy

    plan = max(plans, key=lambda candidate: candidate.samples)
    writer = EventStore(None, "events")  # type: ignore[arg-type]
    items = [
        _wire(writer.event_item(seed.event, received_at=INSTANT, gtrid=None))
        for seed in plan.success
    ]
    stub = AwsStub(query_items=items)
    # A session of its own: nothing else in the process is answered by the stub.
    session = boto3.session.Session(
        aws_access_key_id="capacity",
        aws_secret_access_key="capacity",  # noqa: S106 - never sent anywhere
        region_name="us-east-1",
    )
    session.events.register("before-send", stub.before_send)
    client = session.client("dynamodb")
    events, watches = EventStore(client, "events"), WatchStore(client, "events")
    discovery = Discovery(events, watches, "capacity", state_key=keys.discovery_state_key(0, 1))
    policy = SweepPolicy(
        after=timedelta(minutes=15),
        horizon=timedelta(hours=72),
        max_per_run=samples * 2,
        alert_on_no_receipt=True,
    )
    run = Run(now=INSTANT, wall=INSTANT, policy=policy, deadline=Deadline.unbounded())
    transids = [f"capacity-{index:06d}" for index in range(samples)]
    discovery._consider_all(run, transids[:100])
    started = time.process_time()
    for page in range(0, samples, 200):
        discovery._consider_all(run, transids[page : page + 200])
    return (time.process_time() - started) / samples


# ---- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepCapacity:
    settings: SweepSettings
    burst: float
    checks_per_second_peak: float  # transactions discovery must read, at the peak
    entries_per_second_peak: float  # in-progress entries into the open index
    mean_entry_bytes: float
    transaction_bytes: int
    calls_per_watch: float
    calls_source: str
    costs: WatchCosts
    check_cpu_seconds: float

    # ---- discovery's reads ----

    @property
    def entries_per_shard_minute(self) -> float:
        return self.entries_per_second_peak * 60 / keys.WRITE_SHARDS

    @property
    def hottest_open_partition_units(self) -> float:
        """One arrival minute's shard, read once, in pages of ``PAGE_SIZE`` entries."""
        from reconcile.discovery import PAGE_SIZE

        entries = self.entries_per_shard_minute
        pages = max(1, math.ceil(entries / PAGE_SIZE))
        per_page = min(entries, PAGE_SIZE)
        return pages * read_units(math.ceil(per_page * self.mean_entry_bytes))

    @property
    def open_index_units_per_second(self) -> float:
        """Every shard of every arrival minute, read once, at the pace minutes arrive; and
        the due days: a query per shard each run, and a page per ``asking.PAGE_SIZE`` asks."""
        from reconcile.asking import PAGE_SIZE

        minutes = self.hottest_open_partition_units * keys.WRITE_SHARDS / 60
        due_page = read_units(PAGE_SIZE * self.costs.due_entry_bytes)
        due = keys.WRITE_SHARDS * 0.5 / self.settings.interval_seconds
        return minutes + due + self.asks_per_second_peak / PAGE_SIZE * due_page

    @property
    def discovery_table_units_per_second(self) -> float:
        return self.checks_per_second_peak * read_units(self.transaction_bytes)

    # ---- watches and asks ----

    @property
    def watches_per_second_peak(self) -> float:
        return self.checks_per_second_peak * QUIET_SHARE

    @property
    def first_asks_per_second_peak(self) -> float:
        return self.watches_per_second_peak

    @property
    def asks_per_second_peak(self) -> float:
        """First asks at the peak's pace, the later ones at the hour's average (they come
        hours to days later, spread over the day's traffic)."""
        later = self.watches_per_second_peak / self.burst * max(0.0, self.calls_per_watch - 1)
        return self.first_asks_per_second_peak + later

    @property
    def asks_per_second_average(self) -> float:
        return self.watches_per_second_peak / self.burst * self.calls_per_watch

    @property
    def ask_table_units_per_second(self) -> float:
        return self.asks_per_second_peak * self.costs.ask_read_units

    @property
    def watch_write_units_per_second(self) -> float:
        costs, watches = self.costs, self.watches_per_second_peak
        later = max(0.0, self.calls_per_watch - 1)
        return watches * (
            costs.watch_units + later * costs.per_ask_units + costs.end_units + costs.answer_units
        )

    # ---- can the runs keep up ----

    @property
    def checks_per_second_average(self) -> float:
        return self.checks_per_second_peak / self.burst

    @property
    def cpu_checks_per_second(self) -> float:
        """What one run's discovery can check per second of its own time, CPU-bound."""
        return self.settings.vcpu / self.check_cpu_seconds

    @property
    def run_checks_per_second(self) -> float:
        """Transactions discovery's parts, each running every interval, check per second of
        the day: what their time allows (discovery has no count bound)."""
        settings = self.settings
        by_time = settings.run_seconds * self.cpu_checks_per_second
        return settings.discovery_parts * by_time / settings.interval_seconds

    @property
    def calls_allowed_per_second(self) -> float:
        """Vendor calls one run every interval makes per second of the day at most: its pace,
        unless its asks in flight cannot reach it."""
        settings = self.settings
        pace = min(settings.max_calls_per_second, settings.ask_pace_ceiling)
        per_run = min(settings.max_per_run, pace * settings.run_seconds)
        return per_run / settings.interval_seconds


def sweep_capacity(
    result: Any, template: Mapping[str, Any], latest_bench: Path, *, measure_cpu: bool = True
) -> SweepCapacity:
    seconds = max(1, result.traffic.seconds)
    sizes = result.open_entry_sizes
    transaction_bytes = largest_transaction_bytes(result.plans)
    calls, source = calls_per_watch(latest_bench)
    return SweepCapacity(
        settings=SweepSettings.from_template(template),
        burst=result.traffic.burst,
        checks_per_second_peak=result.open_transactions / seconds,
        entries_per_second_peak=len(sizes) / seconds,
        mean_entry_bytes=sum(sizes) / len(sizes) if sizes else 0.0,
        transaction_bytes=transaction_bytes,
        calls_per_watch=calls,
        calls_source=source,
        costs=watch_costs(template, transaction_bytes),
        check_cpu_seconds=check_cpu_seconds(result.plans) if measure_cpu else 0.001,
    )


# ---- report ----------------------------------------------------------------------------------


def _calls_setting(sweep: SweepCapacity, calls_per_second: float, what: str) -> str:
    """The settings that let the runs make ``calls_per_second`` on average."""
    settings = sweep.settings
    rate = math.ceil(calls_per_second * settings.interval_seconds / settings.run_seconds)
    per_run = math.ceil(calls_per_second * settings.interval_seconds)
    text = f"{what} takes ReconcileMaxCallsPerSecond {rate} and ReconcileMaxPerRun {per_run:,}"
    if rate > settings.max_calls_per_second_allowed:
        text += f" (above the parameter's maximum of {settings.max_calls_per_second_allowed:g})"
    if rate > settings.ask_pace_ceiling:
        text += (
            f" and more asks in flight than {settings.concurrent_asks} "
            f"(RECONCILE_CONCURRENT_ASKS; {ASK_SECONDS:g} s an ask)"
        )
    return text


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def report_lines(
    sweep: SweepCapacity, read_limit: float, write_limit: float
) -> tuple[list[str], list[str]]:
    """The report's table rows and its notes."""
    settings = sweep.settings
    open_units = sweep.hottest_open_partition_units
    table_units = sweep.discovery_table_units_per_second + sweep.ask_table_units_per_second
    needed_calls = sweep.asks_per_second_peak
    keeps_up = sweep.run_checks_per_second >= sweep.checks_per_second_average
    short_by = sweep.checks_per_second_average / max(sweep.run_checks_per_second, 1e-9)
    runs_every = settings.interval_seconds / 60
    lines = [
        "",
        "| Reconcile sweep at the peak | Model | Limit | Share |",
        "| --- | --- | --- | --- |",
        f"| Reads, open index (arrival minutes, due days) | "
        f"{sweep.open_index_units_per_second:,.1f} RCU/s | no index limit (on demand) | |",
        f"| Reads, hottest open-index partition (one arrival minute's shard, read once) | "
        f"{open_units:,.1f} RCU | {read_limit:,.0f} RCU/s | {_percent(open_units / read_limit)} |",
        f"| Reads, table (`TX#` events at discovery and per ask, watches per ask; `TX#` "
        f"partitions spread, each read once per look) | {table_units:,.0f} RCU/s | no table "
        f"limit (on demand) | |",
        f"| Writes, watches (put, reschedules, end; answers stored as events) | "
        f"{sweep.watch_write_units_per_second:,.0f} WCU/s | {write_limit:,.0f} WCU/s a "
        f"partition (each watch its own) | |",
        f"| Vendor calls (first asks at the peak's pace, later ones at the average) | "
        f"{needed_calls:,.1f}/s | {sweep.calls_allowed_per_second:,.1f}/s "
        f"(ReconcileMaxCallsPerSecond {settings.max_calls_per_second:g}, MaxPerRun "
        f"{settings.max_per_run:,}, {settings.concurrent_asks} in flight, every "
        f"{runs_every:g} min) | {_percent(needed_calls / sweep.calls_allowed_per_second)} |",
        f"| Discovery: transactions to check (hourly average; peak "
        f"{sweep.checks_per_second_peak:,.0f}/s) | {sweep.checks_per_second_average:,.0f}/s | "
        f"{sweep.run_checks_per_second:,.1f}/s ({settings.discovery_parts} parts, a run "
        f"each every {runs_every:g} min) | "
        f"{_percent(sweep.checks_per_second_average / max(sweep.run_checks_per_second, 1e-9))} |",
    ]
    rate_needed = max(sweep.asks_per_second_peak, sweep.asks_per_second_average)
    verdict = "keeps up" if keeps_up else f"does NOT keep up: it falls {short_by:,.0f}x behind"
    notes = [
        f"Reconcile sweep: {sweep.checks_per_second_peak:,.0f} transactions/s with an "
        f"in-progress event at the peak ({sweep.entries_per_second_peak:,.0f} open-index "
        f"entries/s, {sweep.mean_entry_bytes:,.0f} bytes each; "
        f"{sweep.entries_per_shard_minute:,.0f} per arrival minute's shard); each read once at "
        f"discovery (its events at most {sweep.transaction_bytes:,} bytes: 0.5 RCU). "
        f"{QUIET_SHARE:.0%} go quiet and are watched ({DROPPED_SHARE:.0%} whose callbacks are "
        f"dropped + {SLOWER_THAN_QUIET_SHARE:.0%} slower than the quiet time): "
        f"{sweep.watches_per_second_peak:,.0f} watches/s at the peak, "
        f"{sweep.calls_per_watch:.2f} vendor calls each ({sweep.calls_source}).",
        f"Vendor calls: {sweep.asks_per_second_peak:,.1f}/s at the peak, "
        f"{sweep.asks_per_second_average:,.1f}/s on the hour's average, against "
        f"{sweep.calls_allowed_per_second:,.1f}/s the defaults allow (ReconcileMaxCallsPerSecond "
        f"{settings.max_calls_per_second:g} over a {settings.run_seconds:.0f} s run, at most "
        f"{settings.max_per_run:,} per run, one run every {runs_every:g} min; up to "
        f"{settings.concurrent_asks} asks in flight, at {ASK_SECONDS:g} s an ask at most "
        f"{settings.ask_pace_ceiling:,.0f}/s a run): the default "
        + (
            "keeps up."
            if sweep.calls_allowed_per_second >= rate_needed
            else "does not keep up. "
            + _calls_setting(sweep, sweep.asks_per_second_average, "The average")
            + "; "
            + _calls_setting(sweep, sweep.asks_per_second_peak, "the peak")
            + " (within the vendor's quota, which the look-ups share)."
        ),
        f"Discovery: {sweep.check_cpu_seconds * 1e6:,.0f} µs CPU per transaction checked "
        f"(measured on this machine through the real `Discovery`, botocore answered at its "
        f"send hook, no moto), so {sweep.cpu_checks_per_second:,.0f} checks/s on the "
        f"{settings.memory_mb} MB function's {settings.vcpu:.2f} vCPU; "
        f"{settings.discovery_parts} parts side by side (each "
        f"{keys.WRITE_SHARDS // settings.discovery_parts} of the {keys.WRITE_SHARDS} write "
        f"shards), each a run of {settings.run_seconds:.0f} s "
        f"every {runs_every:g} min: {sweep.run_checks_per_second:,.1f} checks/s against "
        f"{sweep.checks_per_second_average:,.0f}/s needed on average (peak "
        f"{sweep.checks_per_second_peak:,.0f}/s). Discovery {verdict}: it keeps up to about "
        f"{10 * sweep.run_checks_per_second / sweep.checks_per_second_average:,.1f}M callbacks "
        "an hour on average"
        + (
            "."
            if keeps_up
            else "; past that nothing is lost, but watches start late. More parts (a "
            "schedule each, and the function's reserved concurrency) keep up with more."
        ),
    ]
    return lines, notes
