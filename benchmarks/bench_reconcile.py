"""Reconcile sweep: vendor calls per reconciled transaction, on a simulated clock.

    .venv/bin/python benchmarks/bench_reconcile.py [--transactions 500] [--late-share 0.10]
        [--unknown-share 0.02] [--seed 11]

A population of transactions whose callbacks were all dropped after the first in-progress
one, and the real sweep (discovery's parts, then the asks) over them until the horizon has
closed the last:

- Each transaction is a plan of the local simulator (``simulator.lifecycle.plan_recipient``)
  on a channel that reports an in-progress status first (sms, rt, push, fb, email), sent at
  an even pace over ``SEND_WINDOW`` (a burst: the fewer minutes, the fewer the passes, and
  the fewer the open-index queries per transaction, 32 an arrival minute whatever it
  holds). Only its first callback is stored, through the real ``EventStore`` on moto
  (in-process ``mock_aws``), received when the plan posts it.
- The status API answers from the simulator's own ledger (``Ledger.answer``, which builds
  ``transaction_view``) as of the sweep's clock: the latest step the plan has reached by
  then. The simulator's lifecycles settle in seconds; ``--late-share`` of the transactions
  instead reach their final step ``LATE_FROM``-``LATE_UNTIL`` after the in-progress one
  (log-uniform: carriers settling receipts after hours), and ``--unknown-share`` are not in
  the ledger at all, so the vendor answers 7600 ("no results") until the horizon closes
  them.
- The sweep runs with the template's defaults (quiet time, horizon, per-run bound) every
  ``ReconcileIntervalMinutes`` of simulated time. Its ``now`` is the simulated clock; its
  wall clock follows it until every arrival minute of the population has been read, then
  stays there (as the integration tests do), so discovery reads the population's minutes
  exactly once and no empty minute after them. Once discovery is done, a pass runs only at
  the scheduled times where a watch is due: the passes in between would find nothing (they
  cost a fixed number of reads whatever the traffic, counted once as an idle pass and
  reported apart).
- The sweep starts at the population's first arrival minute (its position is set there),
  as a sweep that has been running all along would be.

Reported: vendor calls per reconciled transaction (the calls made for transactions that
ended reconciled, over their number; goal at most ``CALLS_PER_RECONCILED_GOAL``), calls per
transaction overall (horizon-closed included), the share reconciled by the first ask, the
share closed at the horizon, and the sweep's table reads per transaction (query, get and
batch-get calls, counted at botocore's ``before-call`` hook of the sweep's client).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "layers" / "shared", REPO_ROOT / "functions", REPO_ROOT / "local"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
if str(REPO_ROOT / "benchmarks") not in sys.path:
    sys.path.append(str(REPO_ROOT / "benchmarks"))

from receipts.deadline import Deadline  # noqa: E402
from receipts.models.callback import parse_callback  # noqa: E402
from receipts.storage import EventStore, keys  # noqa: E402
from receipts.storage.watches import SweepState, WatchState, WatchStore  # noqa: E402
from receipts.vendor import VendorRejectedError  # noqa: E402
from reconcile.discovery import part_shards  # noqa: E402
from reconcile.pacing import CallPacer  # noqa: E402
from reconcile.run import SweepPolicy  # noqa: E402
from reconcile.summary import RunSummary, combined  # noqa: E402
from reconcile.sweep import AskingSweep, DiscoverySweep  # noqa: E402
from simulator.channels import PROFILES, ChannelProfile  # noqa: E402
from simulator.config import Quirks, Rates  # noqa: E402
from simulator.ledger import Ledger, SentTransaction  # noqa: E402
from simulator.lifecycle import TransactionPlan, new_transid, plan_recipient  # noqa: E402
from simulator.send_api import Recipient  # noqa: E402

CALLS_PER_RECONCILED_GOAL = 1.2
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
SEND_WINDOW = timedelta(minutes=15)
LATE_FROM = timedelta(minutes=30)
LATE_UNTIL = timedelta(hours=24)
SERVICE = "bench-service"
TABLE = "events-bench"
# Spelling and timestamp drift are harmless here; the other quirks are left out because
# only the first callback is stored: an out-of-order plan could post its final status
# first, and a fanned-out push would make one send several transactions.
QUIRKS = Quirks(
    spelling=True, timestamps=True, out_of_order=False, duplicates=False, multi_device=False
)
READ_OPERATIONS = frozenset({"Query", "GetItem", "BatchGetItem", "Scan"})
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


# ---- the population --------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationSpec:
    transactions: int = 500
    late_share: float = 0.10
    unknown_share: float = 0.02
    seed: int = 11
    send_window: timedelta = SEND_WINDOW


@dataclass(frozen=True)
class QuietTransaction:
    """One transaction as the bench set it up: what was stored, what the vendor knows."""

    transid: str
    kind: str  # "prompt", "late" or "unknown" (see the module's docstring)
    body: bytes  # its first callback, the only one that arrived
    received_at: datetime
    sent: SentTransaction
    settles_at: datetime | None  # when the vendor knows the final status (None: never)


def _channels() -> list[ChannelProfile]:
    """The channels whose first report is in progress: only they can go quiet unsettled."""
    return [profile for profile in PROFILES if profile.submitted is not None]


def _recipient(rng: random.Random, profile: ChannelProfile, index: int) -> Recipient:
    key = profile.destination_keys[0]
    value = f"9199{index:08d}" if key == "msisdn" else f"bench-{key}-{index:06d}"
    return Recipient(key, value, correlationid=f"bench-campaign-{index % 7}")


def _settling_late(plan: TransactionPlan, lateness: timedelta) -> TransactionPlan:
    """The plan with every step after the first moved ``lateness`` later."""
    first, *rest = plan.events
    moved = [replace(event, occurred_at=event.occurred_at + lateness) for event in rest]
    return replace(plan, events=(first, *moved))


def _log_uniform(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    low_s, high_s = low.total_seconds(), high.total_seconds()
    return timedelta(seconds=math.exp(rng.uniform(math.log(low_s), math.log(high_s))))


def plan_population(spec: PopulationSpec) -> list[QuietTransaction]:
    """``spec.transactions`` simulator plans, each first callback an in-progress one."""
    rng = random.Random(spec.seed)
    channels, rates = _channels(), Rates()
    spacing = spec.send_window / max(1, spec.transactions)
    late = round(spec.transactions * spec.late_share)
    unknown = round(spec.transactions * spec.unknown_share)
    kinds = ["late"] * late + ["unknown"] * unknown
    kinds += ["prompt"] * (spec.transactions - len(kinds))
    rng.shuffle(kinds)
    population = []
    for index, kind in enumerate(kinds):
        sent_at = START + spacing * index
        while True:
            profile = rng.choice(channels)
            (plan,) = plan_recipient(
                rng,
                profile,
                _recipient(rng, profile, index),
                transid=new_transid(rng),
                callback_data="",
                sent_at=sent_at,
                quirks=QUIRKS,
                rates=rates,
                pace=1.0,
            )
            first = plan.callbacks[0]
            # An email refused up front reports its failure first: nothing to reconcile.
            if plan.events[first.event_index].step == "submitted":
                break
        if kind == "late":
            plan = _settling_late(plan, _log_uniform(rng, LATE_FROM, LATE_UNTIL))
        sent = SentTransaction(plan, SERVICE, sent_at, {"text": "bench"})
        population.append(
            QuietTransaction(
                transid=plan.transid,
                kind=kind,
                body=first.body,
                received_at=sent_at + timedelta(seconds=first.due),
                sent=sent,
                settles_at=None if kind == "unknown" else plan.events[-1].occurred_at,
            )
        )
    return population


# ---- the vendor and the table, as the sweep sees them ----------------------------------------


@dataclass
class SimulatedClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SimulatedStatusApi:
    """The status API over the simulator's ledger, as of the simulated clock; counts calls."""

    ledger: Ledger
    clock: SimulatedClock
    calls: Counter[str] = field(default_factory=Counter)

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        self.calls[transid] += 1
        status, body = self.ledger.answer(transid, SERVICE, self.clock())
        if status == 200:
            return json.dumps(body)
        # What the status client raises for a vendor error body (7600, 7601).
        raise VendorRejectedError(str(body["code"]), str(body["description"]))


