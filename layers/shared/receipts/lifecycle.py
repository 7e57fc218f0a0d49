"""The canonical status vocabulary and the rule that picks a transaction's current status.

The platform sends callbacks in no particular order and sometimes twice. The current status
is therefore a pure function of the *set* of events: the event with the highest
(rank, occurred_at, code, status) wins, which no arrival order or repetition can change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar


class DeliveryStatus(StrEnum):
    UNKNOWN = "unknown"
    QUEUED = "queued"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    ANSWERED = "answered"
    READ = "read"
    CLICKED = "clicked"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    BOUNCED = "bounced"
    COMPLAINT = "complaint"
    INVALID_ADDRESS = "invalid_address"
    NOT_VERIFIED = "not_verified"
    UNSUBSCRIBED = "unsubscribed"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_final(self) -> bool:
        return self.rank >= _RANK[DeliveryStatus.DELIVERED]

    @property
    def is_failure(self) -> bool:
        return self in FAILURE_STATUSES


FAILURE_STATUSES = frozenset(
    {
        DeliveryStatus.FAILED,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.NO_ANSWER,
        DeliveryStatus.BUSY,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.COMPLAINT,
        DeliveryStatus.INVALID_ADDRESS,
        DeliveryStatus.NOT_VERIFIED,
        DeliveryStatus.UNSUBSCRIBED,
    }
)

# queued < submitted < delivered (answered) < read < clicked < any final failure.
# A failure outranks success because the platform reports failures that follow a delivery
# (an email complaint after "Delivered"), never the reverse. An unrecognised status ranks
# lowest so it is kept in the history without hiding a known one.
_RANK: dict[DeliveryStatus, int] = {
    DeliveryStatus.UNKNOWN: 0,
    DeliveryStatus.QUEUED: 10,
    DeliveryStatus.SUBMITTED: 20,
    DeliveryStatus.DELIVERED: 30,
    DeliveryStatus.ANSWERED: 30,
    DeliveryStatus.READ: 40,
    DeliveryStatus.CLICKED: 41,
    **dict.fromkeys(FAILURE_STATUSES, 50),
}

# Spellings seen in callbacks and in the status API, after lower-casing and dropping
# spaces, hyphens and underscores ("Un-Delivered" -> "undelivered", "no answer" -> "noanswer").
_STATUS_SPELLINGS: dict[str, DeliveryStatus] = {
    "queued": DeliveryStatus.QUEUED,
    "pending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SUBMITTED,
    "submitted": DeliveryStatus.SUBMITTED,
    "submited": DeliveryStatus.SUBMITTED,
    "submit": DeliveryStatus.SUBMITTED,
    "delivered": DeliveryStatus.DELIVERED,
    "received": DeliveryStatus.DELIVERED,
    "answered": DeliveryStatus.ANSWERED,
    "read": DeliveryStatus.READ,
    "opened": DeliveryStatus.READ,
    "clicked": DeliveryStatus.CLICKED,
    "failed": DeliveryStatus.FAILED,
    "failure": DeliveryStatus.FAILED,
    "others": DeliveryStatus.FAILED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "expired": DeliveryStatus.EXPIRED,
    "rejected": DeliveryStatus.REJECTED,
    "noanswer": DeliveryStatus.NO_ANSWER,
    "busy": DeliveryStatus.BUSY,
    "bounce": DeliveryStatus.BOUNCED,
    "bounced": DeliveryStatus.BOUNCED,
    "complaint": DeliveryStatus.COMPLAINT,
    "invalid": DeliveryStatus.INVALID_ADDRESS,
    "invalidaddress": DeliveryStatus.INVALID_ADDRESS,
    "invalidemailaddress": DeliveryStatus.INVALID_ADDRESS,
    "notverified": DeliveryStatus.NOT_VERIFIED,
    "unsubscribed": DeliveryStatus.UNSUBSCRIBED,
}

_SEPARATORS = str.maketrans("", "", " -_")


def status_spelling_key(raw: str) -> str:
    """The form of a raw status that the spelling table is keyed by."""
    return raw.strip().lower().translate(_SEPARATORS)


def canonical_status(raw: str | None) -> DeliveryStatus:
    """Map a vendor status spelling to a :class:`DeliveryStatus`; unrecognised is UNKNOWN."""
    if not raw:
        return DeliveryStatus.UNKNOWN
    return _STATUS_SPELLINGS.get(status_spelling_key(raw), DeliveryStatus.UNKNOWN)


class EventOrigin(StrEnum):
    """Where a stored event came from: timelines show it, and the horizon's closure ranks apart."""

    CALLBACK = "callback"  # the platform's webhook callback
    STATUS_API = "status_api"  # the reconcile sweep's question to the status API
    HORIZON = "horizon"  # the sweep gave up waiting: no final receipt by the horizon


# A closure at the horizon is final ("no final receipt"), yet any real receipt that turns up
# later outranks it: above every in-progress status, below delivered.
HORIZON_RANK = 25


class LifecycleEvent(Protocol):
    """What the current-status rule needs to know of an event."""

    @property
    def status(self) -> DeliveryStatus: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def code(self) -> int | None: ...

    @property
    def raw_status(self) -> str: ...

    @property
    def origin(self) -> EventOrigin: ...


EventT = TypeVar("EventT", bound=LifecycleEvent)


def precedence(event: LifecycleEvent) -> tuple[int, datetime, int, str, str, str]:
    """A total order over events: the larger one is the more advanced state.

    The origin comes last: the status API telling what a callback told is the same state,
    and either may stand for it, but one of them must, whatever order they are read in.
    """
    return (
        event_rank(event),
        event.occurred_at,
        event.code if event.code is not None else -1,
        event.status.value,
        event.raw_status,
        event.origin.value,
    )


def event_rank(event: LifecycleEvent) -> int:
    return HORIZON_RANK if event.origin is EventOrigin.HORIZON else event.status.rank


def is_final_event(event: LifecycleEvent) -> bool:
    """Whether the event settles the transaction: a final status, or the horizon's closure."""
    return event.origin is EventOrigin.HORIZON or event.status.is_final


def current_event(events: Iterable[EventT]) -> EventT | None:
    """The event that defines the transaction's current status, or None with no events."""
    return max(events, key=precedence, default=None)


def current_status(events: Iterable[LifecycleEvent]) -> DeliveryStatus | None:
    """The status of the current event; a horizon closure's is ``unknown`` (yet final)."""
    winner = current_event(events)
    return winner.status if winner is not None else None
