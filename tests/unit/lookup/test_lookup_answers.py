"""Vendor-shaped answers rebuilt from stored callbacks, and this product's own views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.lookup.lookup_fakes import START, stored, vendor_body

from lookup.answers import (
    VENDOR_CHANNEL_WORDS,
    VENDOR_STATUS_WORDS,
    answer_is_final,
    callbacks_view,
    search_page_view,
    timeline,
    vendor_answer_from_callbacks,
)
from lookup.schemas import AnswerSource
from receipts.channels import Channel, canonical_channel
from receipts.codes.classification import Classification
from receipts.lifecycle import DeliveryStatus, EventOrigin, canonical_status
from receipts.models.reconciled import horizon_event, status_api_event
from receipts.models.status_api import parse_status_response
from receipts.storage import SearchPage, StoredEvent
from receipts.storage.event_store import SearchMatch
from receipts.timestamps import format_rfc1123

SMS_TX = "262895e4-2217-4eef-92ca-79fd0250c4a3"


def test_sms_delivered_is_final_and_answers_in_the_vendors_shape() -> None:
    events = [stored("01-sms-submitted"), stored("02-sms-delivered")]

    answer = vendor_answer_from_callbacks(SMS_TX, events)

    assert answer == [
        {
            "transactionid": SMS_TX,
            "clientid": None,
            "api_version": "v1",
            "type": None,
            "from": None,
            "to": "918886661353",
            "channel": "SMS",
            "status": "delivered",
            "date_created": "Wed, 20 Jul 2016 17:13:17 UTC",
            "last_updated": "Wed, 20 Jul 2016 17:13:17 UTC",
            "error_code": None,
            "error_message": None,
        }
    ]
    # The answer reads back through the layer's own status-API model as final.
    assert answer_is_final(parse_status_response(answer))


def test_sms_submitted_alone_is_not_final() -> None:
    assert vendor_answer_from_callbacks(SMS_TX, [stored("01-sms-submitted")]) is None
    assert vendor_answer_from_callbacks(SMS_TX, []) is None


def test_dates_are_the_earliest_and_latest_events_whatever_their_arrival_order() -> None:
    # Given "Delivered" stored before a late "Submitted" that happened earlier
    events = [
        stored("02-sms-delivered", timeStamp="2024-05-01T10:00:05.000Z"),
        stored("01-sms-submitted", timeStamp="2024-05-01T10:00:01.000Z"),
    ]

    [answer] = vendor_answer_from_callbacks(SMS_TX, events) or [{}]

    assert answer["status"] == "delivered"
    assert answer["date_created"] == "Wed, 01 May 2024 10:00:01 UTC"
    assert answer["last_updated"] == "Wed, 01 May 2024 10:00:05 UTC"


def test_a_callback_without_a_usable_timestamp_counts_by_its_arrival() -> None:
    events = [
        stored("01-sms-submitted", timeStamp="2024-05-01T10:00:01.000Z"),
        stored("02-sms-delivered", timeStamp="", received_at=START),
    ]

    [answer] = vendor_answer_from_callbacks(SMS_TX, events) or [{}]

    assert answer["date_created"] == "Wed, 01 May 2024 10:00:01 UTC"
    assert answer["last_updated"] == "Wed, 01 May 2024 12:00:00 UTC"


@pytest.mark.parametrize(
    ("sample", "channel", "status", "error_code", "error_message"),
    [
        ("03-sms-un-delivered", "SMS", "failed", "7208", "Message expired"),
        ("10-rt-failed", "RTM", "failed", "7304", None),
        ("05-voice-answered", "voice", "answered", None, None),
        ("28-fb-read", "fb", "read", None, None),
        ("36-email-bounce", "email", "failed", "7520", None),
    ],
)
def test_each_channel_and_outcome_in_the_vendors_words(
    sample: str, channel: str, status: str, error_code: str | None, error_message: str | None
) -> None:
    event = stored(sample)

    [answer] = vendor_answer_from_callbacks(event.event.transid, [event]) or [{}]

    assert answer["channel"] == channel
    assert answer["status"] == status
    assert answer["error_code"] == error_code
    if error_code is None:
        assert answer["error_message"] is None
    else:
        # The message comes from the code tables for this channel and status.
        assert answer["error_message"]
        if error_message is not None:
            assert answer["error_message"] == error_message


@given(
    st.sampled_from([status for status in DeliveryStatus if status is not DeliveryStatus.UNKNOWN])
)
def test_every_status_word_keeps_its_meaning_for_a_client(status: DeliveryStatus) -> None:
    """Whatever word is chosen, a client (and this proxy's cache) reads the same finality."""
    word = VENDOR_STATUS_WORDS[status]
    read_back = canonical_status(word)
    assert read_back.is_final == status.is_final
    assert read_back.is_failure == status.is_failure


@given(st.sampled_from([channel for channel in Channel if channel is not Channel.UNKNOWN]))
def test_every_channel_word_reads_back_as_the_same_channel(channel: Channel) -> None:
    assert canonical_channel(VENDOR_CHANNEL_WORDS[channel]) is channel


def test_a_vendor_answer_is_final_only_when_every_transaction_is() -> None:
    assert answer_is_final(parse_status_response(vendor_body("a", "delivered")))
    assert not answer_is_final(parse_status_response(vendor_body("a", "sent")))
    assert not answer_is_final(parse_status_response("[]"))


def test_the_timeline_is_in_time_order_with_every_detail() -> None:
    late_submitted = stored(
        "01-sms-submitted", timeStamp="2024-05-01T10:00:01.000Z", received_at=START
    )
    delivered = stored(
        "02-sms-delivered",
        timeStamp="2024-05-01T10:00:05.000Z",
        received_at=START - timedelta(minutes=1),
    )

    entries = timeline([delivered, late_submitted])

    assert [entry.status for entry in entries] == [
        DeliveryStatus.SUBMITTED,
        DeliveryStatus.DELIVERED,
    ]
    assert entries[0].raw_status == "Submitted"
    assert entries[0].code == 7501
    assert entries[0].description == "Submitted"
    assert entries[0].received_at == START
    assert entries[1].received_at == START - timedelta(minutes=1)


def test_a_callbacks_view_says_how_old_its_news_is() -> None:
    events = [
        stored("01-sms-submitted", received_at=START),
        stored("03-sms-un-delivered", transid=SMS_TX, received_at=START + timedelta(seconds=5)),
    ]

    view = callbacks_view(SMS_TX, events, now=START + timedelta(seconds=65))

    assert view.status is DeliveryStatus.UNDELIVERED
    assert view.final
    assert view.classification is Classification.FAILED_PERMANENT
    assert view.code is not None and view.code.code == 7208
    assert view.code.message == "Message expired"
    assert view.source is AnswerSource.CALLBACKS
    assert view.age_seconds == 60
    assert view.as_of == START + timedelta(seconds=5)
    assert view.correlationid == "4eef-92ca-79fd0250c4a3-262895e4-2217"
    assert len(view.timeline) == 2


def _horizon_closure(hours_later: int = 72) -> StoredEvent:
    closed_at = START + timedelta(hours=hours_later)
    event = horizon_event(SMS_TX, closed_at=closed_at, horizon_hours=72, reason="no receipt")
    return StoredEvent(event=event, received_at=closed_at, gtrid=None)


def _status_api_answer(status: str, minutes_later: int) -> StoredEvent:
    at = START + timedelta(minutes=minutes_later)
    transaction = {
        "transactionid": SMS_TX,
        "channel": "SMS",
        "status": status,
        "last_updated": format_rfc1123(at),
    }
    return StoredEvent(event=status_api_event(SMS_TX, transaction), received_at=at, gtrid=None)


def test_every_timeline_entry_says_where_it_came_from() -> None:
    events = [
        stored("01-sms-submitted", timeStamp="2024-05-01T10:00:01.000Z"),
        _status_api_answer("sent", minutes_later=15),
        _horizon_closure(),
    ]

    entries = timeline(events)

    assert [entry.origin for entry in entries] == [
        EventOrigin.CALLBACK,
        EventOrigin.STATUS_API,
        EventOrigin.HORIZON,
    ]
    assert entries[-1].model_dump(mode="json")["origin"] == "horizon"


def test_a_horizon_closure_is_final_with_status_unknown() -> None:
    events = [stored("01-sms-submitted"), _horizon_closure()]

    view = callbacks_view(SMS_TX, events, now=START + timedelta(hours=73))

    assert view.status is DeliveryStatus.UNKNOWN
    assert view.final is True
    assert view.timeline[-1].origin is EventOrigin.HORIZON


def test_a_receipt_after_the_horizon_still_outranks_the_closure() -> None:
    late_delivery = stored("02-sms-delivered", received_at=START + timedelta(hours=80))

    view = callbacks_view(SMS_TX, [_horizon_closure(), late_delivery], now=START)

    assert (view.status, view.final) == (DeliveryStatus.DELIVERED, True)


def test_the_vendor_shaped_answer_never_stands_on_a_horizon_closure() -> None:
    # The closure is this product's conclusion, not the vendor's word: the drop-in asks.
    events = [stored("01-sms-submitted"), _horizon_closure()]

    assert vendor_answer_from_callbacks(SMS_TX, events) is None


def test_the_status_apis_final_answer_answers_in_the_vendors_shape() -> None:
    events = [stored("01-sms-submitted"), _status_api_answer("delivered", minutes_later=15)]

    answer = vendor_answer_from_callbacks(SMS_TX, events)

    assert answer is not None and answer[0]["status"] == "delivered"


def test_a_callbacks_view_needs_an_event() -> None:
    with pytest.raises(ValueError, match="at least one"):
        callbacks_view(SMS_TX, [], now=START)


def _match(transid: str, status: DeliveryStatus, minute: int) -> SearchMatch:
    return SearchMatch(
        transid=transid,
        channel=Channel.SMS,
        status=status,
        occurred_at=START + timedelta(minutes=minute),
        code=None,
        classification=Classification.IN_PROGRESS
        if status is DeliveryStatus.SUBMITTED
        else Classification.DELIVERED,
        destination="918886661353",
        correlationid="",
    )


def test_a_search_page_groups_events_by_transaction_newest_first() -> None:
    page = SearchPage(
        matches=[
            _match("b", DeliveryStatus.SUBMITTED, 9),  # a late "Submitted" of b
            _match("a", DeliveryStatus.DELIVERED, 8),
            _match("b", DeliveryStatus.DELIVERED, 7),
            _match("a", DeliveryStatus.SUBMITTED, 6),
        ],
        next_cursor="token",
    )

    view = search_page_view(page, limit=4)

    assert [item.transactionid for item in view.items] == ["b", "a"]
    assert view.items[0].status is DeliveryStatus.DELIVERED  # the lifecycle rule, not arrival
    assert view.items[0].last_event_at == START + timedelta(minutes=9)
    assert [event.status for event in view.items[1].events] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.SUBMITTED,
    ]
    assert view.next == "token"
    assert view.limit == 4
