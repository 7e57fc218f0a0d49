"""``make capacity``: the events table's partition keys at 10M callbacks an hour, 3x bursts.

    .venv/bin/python benchmarks/capacity.py [--callbacks-per-hour 10000000] [--burst 3.0]
        [--seconds 4] [--seed 1]

One machine cannot carry the product's peak, so this models it: the peak window is
simulated second by second (seeded), and every callback in it becomes a real
``DeliveryEvent`` (a seed body with its transid, destination, correlation id and time
substituted, parsed by ``parse_callback``) and then the real stored item
(``EventStore.event_item``). Rejected bodies go through ``EventStore.quarantine`` and alerts
through the alerts function's ``DynamoAlertLedger``, both on a recording client. So every
key comes from the layer's own key builders, and a change there (write sharding) changes
the figures with no change here.

Assumptions, all stated here and in the report:

- Traffic: ``--callbacks-per-hour`` on average; the peak is ``--burst`` times that rate, and
  the whole simulated window is at the peak.
- Channel mix: messages per channel in the proportions of the seed callbacks in
  ``events/http/callbacks`` (samples per channel).
- Callbacks per message: each channel sends, in order, the success statuses its seed
  samples show (sorted by the lifecycle's rank): sms and email submitted, delivered; push,
  rtm and facebook submitted, delivered, read; twitter and wechat delivered; voice
  answered. A message's callbacks share its transid; in steady state every stage arrives
  at the message rate.
- Failures: ``FAILURE_SHARE`` of messages fail; the failure callback (the channel's first
  failure seed, or its last success seed with the status "Failed" when it has none)
  replaces the final success. Each failure raises an alert at once (the pipe and queue
  delays are left out), and the alerts function is in storm mode for the whole window (a
  burst follows a stormy window), so each alert makes the ledger calls of a digest-bound
  alert in a window known to be stormy: ``get_alert``, ``count_into_digest``,
  ``claim_alert``. A ledger update
  costs ``LEDGER_UPDATE_UNITS`` (the window and alert items stay under 1 KB).
- Campaigns: one correlation id per ``CAMPAIGN_MESSAGES`` messages. Conservative: during a
  burst the whole traffic is one campaign (the window holds far fewer messages than one
  campaign, and the first message is a campaign's first).
- Destinations: every message has its own, but ``TEST_DESTINATIONS`` test numbers receive
  ``TEST_MESSAGES_PER_HOUR`` SMS each (average rate, times the burst at the peak).
- Rejected bodies: ``QUARANTINE_SHARE`` of requests are bodies without a transid, rejected
  by ``parse_callback`` and quarantined, on top of the callbacks.
- All of the window is in one UTC day (one open key and one quarantine day).
- Write units: one per started KB of what is written to the table or an index (an index
  entry holds the table's keys, its own keys and its projected attributes, as
  ``template.yaml`` declares them); item sizes and units by ``dynamodb_sizes``, shared with
  ``make bench``.
- Reads: ``LOOKUPS_PER_MESSAGE`` status look-up per message within the hour (times the
  burst at the peak), each a ``get_item`` of ``CACHE#{transid}`` and a query of the
  ``TX#{transid}`` partition, eventually consistent (half a unit per started 4 KB).
- Limits: 1,000 write units and 3,000 read units a second per partition; 1,000 concurrent
  executions per account (the default quota); the webhook route's throttle from
  ``template.yaml``.
- Lambda: concurrency = peak requests a second x billed seconds per callback, the billed
  duration being the measured warm cost from ``benchmarks/latest.md`` (``make bench``) plus
  ``run_all.DYNAMODB_ROUND_TRIP_MS``, rounded up to the millisecond.

Prints a Markdown report, writes it to ``benchmarks/latest-capacity.md`` and refreshes the
README's benchmark section. The last line printed is the summary.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
for _path in (REPO_ROOT / "layers" / "shared", REPO_ROOT / "functions", REPO_ROOT / "local"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

from dynamodb_sizes import index_shapes, item_size, write_units  # noqa: E402
from receipts.channels import Channel  # noqa: E402
from receipts.errors import NotificationValidationError  # noqa: E402
from receipts.lifecycle import DeliveryStatus  # noqa: E402
from receipts.models.callback import DeliveryEvent, parse_callback  # noqa: E402
from receipts.storage import EventStore, keys  # noqa: E402
from receipts.storage.event_store import CachedAnswer  # noqa: E402

CALLBACKS_DIR = REPO_ROOT / "events" / "http" / "callbacks"
STATUS_ANSWER_SAMPLE = REPO_ROOT / "events" / "status_api" / "01-sms.json"
LATEST_BENCH_PATH = BENCHMARKS / "latest.md"
LATEST_PATH = BENCHMARKS / "latest-capacity.md"

PARTITION_WRITE_LIMIT = 1000  # write units a second per partition
PARTITION_READ_LIMIT = 3000  # read units a second per partition
ACCOUNT_CONCURRENCY = 1000  # Lambda's default concurrent executions per account
WARNING_SHARE = 0.5  # above half a partition's limit, a burst a bit larger throttles

FAILURE_SHARE = 0.05
QUARANTINE_SHARE = 0.005
CAMPAIGN_MESSAGES = 1_000_000
TEST_DESTINATIONS = 5
TEST_MESSAGES_PER_HOUR = 5_000
LOOKUPS_PER_MESSAGE = 1
LEDGER_UPDATE_UNITS = 1
# Midday, so a simulated window (seconds to minutes) stays within one UTC day.
PEAK_START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEFAULT_SECONDS = 4

BASE_TABLE = "table"
KEY_KINDS = {
    "TX": "transaction",
    "CORR": "correlation",
    "OPEN": "in-progress",
    "QUARANTINE": "quarantine",
    "DEST": "destination",
    "CACHE": "cached answer",
    "ALERT": "alert",
    "STORM": "alert window",
}


# ---- sizes, units, kinds ---------------------------------------------------------------------


def read_units(size: int, *, consistent: bool = False) -> float:
    """One read unit per started 4 KB, half of it when eventually consistent."""
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def key_kind(key: str) -> str:
    """What a partition key value holds, from its prefix (a write shard's ``.{k}`` dropped)."""
    word = key.split("#", 1)[0].split(".", 1)[0]
    return KEY_KINDS.get(word, word.lower())


def share_of_limit(units_per_second: float, limit: float = PARTITION_WRITE_LIMIT) -> float:
    return units_per_second / limit


# ---- the table and its indexes, as template.yaml declares them ----------------------------------


def load_template() -> dict[str, Any]:
    from local_stack.template import load_template as load

    return load()


# ---- load per partition key --------------------------------------------------------------------


@dataclass
class PartitionLoad:
    """Units on each partition key value of one table or index, second by second."""

    name: str
    _second: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    peak: dict[str, float] = field(default_factory=dict)  # busiest second of each key
    totals: list[float] = field(default_factory=list)  # every key, each second

    def add(self, key: str, units: float) -> None:
        self._second[key] += units

    def end_second(self) -> None:
        for key, units in self._second.items():
            if units > self.peak.get(key, 0.0):
                self.peak[key] = units
        self.totals.append(float(sum(self._second.values())))
        self._second = defaultdict(float)

    def hottest(self) -> tuple[str, float]:
        if not self.peak:
            return "", 0.0
        key = max(self.peak, key=lambda name: (self.peak[name], name))
        return key, self.peak[key]

    @property
    def mean_total(self) -> float:
        return sum(self.totals) / len(self.totals) if self.totals else 0.0


@dataclass(frozen=True)
class HotKey:
    target: str  # the table or index
    key: str
    units_per_second: float
    limit: float = PARTITION_WRITE_LIMIT

    @property
    def kind(self) -> str:
        return key_kind(self.key)

    @property
    def share(self) -> float:
        return share_of_limit(self.units_per_second, self.limit)


def hottest_of(loads: Mapping[str, PartitionLoad], limit: float) -> HotKey:
    """The key with the most units in one second, across every table and index."""
    candidates = [HotKey(name, *load.hottest(), limit=limit) for name, load in loads.items()]
    return max(candidates, key=lambda hot: (hot.units_per_second, hot.target))


class RecordingClient:
    """Takes the DynamoDB calls the layer's writers make and keeps them; no AWS."""

    def __init__(self, window_alerts: int = 0) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._window_alerts = window_alerts

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("put_item", request))
        return {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("update_item", request))
        # The window's counter as a storm leaves it: past the threshold, its chain running.
        return {
            "Attributes": {
                "alerts": {"N": str(self._window_alerts)},
                "chain_active": {"BOOL": True},
                "marker_sequence": {"N": "0"},
            }
        }

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("get_item", request))
        return {}

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        calls, self.calls = self.calls, []
        return calls