@dataclass
class TableCalls:
    """DynamoDB calls of the sweep's client, by operation and by where they read (counted
    at ``before-parameter-build``, where the call's own parameters are seen)."""

    operations: Counter[str] = field(default_factory=Counter)
    reads_by_target: Counter[str] = field(default_factory=Counter)
    counting: bool = True

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.counting:
            return
        self.operations[model.name] += 1
        if model.name in READ_OPERATIONS:
            self.reads_by_target[_read_target(model.name, params)] += 1

    @property
    def reads(self) -> int:
        return sum(count for name, count in self.operations.items() if name in READ_OPERATIONS)

    @property
    def writes(self) -> int:
        return sum(count for name, count in self.operations.items() if name in WRITE_OPERATIONS)


def _read_target(operation: str, params: dict[str, Any]) -> str:
    """Which read it is: the open index's arrival minutes or due days, or the table's keys."""
    if operation == "BatchGetItem":
        return "watch batch-gets"
    if operation == "GetItem":
        return "gets"
    if params.get("IndexName") == keys.OPEN_INDEX:
        key = str(params.get("ExpressionAttributeValues", {}).get(":key", {}).get("S", ""))
        return "due-watch queries" if key.startswith(keys.DUE_WORD) else "arrival-minute queries"
    return "transaction queries"


