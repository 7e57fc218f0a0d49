"""What one transaction adds to the reports, kept so that counting it twice is impossible.

The table's stream delivers every stored event at least once, in batches that may be read
again after a failure, and a transaction's events in any order. Counters fed by deltas
("+1 delivered") would drift under that. Instead each transaction has a *tally*: the few
facts about it the reports need, folded from its events by :func:`join`, which is a join
(commutative, associative, idempotent). Folding an event in twice, or in another order,
gives the same tally. The reports count what each tally *contributes*
(:func:`contribution`); when an event changes a transaction's tally from ``old`` to
``new``, the counters move by ``contribution(new) - contribution(old)`` in the same
transaction that stores ``new`` (``receipts.storage.aggregates``). An event read again finds
its tally already holding it: the difference is zero and nothing moves. So the counters
always equal the sum of the contributions of the stored tallies, which equal the fold of
the stored events: a recount from the table gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol

from receipts.aggregates import histogram
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin, is_final_event, precedence
from receipts.timestamps import event_instant, truncate_to_millis

# Counter names, as stored: short, because every counter item is rewritten on each update.
TRANSACTIONS = "n"
STILL_OPEN = "open"
RECONCILED = "rec"
CLOSED_AT_HORIZON = "hz"
STATUS_PREFIX = "s_"
FAILURE_PREFIX = "f_"
DELIVERED_PREFIX = "d_"
READ_PREFIX = "r_"
NO_CODE = "none"

CAMPAIGN = "campaign"
DAY = "day"

# Statuses that mean the message reached its destination, and those that it was read.
_DELIVERED = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.ANSWERED, DeliveryStatus.READ, DeliveryStatus.CLICKED}
)
_READ = frozenset({DeliveryStatus.READ, DeliveryStatus.CLICKED})

Counters = dict[str, int]


class TallyEvent(Protocol):
    """What a tally needs to know of a stored event (``receipts.storage.EventSummary``)."""

    @property
    def status(self) -> DeliveryStatus: ...

    @property
    def origin(self) -> EventOrigin: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def code(self) -> int | None: ...

    @property
    def channel(self) -> Channel: ...

    @property
    def correlationid(self) -> str: ...


class CurrentEvent(NamedTuple):
    """The event that defines the current status, as the lifecycle rule compares events."""

    status: DeliveryStatus
    origin: EventOrigin
    occurred_at: datetime
    code: int | None

    @property
    def raw_status(self) -> str:
        # The stored summaries the tally is built from carry no raw spelling; the recount
        # reads the same summaries, so both sides break ties the same way.
        return ""


class AggregateKey(NamedTuple):
    """One set of counters: a campaign's or a day's, on one channel."""

    kind: str  # CAMPAIGN or DAY
    name: str  # the correlation id, or the day (YYYY-MM-DD, UTC)
    channel: str


class Tally(NamedTuple):
    first: datetime  # when the transaction's earliest event happened
    channel: Channel
    campaign: str  # the correlation id; "" when no event carried one
    current: CurrentEvent
    delivered_at: datetime | None  # the earliest delivered (or read) event
    read_at: datetime | None  # the earliest read event
    reconciled: bool  # the status API told something about it

    @property
    def day(self) -> str:
        return self.first.date().isoformat()


def _when(event: TallyEvent) -> datetime:
    # For durations and days an event without a usable timestamp counts from its arrival;
    # to the millisecond, as the tally is stored: a tally read back joins the same way.
    return event_instant(event.occurred_at, event.received_at)


def tally_of(event: TallyEvent) -> Tally:
    """The tally of a transaction known by this one event."""
    when = _when(event)
    return Tally(
        first=when,
        channel=event.channel,
        campaign=event.correlationid,
        current=CurrentEvent(
            event.status, event.origin, truncate_to_millis(event.occurred_at), event.code
        ),
        delivered_at=when if event.status in _DELIVERED else None,
        read_at=when if event.status in _READ else None,
        reconciled=event.origin is EventOrigin.STATUS_API,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _channel(a: Channel, b: Channel) -> Channel:
    # An event that did not know its channel (a horizon closure of a registered id) never
    # hides one that did; two known ones (never seen) settle on the smaller name.
    if a is Channel.UNKNOWN:
        return b
    if b is Channel.UNKNOWN:
        return a
    return min(a, b)


def _campaign(a: str, b: str) -> str:
    return min(a, b) if a and b else a or b


def join(a: Tally, b: Tally) -> Tally:
    """The tally of the union of the events behind ``a`` and ``b``."""
    return Tally(
        first=min(a.first, b.first),
        channel=_channel(a.channel, b.channel),
        campaign=_campaign(a.campaign, b.campaign),
        current=max(a.current, b.current, key=precedence),
        delivered_at=_earliest(a.delivered_at, b.delivered_at),
        read_at=_earliest(a.read_at, b.read_at),
        reconciled=a.reconciled or b.reconciled,
    )


def fold(events: Iterable[TallyEvent], start: Tally | None = None) -> Tally | None:
    """``start`` with every event folded in (None with neither)."""
    tally = start
    for event in events:
        one = tally_of(event)
        tally = one if tally is None else join(tally, one)
    return tally


def status_counter(status: DeliveryStatus | str) -> str:
    return f"{STATUS_PREFIX}{status}"


def failure_counter(status: DeliveryStatus | str, code: int | None) -> str:
    return f"{FAILURE_PREFIX}{status}_{NO_CODE if code is None else code}"


def contribution(tally: Tally) -> dict[AggregateKey, Counters]:
    """What one transaction adds to the counters of its day and of its campaign."""
    current = tally.current
    counters: Counters = {TRANSACTIONS: 1, status_counter(current.status): 1}
    if not is_final_event(current):
        counters[STILL_OPEN] = 1
    if tally.reconciled:
        counters[RECONCILED] = 1
    if current.origin is EventOrigin.HORIZON:
        counters[CLOSED_AT_HORIZON] = 1
    if current.status.is_failure:
        counters[failure_counter(current.status, current.code)] = 1
    if tally.delivered_at is not None:
        waited = (tally.delivered_at - tally.first).total_seconds()
        counters[f"{DELIVERED_PREFIX}{histogram.bucket_of(waited)}"] = 1
    if tally.read_at is not None:
        waited = (tally.read_at - tally.first).total_seconds()
        counters[f"{READ_PREFIX}{histogram.bucket_of(waited)}"] = 1
    channel = tally.channel.value
    keys = [AggregateKey(DAY, tally.day, channel)]
    if tally.campaign:
        keys.append(AggregateKey(CAMPAIGN, tally.campaign, channel))
    return dict.fromkeys(keys, counters)


def add_counters(into: Counters, counters: Mapping[str, int], sign: int = 1) -> None:
    """Add ``sign`` times ``counters`` into ``into``, dropping counters that come to zero."""
    for name, value in counters.items():
        summed = into.get(name, 0) + sign * value
        if summed:
            into[name] = summed
        else:
            into.pop(name, None)


def add_into(
    total: dict[AggregateKey, Counters], part: Mapping[AggregateKey, Counters], sign: int = 1
) -> None:
    """Add ``sign`` times ``part`` into ``total``, dropping counters that come to zero."""
    for key, counters in part.items():
        into = total.setdefault(key, {})
        add_counters(into, counters, sign)
        if not into:
            del total[key]


def difference(old: Tally | None, new: Tally) -> dict[AggregateKey, Counters]:
    """How the counters move when a transaction's tally goes from ``old`` to ``new``."""
    moved: dict[AggregateKey, Counters] = {}
    add_into(moved, contribution(new))
    if old is not None:
        add_into(moved, contribution(old), sign=-1)
    return moved
