"""The tally: a join over a transaction's events, so counting it twice is impossible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from receipts.aggregates import histogram
from receipts.aggregates.tally import (
    CAMPAIGN,
    DAY,
    AggregateKey,
    Tally,
    contribution,
    difference,
    fold,
    join,
    tally_of,
)
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage.event_store import EventSummary
from receipts.timestamps import UNKNOWN_INSTANT

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def event(
    status: DeliveryStatus,
    seconds: float = 0,
    *,
    origin: EventOrigin = EventOrigin.CALLBACK,
    code: int | None = None,
    channel: Channel = Channel.SMS,
    campaign: str = "spring",
    occurred: datetime | None = None,
    received_after: float = 1.0,
) -> EventSummary:
    at = T0 + timedelta(seconds=seconds)
    return EventSummary(
        status=status,
        origin=origin,
        occurred_at=occurred or at,
        received_at=at + timedelta(seconds=received_after),
        code=code,
        channel=channel,
        destination="918886661353",
        correlationid=campaign,
    )


events = st.builds(
    event,
    st.sampled_from(list(DeliveryStatus)),
    st.floats(min_value=0, max_value=86400 * 3),
    origin=st.sampled_from(list(EventOrigin)),
    code=st.one_of(st.none(), st.sampled_from([7202, 7203, 7505, 7510])),
    channel=st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.UNKNOWN]),
    campaign=st.sampled_from(["", "spring", "autumn"]),
)


def tally(event_: EventSummary) -> Tally:
    return tally_of(event_)


@given(events, events)
def test_join_is_commutative(a: EventSummary, b: EventSummary) -> None:
    assert join(tally(a), tally(b)) == join(tally(b), tally(a))


@given(events, events, events)
def test_join_is_associative(a: EventSummary, b: EventSummary, c: EventSummary) -> None:
    assert join(join(tally(a), tally(b)), tally(c)) == join(tally(a), join(tally(b), tally(c)))


@given(events, events)
def test_folding_an_event_in_again_changes_nothing(a: EventSummary, b: EventSummary) -> None:
    once = fold([a, b])
    assert once is not None
    assert fold([a], start=once) == once
    assert difference(once, once) == {}


@given(st.lists(events, min_size=1, max_size=8), st.randoms())
def test_any_arrival_order_and_repetition_gives_the_same_counters(
    arrived: list[EventSummary], random: object
) -> None:
    shuffled = list(arrived) + list(arrived[: len(arrived) // 2])
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = fold(arrived), fold(shuffled)
    assert first is not None and second is not None
    assert contribution(first) == contribution(second)


def test_a_delivery_moves_the_transaction_between_status_counts() -> None:
    submitted = fold([event(DeliveryStatus.SUBMITTED)])
    delivered = fold([event(DeliveryStatus.DELIVERED, 12)], start=submitted)
    assert submitted is not None and delivered is not None

    moved = difference(submitted, delivered)

    day = AggregateKey(DAY, "2026-12-02", "sms")
    campaign = AggregateKey(CAMPAIGN, "spring", "sms")
    bucket = histogram.bucket_of(12)
    expected = {"s_submitted": -1, "s_delivered": 1, "open": -1, f"d_{bucket}": 1}
    assert moved == {day: expected, campaign: expected}


def test_a_new_transaction_adds_one_to_its_day_and_campaign() -> None:
    first = fold([event(DeliveryStatus.SUBMITTED)])
    assert first is not None
    moved = difference(None, first)
    counters = {"n": 1, "s_submitted": 1, "open": 1}
    assert moved == {
        AggregateKey(DAY, "2026-12-02", "sms"): counters,
        AggregateKey(CAMPAIGN, "spring", "sms"): counters,
    }


def test_without_a_correlation_id_only_the_day_counts_it() -> None:
    alone = fold([event(DeliveryStatus.DELIVERED, campaign="")])
    assert alone is not None
    assert [key.kind for key in contribution(alone)] == [DAY]


def test_a_failure_counts_its_status_and_code() -> None:
    failed = fold(
        [event(DeliveryStatus.SUBMITTED), event(DeliveryStatus.UNDELIVERED, 5, code=7202)]
    )
    assert failed is not None
    (counters, _) = contribution(failed).values()
    assert counters == {"n": 1, "s_undelivered": 1, "f_undelivered_7202": 1}


def test_a_failure_after_delivery_still_counts_as_delivered() -> None:
    # An email complaint follows its delivery: the status is the complaint, yet the message
    # did reach the inbox.
    complained = fold(
        [
            event(DeliveryStatus.SUBMITTED, channel=Channel.EMAIL),
            event(DeliveryStatus.DELIVERED, 3, channel=Channel.EMAIL),
            event(DeliveryStatus.COMPLAINT, 600, channel=Channel.EMAIL),
        ]
    )
    assert complained is not None
    (counters, _) = contribution(complained).values()
    assert counters["s_complaint"] == 1 and counters["f_complaint_none"] == 1
    assert counters[f"d_{histogram.bucket_of(3)}"] == 1


def test_time_to_read_runs_from_the_first_event() -> None:
    read = fold(
        [
            event(DeliveryStatus.READ, 300),
            event(DeliveryStatus.SUBMITTED, 0),
            event(DeliveryStatus.DELIVERED, 10),
        ]
    )
    assert read is not None
    (counters, _) = contribution(read).values()
    assert counters[f"r_{histogram.bucket_of(300)}"] == 1
    assert counters[f"d_{histogram.bucket_of(10)}"] == 1


def test_reconciled_and_horizon_closures_are_counted() -> None:
    reconciled = fold(
        [
            event(DeliveryStatus.SUBMITTED),
            event(DeliveryStatus.DELIVERED, 900, origin=EventOrigin.STATUS_API),
        ]
    )
    closed = fold(
        [
            event(DeliveryStatus.SUBMITTED),
            event(DeliveryStatus.UNKNOWN, 72 * 3600, origin=EventOrigin.HORIZON),
        ]
    )
    assert reconciled is not None and closed is not None
    (counters, _) = contribution(reconciled).values()
    assert counters["rec"] == 1 and counters["s_delivered"] == 1 and "open" not in counters
    (counters, _) = contribution(closed).values()
    assert counters == {"n": 1, "s_unknown": 1, "hz": 1}


def test_a_late_receipt_reopens_nothing_but_ends_the_horizon_closure() -> None:
    closed = fold(
        [
            event(DeliveryStatus.SUBMITTED),
            event(DeliveryStatus.UNKNOWN, 3600, origin=EventOrigin.HORIZON),
        ]
    )
    delivered = fold([event(DeliveryStatus.DELIVERED, 7200)], start=closed)
    assert closed is not None and delivered is not None
    moved = difference(closed, delivered)
    bucket = histogram.bucket_of(7200)
    expected = {"s_unknown": -1, "hz": -1, "s_delivered": 1, f"d_{bucket}": 1}
    assert list(moved.values()) == [expected, expected]


def test_an_event_without_a_timestamp_counts_at_its_arrival() -> None:
    undated = fold(
        [
            event(DeliveryStatus.SUBMITTED, 0),
            event(DeliveryStatus.DELIVERED, 40, occurred=UNKNOWN_INSTANT, received_after=0),
        ]
    )
    assert undated is not None
    assert undated.day == "2026-12-02"
    (counters, _) = contribution(undated).values()
    assert counters[f"d_{histogram.bucket_of(40)}"] == 1


def test_a_transaction_belongs_to_the_day_of_its_first_event() -> None:
    across_midnight = fold(
        [event(DeliveryStatus.DELIVERED, 14 * 3600), event(DeliveryStatus.SUBMITTED, -11 * 3600)]
    )
    assert across_midnight is not None
    assert across_midnight.day == "2026-12-01"


def test_an_unknown_channel_never_hides_a_known_one() -> None:
    tally_ = fold(
        [
            event(
                DeliveryStatus.UNKNOWN,
                99,
                origin=EventOrigin.HORIZON,
                channel=Channel.UNKNOWN,
                campaign="",
            ),
            event(DeliveryStatus.SUBMITTED, channel=Channel.EMAIL),
        ]
    )
    assert tally_ is not None
    assert (tally_.channel, tally_.campaign) == (Channel.EMAIL, "spring")