# ---- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepDefaults:
    """The template's defaults for the sweep."""

    interval: timedelta
    after: timedelta
    horizon: timedelta
    max_per_run: int
    parts: int  # discovery's parts, side by side

    @classmethod
    def from_template(cls) -> SweepDefaults:
        from capacity_reconcile import discovery_parts
        from local_stack.template import load_template

        template = load_template()
        parameters = template["Parameters"]

        def default(name: str) -> float:
            return float(parameters[name]["Default"])

        return cls(
            interval=timedelta(minutes=default("ReconcileIntervalMinutes")),
            after=timedelta(minutes=default("ReconcileAfterMinutes")),
            horizon=timedelta(hours=default("ReconcileHorizonHours")),
            max_per_run=int(default("ReconcileMaxPerRun")),
            parts=discovery_parts(template),
        )


@dataclass
class ReconcileFigures:
    spec: PopulationSpec
    kinds: dict[str, str]  # transid -> kind
    outcomes: dict[str, WatchState | None]  # transid -> how its watch ended (None: no watch)
    calls: Counter[str]
    table: TableCalls
    idle_pass_reads: int
    passes_run: int
    passes_skipped: int
    simulated: timedelta
    elapsed_seconds: float

    @property
    def transactions(self) -> int:
        return len(self.kinds)

    def _with(self, state: WatchState) -> list[str]:
        return [transid for transid, ended in self.outcomes.items() if ended is state]

    @property
    def reconciled(self) -> int:
        return len(self._with(WatchState.RECONCILED))

    @property
    def calls_per_reconciled(self) -> float:
        """Calls made for the transactions that ended reconciled, over their number."""
        reconciled = self._with(WatchState.RECONCILED)
        return sum(self.calls[t] for t in reconciled) / len(reconciled) if reconciled else 0.0

    @property
    def calls_per_transaction(self) -> float:
        return sum(self.calls.values()) / max(1, self.transactions)

    @property
    def first_ask_share(self) -> float:
        """Transactions reconciled by their first (and only) call, of all."""
        firsts = [t for t in self._with(WatchState.RECONCILED) if self.calls[t] == 1]
        return len(firsts) / max(1, self.transactions)

    @property
    def horizon_share(self) -> float:
        return len(self._with(WatchState.CLOSED)) / max(1, self.transactions)

    def calls_per_kind(self, kind: str) -> float:
        chosen = [transid for transid, k in self.kinds.items() if k == kind]
        return sum(self.calls[t] for t in chosen) / len(chosen) if chosen else 0.0

    @property
    def late_share_for_goal(self) -> float | None:
        """The late share at which calls per reconciled would reach the goal, the calls of
        a prompt and of a late transaction as measured (None without late ones)."""
        prompt, late = self.calls_per_kind("prompt") or 1.0, self.calls_per_kind("late")
        if late <= prompt:
            return None
        reconcilable = 1 - self.spec.unknown_share
        return (CALLS_PER_RECONCILED_GOAL - prompt) * reconcilable / (late - prompt)

    @property
    def reads_per_transaction(self) -> float:
        return self.table.reads / max(1, self.transactions)

    @property
    def writes_per_transaction(self) -> float:
        return self.table.writes / max(1, self.transactions)