# ---- traffic -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    callbacks_per_hour: int = 10_000_000
    burst: float = 3.0
    seconds: int = DEFAULT_SECONDS
    seed: int = 1

    @property
    def peak_callbacks_per_second(self) -> float:
        return self.callbacks_per_hour * self.burst / 3600


@dataclass(frozen=True)
class SeedCallback:
    name: str
    body: str
    headers: Mapping[str, str]
    event: DeliveryEvent


@dataclass(frozen=True)
class ChannelPlan:
    channel: Channel
    samples: int
    success: tuple[SeedCallback, ...]  # a delivered message's callbacks, in order
    failure: SeedCallback  # replaces the final success of a failed message

    def callbacks(self, failed: bool) -> tuple[SeedCallback, ...]:
        return (*self.success[:-1], self.failure) if failed else self.success


def load_seeds(folder: Path = CALLBACKS_DIR) -> list[SeedCallback]:
    seeds = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        body = document["body"]
        seeds.append(SeedCallback(path.stem, body, document["headers"], parse_callback(body)))
    return seeds


def _with_status(seed: SeedCallback, status: str) -> SeedCallback:
    payload = json.loads(seed.body)
    info = _notification(payload)["deliveryInfo"]
    _set_field(info, "deliveryStatus", status)
    body = json.dumps(payload, separators=(",", ":"))
    return SeedCallback(f"{seed.name} as {status}", body, seed.headers, parse_callback(body))


