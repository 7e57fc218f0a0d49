"""A synthetic campaign's stored events, folded into report counters by the layer's own code.

Shared by ``bench_reports.py`` (``make bench``) and ``capacity_reports.py`` (``make
capacity``). Nothing runs at import time; every share and delay below is stated, not
measured, and seeded.

- Channels: ``CHANNEL_MIX`` (share of the campaign's messages, share of the delivered ones
  that are read). Every message is submitted (a callback) ``SUBMIT_DELAY`` after it is sent.
- Fates: ``FAILED_SHARE`` fail with a (status, code) of their channel from ``FAILURES``
  (each checked against the code tables, ``receipts.codes``); ``OPEN_SHARE`` stay submitted;
  ``RECONCILED_SHARE`` lose their delivered callback and are told delivered by the status
  API (origin ``status_api``) ``RECONCILE_AFTER`` later; ``HORIZON_SHARE`` are closed at the
  horizon (72 h); the rest are delivered by callback, then read at the channel's share.
- Delays from the send: delivered or failed after a log-normal delay (median
  ``DELIVERY_MEDIAN_SECONDS``, sigma ``DELIVERY_SIGMA``: p90 ~32 s, p99 ~120 s); read a
  log-normal delay after delivery (median ``READ_MEDIAN_SECONDS``, sigma ``READ_SIGMA``);
  each event received ``ARRIVAL_DELAY`` after it happened.
- Counters as the stream consumer leaves them: the messages, in send order, ``apply``'s
  ``MOST_TALLIES_PER_WRITE`` to a write; each write adds its tallies' contributions to the
  counter items it touches, all on one shard it picks at random (``AggregateStore``).
  Here each message's final tally is added at once (the consumer adds it in steps that move
  counts between statuses, possibly across shards): the sums are the same, and each shard
  holds the same counter names, so the items' count and sizes are those a report reads.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from receipts.aggregates.apply import MOST_TALLIES_PER_WRITE
from receipts.aggregates.tally import AggregateKey, Counters, add_into, contribution, fold
from receipts.channels import Channel
from receipts.codes import Classification, classify, resolve_code
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage import keys
from receipts.storage.aggregates import AggregateStore
from receipts.storage.event_store import EventSummary

CAMPAIGN = "bench-campaign-2026-11"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# A 1M-message campaign sent over two hours: about 140 messages a second.
SEND_WINDOW_PER_MILLION = timedelta(hours=2)

FAILED_SHARE = 0.06
OPEN_SHARE = 0.04
RECONCILED_SHARE = 0.02
HORIZON_SHARE = 0.01
SUBMIT_DELAY = timedelta(seconds=1)
DELIVERY_MEDIAN_SECONDS = 6.0
DELIVERY_SIGMA = 1.3
READ_MEDIAN_SECONDS = 300.0
READ_SIGMA = 1.5
RECONCILE_AFTER = timedelta(minutes=20)
HORIZON_AFTER = timedelta(hours=72)
ARRIVAL_DELAY = timedelta(milliseconds=400)


class ChannelMix(NamedTuple):
    channel: Channel
    share: float  # of the campaign's messages
    read_share: float  # of its delivered messages


CHANNEL_MIX: tuple[ChannelMix, ...] = (
    ChannelMix(Channel.SMS, 0.55, 0.0),
    ChannelMix(Channel.EMAIL, 0.20, 0.25),
    ChannelMix(Channel.PUSH, 0.12, 0.15),
    ChannelMix(Channel.RTM, 0.08, 0.45),
    ChannelMix(Channel.FACEBOOK, 0.05, 0.60),
)

# The failures each channel reports, with their codes, as the code tables list them.
FAILURES: dict[Channel, tuple[tuple[DeliveryStatus, int], ...]] = {
    Channel.SMS: (
        (DeliveryStatus.UNDELIVERED, 7203),
        (DeliveryStatus.FAILED, 7101),
        (DeliveryStatus.EXPIRED, 7208),
        (DeliveryStatus.FAILED, 7513),
    ),
    Channel.EMAIL: (
        (DeliveryStatus.BOUNCED, 7520),
        (DeliveryStatus.INVALID_ADDRESS, 7523),
        (DeliveryStatus.UNSUBSCRIBED, 7241),
        (DeliveryStatus.COMPLAINT, 7521),
    ),
    Channel.PUSH: ((DeliveryStatus.FAILED, 7513),),
    Channel.RTM: ((DeliveryStatus.FAILED, 7010),),
    Channel.FACEBOOK: ((DeliveryStatus.FAILED, 7010), (DeliveryStatus.FAILED, 9001)),
}


def check_failure_codes() -> None:
    """Every failure code the campaign uses is a documented failure on its channel."""
    failing = {Classification.FAILED_PERMANENT, Classification.FAILED_TRANSIENT}
    for channel, failures in FAILURES.items():
        for status, code in failures:
            if not resolve_code(code, channel, status).known:
                raise ValueError(f"{code} is not in the code tables ({channel})")
            if classify(channel, code, status) not in failing:
                raise ValueError(f"{status} {code} is not a failure on {channel}")


@dataclass(frozen=True)
class CampaignSpec:
    messages: int = 1_000_000
    correlationid: str = CAMPAIGN
    seed: int = 5
    start: datetime = START

    @property
    def send_window(self) -> timedelta:
        """Sent at the same pace whatever the size: a sample is a slice of the big one."""
        return SEND_WINDOW_PER_MILLION * (self.messages / 1_000_000)


def _event(
    status: DeliveryStatus,
    at: datetime,
    channel: Channel,
    correlationid: str,
    *,
    code: int | None = None,
    origin: EventOrigin = EventOrigin.CALLBACK,
    destination: str = "",
) -> EventSummary:
    return EventSummary(
        status=status,
        origin=origin,
        occurred_at=at,
        received_at=at + ARRIVAL_DELAY,
        code=code,
        channel=channel,
        destination=destination,
        correlationid=correlationid,
    )


# Each message its own destination, as a campaign sends (the suppression list's worst case:
# no two messages share a register).
_DESTINATIONS = {
    Channel.SMS: "91999{number:08d}",
    Channel.EMAIL: "recipient{number:08d}@example.com",
    Channel.PUSH: "device-token-{number:08d}",
    Channel.RTM: "customer-{number:08d}",
    Channel.FACEBOOK: "psid-{number:08d}",
}


def campaign_messages(spec: CampaignSpec) -> Iterator[tuple[str, list[EventSummary]]]:
    """Each message's transid and stored events, in send order."""
    check_failure_codes()
    rng = random.Random(spec.seed)
    mixes = list(CHANNEL_MIX)
    weights = [mix.share for mix in mixes]
    spacing = spec.send_window.total_seconds() / max(1, spec.messages)
    campaign = spec.correlationid
    for number in range(spec.messages):
        mix = rng.choices(mixes, weights)[0]
        channel = mix.channel
        sent = spec.start + timedelta(seconds=number * spacing)
        event = partial(_event, destination=_DESTINATIONS[channel].format(number=number))
        events = [event(DeliveryStatus.SUBMITTED, sent + SUBMIT_DELAY, channel, campaign)]
        settled = sent + timedelta(
            seconds=rng.lognormvariate(_mu(DELIVERY_MEDIAN_SECONDS), DELIVERY_SIGMA)
        )
        fate = rng.random()
        if fate < FAILED_SHARE:
            status, code = rng.choice(FAILURES[channel])
            events.append(event(status, settled, channel, campaign, code=code))
        elif fate < FAILED_SHARE + OPEN_SHARE:
            pass
        elif fate < FAILED_SHARE + OPEN_SHARE + RECONCILED_SHARE:
            events.append(
                event(
                    DeliveryStatus.DELIVERED,
                    settled,
                    channel,
                    campaign,
                    origin=EventOrigin.STATUS_API,
                )
            )
        elif fate < FAILED_SHARE + OPEN_SHARE + RECONCILED_SHARE + HORIZON_SHARE:
            events.append(
                event(
                    DeliveryStatus.UNKNOWN,
                    sent + HORIZON_AFTER,
                    channel,
                    campaign,
                    origin=EventOrigin.HORIZON,
                )
            )
        else:
            events.append(event(DeliveryStatus.DELIVERED, settled, channel, campaign))
            if rng.random() < mix.read_share:
                read = settled + timedelta(
                    seconds=rng.lognormvariate(_mu(READ_MEDIAN_SECONDS), READ_SIGMA)
                )
                events.append(event(DeliveryStatus.READ, read, channel, campaign))
        yield f"{campaign}-{number:08d}", events