class _Pass:
    """One scheduled pass: every part of discovery, then the asks (as the schedules run
    them, each part its own function invocation)."""

    def __init__(
        self,
        events: EventStore,
        watches: WatchStore,
        vendor: SimulatedStatusApi,
        defaults: SweepDefaults,
        wall: datetime,
    ) -> None:
        policy = SweepPolicy(
            after=defaults.after,
            horizon=defaults.horizon,
            max_per_run=defaults.max_per_run,
            alert_on_no_receipt=True,
        )
        self._parts = defaults.parts
        self._discovery = DiscoverySweep(
            events=events, watches=watches, policy=policy, wall_clock=lambda: wall
        )
        self._asking = AskingSweep(
            events=events,
            watches=watches,
            status_api=vendor,
            policy=policy,
            # Simulated time: the pacing's waits would only stretch the benchmark.
            pacer=CallPacer(1000.0, sleep=lambda _seconds: None),
            vendor_timeout_seconds=4.0,
            wall_clock=lambda: wall,
        )

    def run(self, now: datetime) -> RunSummary:
        parts = [
            self._discovery.run(Deadline.unbounded(), part=part, parts=self._parts, now=now)
            for part in range(self._parts)
        ]
        return combined(parts, self._asking.run(Deadline.unbounded(), now=now))


def _start_position(watches: WatchStore, bucket: str, at: datetime, parts: int) -> None:
    """Where a sweep running all along would be: every part at the population's first
    minute."""
    owner = "bench-setup"
    for part in range(parts):
        state_key = keys.discovery_state_key(part, parts)
        assert watches.acquire_lease(
            owner, now=at, until=at + timedelta(minutes=1), state_key=state_key
        )
        position = SweepState(bucket, part_shards(part, parts)[0], None, None)
        watches.save_position(owner, position, state_key=state_key)
        watches.release_lease(owner, state_key=state_key)


