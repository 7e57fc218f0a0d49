"""The current status is a pure function of the set of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts.lifecycle import (
    FAILURE_STATUSES,
    DeliveryStatus,
    EventOrigin,
    canonical_status,
    current_event,
    current_status,
    is_final_event,
)


@dataclass(frozen=True)
class Event:
    status: DeliveryStatus
    occurred_at: datetime
    code: int | None
    raw_status: str
    origin: EventOrigin = EventOrigin.CALLBACK


BASE = datetime(2016, 7, 20, 17, 13, 17, tzinfo=UTC)

events_strategy = st.builds(
    Event,
    status=st.sampled_from(list(DeliveryStatus)),
    occurred_at=st.integers(min_value=0, max_value=3600).map(lambda s: BASE + timedelta(seconds=s)),
    code=st.one_of(st.none(), st.integers(min_value=7000, max_value=7610)),
    raw_status=st.sampled_from(["Submitted", "Submited", "Delivered", "Failed", "Read", "x"]),
    origin=st.sampled_from(list(EventOrigin)),
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(events_strategy, min_size=1, max_size=12),
    data=st.data(),
)
def test_current_status_ignores_arrival_order_and_repetition(
    events: list[Event], data: st.DataObject
) -> None:
    # Given a set of events, and the same events arriving shuffled with some repeated
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=12))
    arrival = data.draw(st.permutations(events + repeats))

    # Then the winning event is the same
    assert current_event(arrival) == current_event(events)
    assert current_status(arrival) == current_status(events)


@settings(max_examples=200, deadline=None)
@given(events=st.lists(events_strategy, min_size=1, max_size=12))
def test_current_status_never_regresses_when_an_earlier_stage_arrives_late(
    events: list[Event],
) -> None:
    before = current_event(events)
    assert before is not None
    late = Event(DeliveryStatus.SUBMITTED, BASE, 7501, "Submitted")
    after = current_event([*events, late])
    assert after is not None
    assert after.status.rank >= before.status.rank


def test_late_submitted_after_delivered_keeps_delivered() -> None:
    delivered = Event(DeliveryStatus.DELIVERED, BASE + timedelta(seconds=5), 7500, "Delivered")
    submitted = Event(DeliveryStatus.SUBMITTED, BASE, 7501, "Submitted")
    assert current_status([delivered, submitted]) is DeliveryStatus.DELIVERED
    assert current_status([submitted, delivered]) is DeliveryStatus.DELIVERED


def test_failure_after_delivery_wins() -> None:
    delivered = Event(DeliveryStatus.DELIVERED, BASE, 7500, "Delivered")
    complaint = Event(DeliveryStatus.COMPLAINT, BASE + timedelta(minutes=1), 7521, "Complaint")
    assert current_status([complaint, delivered]) is DeliveryStatus.COMPLAINT


def test_no_events_has_no_status() -> None:
    assert current_status([]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Submitted", DeliveryStatus.SUBMITTED),
        ("Submited", DeliveryStatus.SUBMITTED),
        ("Submit", DeliveryStatus.SUBMITTED),
        ("sent", DeliveryStatus.SUBMITTED),
        ("Un-Delivered", DeliveryStatus.UNDELIVERED),
        ("Undelivered", DeliveryStatus.UNDELIVERED),
        ("ANSWERED", DeliveryStatus.ANSWERED),
        ("Not Verified", DeliveryStatus.NOT_VERIFIED),
        ("Invalid email address", DeliveryStatus.INVALID_ADDRESS),
        ("Bounce", DeliveryStatus.BOUNCED),
        ("Complaint", DeliveryStatus.COMPLAINT),
        ("no answer", DeliveryStatus.NO_ANSWER),
        ("busy", DeliveryStatus.BUSY),
        ("others", DeliveryStatus.FAILED),
        (" delivered ", DeliveryStatus.DELIVERED),
        ("Teleported", DeliveryStatus.UNKNOWN),
        ("", DeliveryStatus.UNKNOWN),
        (None, DeliveryStatus.UNKNOWN),
    ],
)
def test_status_spellings_are_canonical(raw: str | None, expected: DeliveryStatus) -> None:
    assert canonical_status(raw) is expected


def test_order_queued_submitted_delivered_read_then_failures() -> None:
    ordered = [
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.QUEUED,
        DeliveryStatus.SUBMITTED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.READ,
    ]
    ranks = [status.rank for status in ordered]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    assert all(status.rank > DeliveryStatus.READ.rank for status in FAILURE_STATUSES)


def test_final_statuses() -> None:
    assert not DeliveryStatus.SUBMITTED.is_final
    assert not DeliveryStatus.UNKNOWN.is_final
    assert DeliveryStatus.DELIVERED.is_final
    assert DeliveryStatus.EXPIRED.is_final
    assert DeliveryStatus.EXPIRED.is_failure
    assert not DeliveryStatus.READ.is_failure


def _at(seconds: int, status: DeliveryStatus, origin: EventOrigin = EventOrigin.CALLBACK) -> Event:
    return Event(status, BASE + timedelta(seconds=seconds), None, status.value, origin)


@pytest.mark.parametrize(
    "in_progress", [DeliveryStatus.QUEUED, DeliveryStatus.SUBMITTED, DeliveryStatus.UNKNOWN]
)
def test_a_horizon_closure_settles_whatever_was_in_progress(in_progress: DeliveryStatus) -> None:
    # A later in-progress callback (a late retry of "submitted") does not reopen it either.
    closure = _at(10, DeliveryStatus.UNKNOWN, EventOrigin.HORIZON)
    winner = current_event([_at(0, in_progress), closure, _at(20, in_progress)])
    assert winner == closure
    assert is_final_event(closure) and not is_final_event(_at(0, DeliveryStatus.UNKNOWN))


@pytest.mark.parametrize(
    "receipt", [DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.FAILED]
)
def test_a_real_receipt_arriving_after_the_horizon_outranks_the_closure(
    receipt: DeliveryStatus,
) -> None:
    late = _at(0, receipt)  # its own timestamp may even be older than the closure
    assert current_event([_at(10, DeliveryStatus.UNKNOWN, EventOrigin.HORIZON), late]) == late