def _mu(median_seconds: float) -> float:
    # lognormvariate takes the log of the median.
    return math.log(median_seconds)


@dataclass
class CampaignCounters:
    """A campaign's counters: summed, and split over the shards as the consumer splits them."""

    spec: CampaignSpec
    shards: list[dict[AggregateKey, Counters]]
    events: int
    seconds: float  # wall time of the fold
    total: dict[AggregateKey, Counters] = field(default_factory=dict)

    @property
    def fold_seconds_per_event(self) -> float:
        return self.seconds / max(1, self.events)


def fold_campaign(
    spec: CampaignSpec, shards: int = keys.AGGREGATE_SHARDS, *, seed: int = 17
) -> CampaignCounters:
    """Fold every message's events (``tally.fold``), count each tally's ``contribution``,
    and add them up (``add_into``), a write's worth of tallies at a time on a random shard."""
    pick = random.Random(seed)
    parts: list[dict[AggregateKey, Counters]] = [{} for _ in range(shards)]
    write: dict[AggregateKey, Counters] = {}
    in_write = events = 0
    started = time.perf_counter()
    for _, its_events in campaign_messages(spec):
        tally = fold(its_events)
        if tally is None:
            continue
        events += len(its_events)
        add_into(write, contribution(tally))
        in_write += 1
        if in_write == MOST_TALLIES_PER_WRITE:
            _spread(write, parts, pick)
            write, in_write = {}, 0
    _spread(write, parts, pick)
    seconds = time.perf_counter() - started
    total: dict[AggregateKey, Counters] = {}
    for part in parts:
        add_into(total, part)
    return CampaignCounters(spec, parts, events, seconds, total)