def _watch_states() -> tuple[dict[str, WatchState], datetime | None]:
    """Every watch's state, and the earliest due time of those still watched: bookkeeping,
    read from moto's memory (not through the API: the sweep makes no such reads, and a Scan
    per pass would cost more than the pass)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE)
    states: dict[str, WatchState] = {}
    next_due: datetime | None = None
    for partition in table.items.values():
        for item in partition.values():
            key = str(item.hash_key.value)
            if not key.startswith("WATCH#"):
                continue
            state = WatchState(item.attrs["state"].value)
            states[key.removeprefix("WATCH#")] = state
            if state is WatchState.WATCHING:
                due = datetime.fromisoformat(item.attrs["due_at"].value.replace("Z", "+00:00"))
                next_due = due if next_due is None else min(next_due, due)
    return states, next_due


def _next_pass(after: datetime, due: datetime, interval: timedelta) -> datetime:
    """The first scheduled pass (a multiple of ``interval`` from START) at or after ``due``,
    and after ``after``."""
    steps = max(math.ceil((due - START) / interval), math.floor((after - START) / interval) + 1)
    return START + interval * steps


def measure(
    spec: PopulationSpec = PopulationSpec(), defaults: SweepDefaults | None = None
) -> ReconcileFigures:
    """Store the population, sweep until nothing is watched, and count."""
    from _moto_partitions import moto_events_table
    from reconcile.discovery import ARRIVAL_GRACE

    defaults = defaults or SweepDefaults.from_template()
    started = time.perf_counter()
    population = plan_population(spec)
    clock = SimulatedClock()
    ledger = Ledger()
    for quiet in population:
        if quiet.kind != "unknown":
            ledger.add(quiet.sent)
    vendor = SimulatedStatusApi(ledger, clock)
    table = TableCalls()
    with moto_events_table(TABLE) as session:
        bookkeeping = session.client("dynamodb")
        setup = EventStore(bookkeeping, TABLE)
        for quiet in population:
            assert setup.put_event(parse_callback(quiet.body), received_at=quiet.received_at)
        first_arrival = min(quiet.received_at for quiet in population)
        _start_position(
            WatchStore(bookkeeping, TABLE),
            keys.arrival_bucket(first_arrival),
            START,
            defaults.parts,
        )

        client = session.client("dynamodb")
        client.meta.events.register("before-parameter-build.dynamodb", table.before_call)
        events, watches = EventStore(client, TABLE), WatchStore(client, TABLE)
        last_bucket = keys.arrival_bucket(max(quiet.received_at for quiet in population))
        # The wall clock stops at the first pass by which every arrival minute is read.
        wall_stop = _next_pass(
            START, keys.bucket_end(last_bucket) + defaults.after + ARRIVAL_GRACE, defaults.interval
        )
        at = START + defaults.interval
        passes_run = 0
        while True:
            clock.now = at
            _Pass(events, watches, vendor, defaults, min(at, wall_stop)).run(at)
            passes_run += 1
            _, next_due = _watch_states()
            if at >= wall_stop and next_due is None:
                break
            if at < wall_stop:
                at += defaults.interval
            else:
                at = _next_pass(at, next_due or at, defaults.interval)
        ended = at
        # One pass with nothing to do: what every skipped pass would have read.
        table.counting = False
        idle = TableCalls()
        client.meta.events.register("before-parameter-build.dynamodb", idle.before_call)
        clock.now = ended + defaults.interval
        _Pass(events, watches, vendor, defaults, wall_stop).run(clock.now)
        states, _ = _watch_states()
    scheduled = math.floor((ended - START) / defaults.interval)
    return ReconcileFigures(
        spec=spec,
        kinds={quiet.transid: quiet.kind for quiet in population},
        outcomes={quiet.transid: states.get(quiet.transid) for quiet in population},
        calls=vendor.calls,
        table=table,
        idle_pass_reads=idle.reads,
        passes_run=passes_run,
        passes_skipped=scheduled - passes_run,
        simulated=ended - START,
        elapsed_seconds=time.perf_counter() - started,
    )


# ---- report ----------------------------------------------------------------------------------


def table_rows(figures: ReconcileFigures) -> list[tuple[str, str, str, str]]:
    """(figure, measured, baseline, ratio) rows, as ``make bench`` shows them."""
    n = figures.transactions
    spec = figures.spec
    population = (
        f"{n:,} quiet transactions, {spec.late_share:.0%} settling late, "
        f"{spec.unknown_share:.0%} unknown to the vendor"
    )
    reads = figures.table.reads_by_target
    read_parts = ", ".join(f"{reads[name] / n:.2f} {name}" for name in sorted(reads))
    return [
        (
            f"Reconcile: vendor calls per reconciled transaction ({population})",
            f"{figures.calls_per_reconciled:.2f} ({figures.first_ask_share:.1%} of all "
            f"reconciled by the first ask)",
            f"goal: at most {CALLS_PER_RECONCILED_GOAL}",
            f"{figures.calls_per_reconciled / CALLS_PER_RECONCILED_GOAL:.2f}x",
        ),
        (
            "Reconcile: vendor calls per transaction, horizon-closed included",
            f"{figures.calls_per_transaction:.2f} ({figures.horizon_share:.1%} closed at "
            f"the horizon)",
            "one call each: 1.00",
            f"{figures.calls_per_transaction:.2f}x",
        ),
        (
            "Reconcile: the sweep's table reads per transaction (query, get, batch-get calls)",
            f"{figures.reads_per_transaction:.2f} ({read_parts}); "
            f"{figures.writes_per_transaction:.2f} writes",
            "its events read once: 1.00",
            f"{figures.reads_per_transaction:.2f}x",
        ),
    ]


def notes(figures: ReconcileFigures) -> str:
    late = figures.late_share_for_goal
    break_even = (
        f"; at these costs the goal holds while at most {late:.1%} settle late"
        if late is not None
        else ""
    )
    return (
        f"Reconcile (`benchmarks/bench_reconcile.py`): {figures.transactions:,} simulator "
        f"plans (sms, rt, push, fb, email) whose callbacks were dropped after the first "
        f"in-progress one, stored through `EventStore` on moto; the vendor answers from the "
        f"simulator's ledger as of the sweep's clock; late ones settle "
        f"{LATE_FROM.total_seconds() / 60:.0f} min-{LATE_UNTIL.total_seconds() / 3600:.0f} h "
        f"after (log-uniform), unknown ones get 7600 until the horizon. Calls per prompt / "
        f"late / unknown transaction: {figures.calls_per_kind('prompt'):.2f} / "
        f"{figures.calls_per_kind('late'):.2f} / {figures.calls_per_kind('unknown'):.2f}"
        f"{break_even}. {figures.simulated.total_seconds() / 3600:.1f} h simulated in "
        f"{figures.elapsed_seconds:.1f} s: {figures.passes_run} passes run, "
        f"{figures.passes_skipped} scheduled passes with nothing due skipped (an idle pass "
        f"reads {figures.idle_pass_reads} times, whatever the traffic); the sweep's wall "
        "clock stops once every arrival minute is read, so no empty minute after them is."
    )


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=PopulationSpec.transactions)
    parser.add_argument("--late-share", type=float, default=PopulationSpec.late_share)
    parser.add_argument("--unknown-share", type=float, default=PopulationSpec.unknown_share)
    parser.add_argument("--seed", type=int, default=PopulationSpec.seed)
    options = parser.parse_args(arguments)
    figures = measure(
        PopulationSpec(
            options.transactions, options.late_share, options.unknown_share, options.seed
        )
    )
    for row in table_rows(figures):
        print(" | ".join(row))
    print(notes(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