def channel_plans(seeds: list[SeedCallback]) -> list[ChannelPlan]:
    by_channel: dict[Channel, list[SeedCallback]] = defaultdict(list)
    for seed in seeds:
        by_channel[seed.event.channel].append(seed)
    plans = []
    for channel, samples in by_channel.items():
        first_of_status: dict[DeliveryStatus, SeedCallback] = {}
        for seed in samples:
            if not seed.event.is_failure:
                first_of_status.setdefault(seed.event.status, seed)
        success = tuple(
            first_of_status[status] for status in sorted(first_of_status, key=lambda s: s.rank)
        )
        failures = [seed for seed in samples if seed.event.is_failure]
        failure = failures[0] if failures else _with_status(success[-1], "Failed")
        plans.append(ChannelPlan(channel, len(samples), success, failure))
    return plans


def _notification(payload: dict[str, Any]) -> dict[str, Any]:
    notification: dict[str, Any] = payload["deliveryInfoNotification"]
    return notification


def _set_field(container: dict[str, Any], name: str, value: str) -> None:
    """Set a field under whichever spelling of its name the seed uses."""
    spelled = next((key for key in container if key.lower() == name.lower()), name)
    container[spelled] = value


def _timestamp(instant: datetime) -> str:
    # The platform's spelling: local time without an offset, milliseconds.
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}"


@dataclass
class Message:
    transid: str
    destination: str
    correlationid: str
    plan: ChannelPlan
    failed: bool


# ---- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Webhook:
    billed_ms: int
    measured_ms: float
    rate_limit: float
    burst_limit: float
    throttle_source: str