def _spread(
    write: Mapping[AggregateKey, Counters],
    parts: Sequence[dict[AggregateKey, Counters]],
    pick: random.Random,
) -> None:
    # As ``AggregateStore.commit``: one shard picked for all the counter items of a write.
    add_into(parts[pick.randrange(len(parts))], write)


def recount_messages(
    messages: Iterator[tuple[str, list[EventSummary]]] | Sequence[tuple[str, list[EventSummary]]],
) -> dict[AggregateKey, Counters]:
    """The pure path: what the messages' tallies contribute, added up."""
    total: dict[AggregateKey, Counters] = {}
    for _, its_events in messages:
        tally = fold(its_events)
        if tally is not None:
            add_into(total, contribution(tally))
    return total


def fixed_shard(shard: int) -> Callable[[int], int]:
    """A shard picker that always picks ``shard``: one shard's part stored on that shard."""

    def pick(_shards: int) -> int:
        return shard

    return pick


# ---- the counter items as stored -------------------------------------------------------------


class _RecordingClient:
    """Keeps the ``TransactWriteItems`` requests the layer builds; no AWS."""

    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self.writes.extend(request["TransactItems"])
        return {}


def stored_counter_items(
    parts: Sequence[Mapping[AggregateKey, Counters]], now: datetime
) -> list[dict[str, Any]]:
    """The counter items these shard parts leave in the table (key, counters, expiry), from
    the updates ``AggregateStore.commit`` builds: the items a report reads."""
    items = []
    for shard, part in enumerate(parts):
        recorder = _RecordingClient()
        store = AggregateStore(
            recorder,  # type: ignore[arg-type]  # commit only calls transact_write_items
            "events",
            pick_shard=fixed_shard(shard),
        )
        store.commit([], part, now)
        for write in recorder.writes:
            update = write["Update"]
            names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
            item = dict(update["Key"])
            for placeholder, name in names.items():
                item[name] = values[":" + placeholder.removeprefix("#")]
            items.append(item)
    return items