@dataclass
class CapacityResult:
    traffic: Traffic
    writes: dict[str, PartitionLoad]
    reads: dict[str, PartitionLoad]
    requests_per_second: float
    callbacks: int
    rejected: int
    messages_per_second: float
    lookups_per_second: float
    alerts: int
    plans: list[ChannelPlan]
    elapsed_seconds: float
    # The open index's in-progress entries of the window: each one's size, and how many
    # transactions they name (the reconcile sweep reads each arrival minute's once).
    open_entry_sizes: list[int] = field(default_factory=list)
    open_transactions: int = 0

    @property
    def hottest_write(self) -> HotKey:
        return hottest_of(self.writes, PARTITION_WRITE_LIMIT)

    @property
    def hottest_read(self) -> HotKey:
        return hottest_of(self.reads, PARTITION_READ_LIMIT)

    def keys_above(self, share: float = WARNING_SHARE) -> list[HotKey]:
        found = [
            HotKey(name, key, units)
            for name, load in self.writes.items()
            for key, units in load.peak.items()
            if share_of_limit(units) > share
        ]
        return sorted(found, key=lambda hot: -hot.units_per_second)


class CapacityModel:
    """Simulates the peak window through the layer's writers and counts units per key."""

    def __init__(self, traffic: Traffic, template: Mapping[str, Any] | None = None) -> None:
        self.traffic = traffic
        self._random = random.Random(traffic.seed)
        template = template if template is not None else load_template()
        self._indexes = index_shapes(template)
        parameters = template.get("Parameters", {})
        self._storm_threshold = int(parameters.get("StormThreshold", {}).get("Default", 20))
        self._storm_seconds = int(parameters.get("StormWindowSeconds", {}).get("Default", 300))
        self._events = EventStore(None, "events")  # type: ignore[arg-type]  # event_item makes no call
        self._recorder = RecordingClient(window_alerts=self._storm_threshold + 1)
        self._recording_store = EventStore(self._recorder, "events")  # type: ignore[arg-type]
        self._plans = channel_plans(load_seeds())
        self._status_answer = json.loads(STATUS_ANSWER_SAMPLE.read_text(encoding="utf-8"))
        self._message_count = 0
        self._partition_bytes: dict[str, int] = defaultdict(int)
        self.writes = {BASE_TABLE: PartitionLoad(BASE_TABLE)} | {
            shape.name: PartitionLoad(shape.name) for shape in self._indexes
        }
        self.reads = {BASE_TABLE: PartitionLoad(BASE_TABLE)}
        self._open_entry_sizes: list[int] = []
        self._open_transactions: set[str] = set()

    # ---- rates ------------------------------------------------------------------------------

    @property
    def plans(self) -> list[ChannelPlan]:
        return self._plans

    @property
    def callbacks_per_message(self) -> float:
        samples = sum(plan.samples for plan in self._plans)
        return sum(plan.samples / samples * len(plan.success) for plan in self._plans)

    @property
    def peak_messages_per_second(self) -> float:
        return self.traffic.peak_callbacks_per_second / self.callbacks_per_message

    def _test_share_of_sms(self) -> float:
        samples = sum(plan.samples for plan in self._plans)
        sms = sum(plan.samples for plan in self._plans if plan.channel is Channel.SMS) / samples
        sms_per_hour = self.traffic.callbacks_per_hour / self.callbacks_per_message * sms
        return min(1.0, TEST_DESTINATIONS * TEST_MESSAGES_PER_HOUR / sms_per_hour) if sms else 0.0

    # ---- messages and callbacks --------------------------------------------------------------

    def _identifier(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _new_message(self, plan: ChannelPlan, failed: bool) -> Message:
        number = self._message_count
        self._message_count += 1
        destination = plan.success[0].event.destination
        if plan.channel is Channel.SMS and self._random.random() < self._test_share:
            destination = f"91999000{self._random.randrange(TEST_DESTINATIONS):04d}"
        elif "@" in destination:
            destination = f"user{number:010d}@{destination.split('@', 1)[1]}"
        else:
            destination = destination[: max(0, len(destination) - 10)] + f"{number:010d}"
        campaign = f"campaign-{number // CAMPAIGN_MESSAGES:04d}"
        return Message(self._identifier(), destination, campaign, plan, failed)

    def _body(self, seed: SeedCallback, message: Message, instant: datetime) -> str:
        payload = json.loads(seed.body)
        notification = _notification(payload)
        _set_field(notification, "transid", message.transid)
        _set_field(notification, "correlationid", message.correlationid)
        info = notification["deliveryInfo"]
        _set_field(info, "destination", message.destination)
        _set_field(info, "timeStamp", _timestamp(instant))
        return json.dumps(payload, separators=(",", ":"))

    # ---- writes -------------------------------------------------------------------------------

    def _count_item(self, item: dict[str, Any]) -> None:
        key = item[keys.PARTITION_KEY]["S"]
        size = item_size(item)
        self._partition_bytes[key] += size
        self.writes[BASE_TABLE].add(key, write_units(size))
        for shape in self._indexes:
            entry = shape.entry(item)
            if entry is not None:
                self.writes[shape.name].add(
                    entry[shape.partition_attribute]["S"], write_units(item_size(entry))
                )
                if shape.name == keys.OPEN_INDEX:
                    self._open_entry_sizes.append(item_size(entry))
                    self._open_transactions.add(key)

    def _count_recorded(self) -> None:
        """The recording client's calls: puts sized as written, updates and reads as stated."""
        for operation, request in self._recorder.take():
            if operation == "put_item":
                self._count_item(request["Item"])
            elif operation == "update_item":
                key = request["Key"][keys.PARTITION_KEY]["S"]
                self.writes[BASE_TABLE].add(key, LEDGER_UPDATE_UNITS)
            else:
                key = request["Key"][keys.PARTITION_KEY]["S"]
                self.reads[BASE_TABLE].add(key, read_units(1, consistent=True))

    def _callback(self, seed: SeedCallback, message: Message, instant: datetime) -> None:
        event = parse_callback(self._body(seed, message, instant))
        item = self._events.event_item(event, received_at=instant, gtrid=self._identifier())
        self._count_item(item)
        if event.is_failure:
            self._alert(event, instant)

    def _alert(self, event: DeliveryEvent, instant: datetime) -> None:
        """The ledger calls of one digest-bound alert, in the alerts service's order."""
        from alerts.ledger import DynamoAlertLedger
        from alerts.model import AlertMode, AlertRecord, StormWindow, digest_counter_name

        ledger = DynamoAlertLedger(self._recorder, "events")  # type: ignore[arg-type]
        window = StormWindow.containing(instant, self._storm_seconds)
        ledger.get_alert(event.transid, event.status)
        counter = digest_counter_name(event.channel, event.status, event.code)
        ledger.count_into_digest(window, counter, event.transid)
        ledger.claim_alert(
            AlertRecord(event.transid, event.status, AlertMode.DIGEST, window), instant
        )
        self.alerts += 1
        self._count_recorded()

    def _rejected(self, instant: datetime) -> None:
        seed = self._random.choice(self._seeds)
        payload = json.loads(seed.body)
        _notification(payload).pop("transid", None)
        body = json.dumps(payload, separators=(",", ":"))
        try:
            parse_callback(body)
        except NotificationValidationError as error:
            self._recording_store.quarantine(
                body=body.encode(),
                received_at=instant,
                request_id=self._identifier(),
                reason=error.message,
                error_code=error.code,
                field=error.field,
                headers=seed.headers,
            )
        else:
            raise AssertionError(f"{seed.name} without its transid was accepted")
        self._count_recorded()

    # ---- reads -------------------------------------------------------------------------------

    def _lookup(self, message: Message, instant: datetime) -> None:
        """One status look-up: the cached answer, then the transaction's partition."""
        answer = [dict(self._status_answer[0], transactionid=message.transid)]
        self._recording_store.put_cached_answer(
            message.transid,
            CachedAnswer(json.dumps(answer), instant, final=True),
            keep_for=timedelta(minutes=5),
        )
        ((_, request),) = self._recorder.take()
        cached = request["Item"]
        self.reads[BASE_TABLE].add(cached[keys.PARTITION_KEY]["S"], read_units(item_size(cached)))
        transaction = keys.transaction_key(message.transid)
        self.reads[BASE_TABLE].add(
            transaction, read_units(self._partition_bytes.get(transaction, 0))
        )

    # ---- the window --------------------------------------------------------------------------

    def run(self) -> CapacityResult:
        started = time.perf_counter()
        self._test_share = self._test_share_of_sms()
        self._seeds = [seed for plan in self._plans for seed in plan.success]
        self.alerts = 0
        slots: list[tuple[ChannelPlan, bool, int]] = []
        weights: list[float] = []
        samples = sum(plan.samples for plan in self._plans)
        for plan in self._plans:
            for failed, chance in ((False, 1 - FAILURE_SHARE), (True, FAILURE_SHARE)):
                for stage in range(len(plan.callbacks(failed))):
                    slots.append((plan, failed, stage))
                    weights.append(plan.samples / samples * chance)
        waiting: dict[tuple[str, bool, int], deque[Message]] = defaultdict(deque)
        started_messages: list[Message] = []
        rate = self.traffic.peak_callbacks_per_second
        lookups_per_second = self.peak_messages_per_second * LOOKUPS_PER_MESSAGE
        callbacks = rejected = 0
        for second in range(self.traffic.seconds):
            # Whole seconds of traffic; the fraction of a callback carries over.
            count = math.floor(rate * (second + 1)) - math.floor(rate * second)
            drawn = self._random.choices(slots, weights, k=count)
            for index, (plan, failed, stage) in enumerate(drawn):
                instant = PEAK_START + timedelta(seconds=second + index / max(1, count))
                queue = waiting[(plan.channel.value, failed, stage)]
                message = queue.popleft() if stage and queue else self._new_message(plan, failed)
                if stage == 0:
                    started_messages.append(message)
                sequence = plan.callbacks(failed)
                self._callback(sequence[stage], message, instant)
                if stage + 1 < len(sequence):
                    waiting[(plan.channel.value, failed, stage + 1)].append(message)
                if self._random.random() < QUARANTINE_SHARE:
                    self._rejected(instant)
                    rejected += 1
            callbacks += count
            lookups = math.floor(lookups_per_second * (second + 1)) - math.floor(
                lookups_per_second * second
            )
            instant = PEAK_START + timedelta(seconds=second)
            # Each message is looked up once within the hour: no message twice in a second.
            chosen = self._random.sample(started_messages, k=min(lookups, len(started_messages)))
            for message in chosen:
                self._lookup(message, instant)
            for load in (*self.writes.values(), *self.reads.values()):
                load.end_second()
        seconds = max(1, self.traffic.seconds)
        return CapacityResult(
            traffic=self.traffic,
            writes=self.writes,
            reads=self.reads,
            requests_per_second=(callbacks + rejected) / seconds,
            callbacks=callbacks,
            rejected=rejected,
            messages_per_second=self.peak_messages_per_second,
            lookups_per_second=lookups_per_second,
            alerts=self.alerts,
            plans=self._plans,
            elapsed_seconds=time.perf_counter() - started,
            open_entry_sizes=self._open_entry_sizes,
            open_transactions=len(self._open_transactions),
        )


# ---- Lambda and the HTTP API ----------------------------------------------------------------


_WARM_ROW = re.compile(r"^\| Warm, per new callback \(ingest\) \| ([\d,.]+) µs \|", re.MULTILINE)


def measured_callback_ms(latest: Path = LATEST_BENCH_PATH) -> float:
    """The warm cost per new callback that ``make bench`` last measured, in milliseconds."""
    found = _WARM_ROW.search(latest.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{latest} has no 'Warm, per new callback (ingest)' row: run make bench")
    return float(found.group(1).replace(",", "")) / 1000


def billed_ms(measured_ms: float) -> int:
    from run_all import DYNAMODB_ROUND_TRIP_MS

    round_trip_ms: float = DYNAMODB_ROUND_TRIP_MS
    return math.ceil(measured_ms + round_trip_ms)


def concurrency_needed(requests_per_second: float, billed_milliseconds: float) -> float:
    """Little's law: arrivals a second times seconds each one holds an execution."""
    return requests_per_second * billed_milliseconds / 1000


def webhook_throttle(template: Mapping[str, Any]) -> tuple[float, float, str]:
    """(rate, burst, where from): the webhook route's parameters, else the API's defaults."""
    parameters = template.get("Parameters", {})
    if "WebhookThrottleRate" in parameters and "WebhookThrottleBurst" in parameters:
        return (
            float(parameters["WebhookThrottleRate"]["Default"]),
            float(parameters["WebhookThrottleBurst"]["Default"]),
            "template parameters WebhookThrottleRate / WebhookThrottleBurst (defaults)",
        )
    settings = template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    return (
        float(settings["ThrottlingRateLimit"]),
        float(settings["ThrottlingBurstLimit"]),
        "HttpApi DefaultRouteSettings (no webhook throttle parameters in the template)",
    )


def webhook_figures(template: Mapping[str, Any], latest: Path = LATEST_BENCH_PATH) -> Webhook:
    measured = measured_callback_ms(latest)
    rate, burst, source = webhook_throttle(template)
    return Webhook(billed_ms(measured), measured, rate, burst, source)


# ---- report ------------------------------------------------------------------------------------


def _short(key: str, width: int = 44) -> str:
    return key if len(key) <= width else key[: width - 1] + "…"


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def summary_line(callbacks_per_hour: int, hottest: HotKey) -> str:
    return (
        f"capacity: {callbacks_per_hour:,} callbacks/hour, hottest key "
        f"{hottest.share * 100:.1f}% of a partition's write limit ({hottest.kind})"
    )


def warning_line(result: CapacityResult) -> str | None:
    above = result.keys_above()
    if not above:
        return None
    shown = ", ".join(f"{hot.kind} on {hot.target} {_percent(hot.share)}" for hot in above[:6]) + (
        f" and {len(above) - 6} more" if len(above) > 6 else ""
    )
    return (
        f"WARNING: {len(above)} partition key(s) above {WARNING_SHARE:.0%} of the "
        f"{PARTITION_WRITE_LIMIT:,} WCU/s partition limit: {shown}"
    )


def report(result: CapacityResult, webhook: Webhook, sweep: Any = None, reports: Any = None) -> str:
    """The Markdown report; ``sweep`` (``capacity_reconcile.SweepCapacity``) adds the
    reconcile sweep's table and notes, ``reports`` (``capacity_reports.ReportsCapacity``)
    the reports' stream consumer's."""
    traffic = result.traffic
    lines = [
        f"Capacity model: {traffic.callbacks_per_hour:,} callbacks/hour, {traffic.burst:g}x "
        f"bursts ({traffic.peak_callbacks_per_second:,.0f} callbacks/s at the peak); "
        f"`make capacity` (`benchmarks/capacity.py`).",
        "",
        "| Table / index | Hottest partition key (kind) | Its peak WCU/s | Of 1,000 WCU/s "
        "| All keys, WCU/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, load in result.writes.items():
        key, units = load.hottest()
        lines.append(
            f"| {name} | `{_short(key)}` ({key_kind(key)}) | {units:,.0f} | "
            f"{_percent(share_of_limit(units))} | {load.mean_total:,.0f} |"
        )
    read = result.hottest_read
    concurrency = concurrency_needed(result.requests_per_second, webhook.billed_ms)
    lines += [
        "",
        "| Peak figure | Model | Limit | Share |",
        "| --- | --- | --- | --- |",
        f"| Reads, hottest partition key (`{_short(read.key)}`, {read.kind}) | "
        f"{read.units_per_second:,.1f} RCU/s | {PARTITION_READ_LIMIT:,} RCU/s | "
        f"{_percent(read.share)} |",
        f"| Reads, all keys (look-ups, alert ledger) | "
        f"{result.reads[BASE_TABLE].mean_total:,.0f} RCU/s | no table limit (on demand) | |",
        f"| Webhook Lambda concurrency | {concurrency:,.0f} | account default "
        f"{ACCOUNT_CONCURRENCY:,} | {_percent(concurrency / ACCOUNT_CONCURRENCY)} |",
        f"| HTTP API requests to the webhook | {result.requests_per_second:,.0f}/s | "
        f"{webhook.rate_limit:,.0f}/s (burst {webhook.burst_limit:,.0f}) | "
        f"{_percent(result.requests_per_second / webhook.rate_limit)} |",
    ]
    samples = sum(plan.samples for plan in result.plans)
    mix = "; ".join(
        f"{plan.channel.value} {plan.samples}/{samples}: "
        + ", ".join(seed.event.status.value for seed in plan.success)
        + f" (failure: {plan.failure.event.status.value})"
        for plan in result.plans
    )
    notes = [
        f"Simulated {traffic.seconds} peak second(s), seed {traffic.seed}: {result.callbacks:,} "
        f"callbacks, {result.rejected:,} rejected bodies quarantined, {result.alerts:,} alerts; "
        f"{result.elapsed_seconds:,.1f} s. Every item comes from the layer's builders "
        "(`EventStore.event_item`, `EventStore.quarantine`, the alerts `DynamoAlertLedger`).",
        f"Messages per channel and their callbacks, from the seed callbacks: {mix}.",
        f"{FAILURE_SHARE:.0%} of messages fail and alert (storm mode: get, count into the digest, "
        f"claim per alert, {LEDGER_UPDATE_UNITS} WCU per ledger update); one correlation id per "
        f"{CAMPAIGN_MESSAGES:,} messages, so the whole burst is one campaign; "
        f"{TEST_DESTINATIONS} test numbers get {TEST_MESSAGES_PER_HOUR:,} SMS/hour each, every "
        f"other message its own destination; {QUARANTINE_SHARE:.1%} of requests are rejected "
        "bodies; one UTC day.",
        "WCU: one per started KB written to the table or an index entry (keys + projected "
        "attributes, from `template.yaml`); the busiest second of each key.",
        f"Reads: {LOOKUPS_PER_MESSAGE} look-up per message within the hour "
        f"({result.lookups_per_second:,.0f}/s at the peak), each `CACHE#` + `TX#` partition, "
        "eventually consistent.",
        f"Concurrency: {result.requests_per_second:,.0f} requests/s x {webhook.billed_ms} ms "
        f"billed (measured {webhook.measured_ms:.2f} ms in `benchmarks/latest.md` + the stated "
        f"DynamoDB round trip). HTTP API throttle from {webhook.throttle_source}.",
    ]
    if sweep is not None:
        from capacity_reconcile import report_lines

        sweep_rows, sweep_notes = report_lines(sweep, PARTITION_READ_LIMIT, PARTITION_WRITE_LIMIT)
        lines += sweep_rows
        notes += sweep_notes
    if reports is not None:
        from capacity_reports import report_lines as reports_lines

        report_rows, report_notes = reports_lines(reports, PARTITION_WRITE_LIMIT)
        lines += report_rows
        notes += report_notes
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"


def hottest_write_key(traffic: Traffic | None = None) -> HotKey:
    """The model's hottest partition key: what ``make bench`` shows in its table."""
    return CapacityModel(traffic or Traffic()).run().hottest_write


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks-per-hour", type=int, default=Traffic.callbacks_per_hour)
    parser.add_argument("--burst", type=float, default=Traffic.burst)
    parser.add_argument(
        "--seconds", type=int, default=DEFAULT_SECONDS, help="peak seconds simulated"
    )
    parser.add_argument("--seed", type=int, default=Traffic.seed)
    parser.add_argument("--output", type=Path, default=LATEST_PATH)
    options = parser.parse_args(arguments)
    traffic = Traffic(options.callbacks_per_hour, options.burst, options.seconds, options.seed)
    template = load_template()
    result = CapacityModel(traffic, template).run()
    from capacity_reconcile import sweep_capacity

    sweep = sweep_capacity(result, template, LATEST_BENCH_PATH)
    from capacity_reports import reports_capacity

    text = report(result, webhook_figures(template), sweep, reports_capacity(result, template))
    print(text)
    options.output.write_text(text, encoding="utf-8")
    if options.output == LATEST_PATH:
        from readme_section import update_readme

        update_readme()
    warning = warning_line(result)
    if warning:
        print(warning)
    print(summary_line(traffic.callbacks_per_hour, result.hottest_write))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
