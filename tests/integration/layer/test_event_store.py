"""The events table under moto, built from template.yaml."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from benchmarks.dynamodb_sizes import item_size
from botocore.stub import Stubber

from receipts.lifecycle import DeliveryStatus, current_event
from receipts.models.callback import parse_callback
from receipts.storage import EventStore, StoreUnavailableError, keys
from receipts.storage.event_store import CachedAnswer, InvalidCursorError

CALLBACKS = Path(__file__).resolve().parents[3] / "events" / "callbacks"
RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def callback(name_fragment: str, **changes: Any) -> bytes:
    (path,) = [p for p in CALLBACKS.glob("*.json") if name_fragment in p.name]
    payload = json.loads(path.read_text(encoding="utf-8"))
    notification = payload["deliveryInfoNotification"]
    for key, value in changes.items():
        if key in ("transid", "correlationid"):
            notification[key] = value
        else:
            notification["deliveryInfo"][key] = value
    return json.dumps(payload).encode()


def test_a_callback_is_stored_once(event_store: EventStore) -> None:
    event = parse_callback(callback("01-sms-submitted"))
    assert event_store.put_event(event, received_at=RECEIVED, gtrid="trace-1") is True
    assert event_store.put_event(event, received_at=RECEIVED, gtrid="trace-1") is False
    (stored,) = event_store.list_events(event.transid)
    assert stored.event == event
    assert stored.gtrid == "trace-1"
    assert stored.received_at == RECEIVED


def test_a_re_serialised_copy_is_the_same_event(event_store: EventStore) -> None:
    body = callback("01-sms-submitted")
    copy = json.dumps(json.loads(body), indent=2, sort_keys=True).encode()
    assert event_store.put_event(parse_callback(body), received_at=RECEIVED) is True
    assert event_store.put_event(parse_callback(copy), received_at=RECEIVED) is False


def test_another_spelling_of_a_status_is_another_event_of_the_same_status(
    event_store: EventStore,
) -> None:
    # The raw status is part of what the platform said: the identity never decides that
    # two spellings are one report. The lifecycle still reads both as one status.
    first = parse_callback(callback("01-sms-submitted"))
    respelled = parse_callback(callback("01-sms-submitted", deliveryStatus="Submited"))
    assert event_store.put_event(first, received_at=RECEIVED) is True
    assert event_store.put_event(respelled, received_at=RECEIVED) is True
    stored = [s.event.status for s in event_store.list_events(first.transid)]
    assert stored == [DeliveryStatus.SUBMITTED, DeliveryStatus.SUBMITTED]


# Pairs of callbacks the old identity (transid, time, status, code) took for one event.
DISTINCT_EVENTS_OF_ONE_TRANSACTION = {
    "two clicks in one second": (
        {
            "deliveryStatus": "Clicked",
            "code": "7528",
            "timeStamp": "2026-11-23 10:00:01",
            "Description": "https://example.com/a|198.51.100.7",
        },
        {
            "deliveryStatus": "Clicked",
            "code": "7528",
            "timeStamp": "2026-11-23 10:00:01",
            "Description": "https://example.com/b|198.51.100.7",
        },
    ),
    "two RTM button presses in one second": (
        {
            "deliveryStatus": "Read",
            "timeStamp": "2026-11-23 10:00:01",
            "interaction": {"type": "button", "payload": "yes"},
        },
        {
            "deliveryStatus": "Read",
            "timeStamp": "2026-11-23 10:00:01",
            "interaction": {"type": "button", "payload": "no"},
        },
    ),
    "no timestamp, other description": (
        {"timeStamp": None, "Description": "Submitted to carrier A"},
        {"timeStamp": None, "Description": "Submitted to carrier B"},
    ),
    "unreadable timestamps": (
        {"timeStamp": "yesterday"},
        {"timeStamp": "today"},
    ),
    "no code and code 0": ({"code": None}, {"code": "0"}),
    "two non-numeric codes": ({"code": "E1"}, {"code": "E2"}),
    "one transid on two channels": ({"deliveryChannel": "SMS"}, {"deliveryChannel": "rt"}),
    "other additional info": (
        {"additional_info": {"segment": 1}},
        {"additional_info": {"segment": 2}},
    ),
}


@pytest.mark.parametrize(
    ("first_changes", "second_changes"),
    DISTINCT_EVENTS_OF_ONE_TRANSACTION.values(),
    ids=DISTINCT_EVENTS_OF_ONE_TRANSACTION.keys(),
)
def test_distinct_events_are_never_merged(
    event_store: EventStore, first_changes: dict[str, Any], second_changes: dict[str, Any]
) -> None:
    first = parse_callback(callback("01-sms-submitted", **first_changes))
    second = parse_callback(callback("01-sms-submitted", **second_changes))
    assert event_store.put_event(first, received_at=RECEIVED) is True
    assert event_store.put_event(second, received_at=RECEIVED) is True
    # ... and each is still stored once.
    assert event_store.put_event(second, received_at=RECEIVED) is False
    assert len(event_store.list_events(first.transid)) == 2


def test_events_come_back_in_time_order_and_status_never_regresses(
    event_store: EventStore,
) -> None:
    submitted = parse_callback(callback("01-sms-submitted"))
    delivered = parse_callback(callback("02-sms-delivered", timeStamp="2016-07-20T17:13:19.000"))
    # The delivery report arrives before the submit report.
    event_store.put_event(delivered, received_at=RECEIVED)
    event_store.put_event(submitted, received_at=RECEIVED + timedelta(seconds=1))
    events = [stored.event for stored in event_store.list_events(submitted.transid)]
    assert [e.status for e in events] == [DeliveryStatus.SUBMITTED, DeliveryStatus.DELIVERED]
    winner = current_event(events)
    assert winner is not None
    assert winner.status is DeliveryStatus.DELIVERED


def test_failure_events_carry_the_alert_flag(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    failed = parse_callback(callback("04-sms-failed"))
    delivered = parse_callback(callback("02-sms-delivered"))
    event_store.put_event(failed, received_at=RECEIVED)
    event_store.put_event(delivered, received_at=RECEIVED)
    items = dynamodb_client.scan(TableName=events_table)["Items"]
    flags = {item["status"]["S"]: item.get("alert", {}).get("BOOL") for item in items}
    assert flags == {"failed": True, "delivered": None}


def test_search_by_destination_is_newest_first_and_paginated(event_store: EventStore) -> None:
    for minute in range(5):
        event = parse_callback(
            callback(
                "02-sms-delivered",
                transid=f"tx-{minute}",
                timeStamp=f"2016-07-20T17:{minute:02d}:00.000",
            )
        )
        event_store.put_event(event, received_at=RECEIVED)
    first = event_store.search(destination="918886661353", limit=2)
    assert [m.transid for m in first.matches] == ["tx-4", "tx-3"]
    assert first.next_cursor is not None
    second = event_store.search(destination="918886661353", limit=2, cursor=first.next_cursor)
    assert [m.transid for m in second.matches] == ["tx-2", "tx-1"]
    third = event_store.search(destination="918886661353", limit=2, cursor=second.next_cursor)
    assert [m.transid for m in third.matches] == ["tx-0"]


def test_a_destination_page_may_end_between_events_of_one_instant(
    event_store: EventStore,
) -> None:
    # One transaction's events at one instant share their index sort value: the token of
    # the first must lead to the others, not past them.
    instant = "2016-07-20T17:05:00.000"
    samples = ["01-sms-submitted", "02-sms-delivered", "04-sms-failed"]
    for sample in samples:
        event = parse_callback(
            callback(sample, transid="tx-tied", timeStamp=instant, destination="918886661353")
        )
        assert event_store.put_event(event, received_at=RECEIVED)
    older = parse_callback(
        callback("02-sms-delivered", transid="tx-older", timeStamp="2016-07-20T17:00:00.000")
    )
    event_store.put_event(older, received_at=RECEIVED)

    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    for _ in range(10):
        page = event_store.search(destination="918886661353", limit=1, cursor=cursor)
        seen += [(m.transid, m.status.value) for m in page.matches]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert cursor is None
    assert sorted(seen[:3]) == [
        ("tx-tied", "delivered"),
        ("tx-tied", "failed"),
        ("tx-tied", "submitted"),
    ]
    assert seen[3:] == [("tx-older", "delivered")]


def test_search_by_correlation_id(event_store: EventStore) -> None:
    event = parse_callback(callback("01-sms-submitted"))
    event_store.put_event(event, received_at=RECEIVED)
    page = event_store.search(correlationid="4eef-92ca-79fd0250c4a3-262895e4-2217")
    assert [m.transid for m in page.matches] == [event.transid]
    assert page.matches[0].status is DeliveryStatus.SUBMITTED
    assert event_store.search(correlationid="other").matches == []


def test_search_matches_carry_both_destination_and_correlation_id(
    event_store: EventStore,
) -> None:
    # Each index projects the other's key: searching by one must not blank the other.
    event = parse_callback(callback("01-sms-submitted"))
    event_store.put_event(event, received_at=RECEIVED)
    (by_destination,) = event_store.search(destination="918886661353").matches
    (by_correlation,) = event_store.search(correlationid=event.correlationid).matches
    for match in (by_destination, by_correlation):
        assert (match.destination, match.correlationid) == (
            "918886661353",
            "4eef-92ca-79fd0250c4a3-262895e4-2217",
        )


class _LeavesKeysUnprocessed:
    """The real client, but its first ``rounds`` BatchGetItem answers leave every key unread."""

    def __init__(self, client: Any, rounds: int) -> None:
        self._client = client
        self._rounds = rounds
        self.batch_calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        self.batch_calls += 1
        if self.batch_calls <= self._rounds:
            return {"Responses": {}, "UnprocessedKeys": request["RequestItems"]}
        answer: dict[str, Any] = self._client.batch_get_item(**request)
        return answer


def test_keys_the_table_leaves_unprocessed_are_read_again(
    dynamodb_client: Any, events_table: str
) -> None:
    flaky = _LeavesKeysUnprocessed(dynamodb_client, rounds=2)
    store = EventStore(flaky, events_table)  # type: ignore[arg-type]
    event = parse_callback(callback("01-sms-submitted"))
    store.put_event(event, received_at=RECEIVED)
    (match,) = store.search(destination="918886661353").matches
    assert match.correlationid == event.correlationid
    assert flaky.batch_calls == 3


def test_a_search_whose_keys_stay_unprocessed_is_a_store_fault(
    dynamodb_client: Any, events_table: str
) -> None:
    # Never a page with blanks where a correlation id belongs: the caller gets a 503.
    store = EventStore(_LeavesKeysUnprocessed(dynamodb_client, rounds=99), events_table)  # type: ignore[arg-type]
    store.put_event(parse_callback(callback("01-sms-submitted")), received_at=RECEIVED)
    with pytest.raises(StoreUnavailableError):
        store.search(destination="918886661353")


@pytest.mark.parametrize(
    "stored_as", ["918886661353", "+918886661353", "tel:+91 888 666 1353", "+91 (888) 666-1353"]
)
@pytest.mark.parametrize(
    "searched_as", ["918886661353", "+918886661353", "tel:+91 888 666 1353", " 91-888-666-1353"]
)
def test_every_spelling_of_a_number_finds_the_transaction(
    event_store: EventStore, stored_as: str, searched_as: str
) -> None:
    event = parse_callback(callback("01-sms-submitted", destination=stored_as))
    event_store.put_event(event, received_at=RECEIVED)
    assert [m.transid for m in event_store.search(destination=searched_as).matches] == [
        event.transid
    ]


def test_email_destinations_are_found_whatever_their_case(event_store: EventStore) -> None:
    event = parse_callback(callback("32-email-submitted", destination="Jane.Doe@Example.COM"))
    event_store.put_event(event, received_at=RECEIVED)
    found = event_store.search(destination="jane.doe@example.com").matches
    assert [m.transid for m in found] == [event.transid]
    # Opaque ids (push tokens, PSIDs) keep their case: another case is another id.
    push = parse_callback(callback("11-push-android_pushid-submitted", destination="AbCdEf0123"))
    event_store.put_event(push, received_at=RECEIVED)
    assert event_store.search(destination="abcdef0123").matches == []
    assert [m.transid for m in event_store.search(destination="AbCdEf0123").matches] == [
        push.transid
    ]


@pytest.mark.parametrize("cursor", ["not-base64!", "eyJ4IjogMX0=", "W10="])
def test_a_forged_cursor_is_refused(event_store: EventStore, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        event_store.search(destination="x", cursor=cursor)


def test_open_transactions_index_lists_only_unfinished_ones(event_store: EventStore) -> None:
    event_store.put_event(parse_callback(callback("01-sms-submitted")), received_at=RECEIVED)
    event_store.put_event(parse_callback(callback("02-sms-delivered")), received_at=RECEIVED)
    event_store.put_event(
        parse_callback(callback("01-sms-submitted", transid="still-open")), received_at=RECEIVED
    )
    assert event_store.open_transactions(keys.arrival_bucket(RECEIVED)) == [
        "262895e4-2217-4eef-92ca-79fd0250c4a3",
        "still-open",
    ]


def test_cached_answers_round_trip(event_store: EventStore) -> None:
    answer = CachedAnswer(body='[{"transactionid": "t"}]', fetched_at=RECEIVED, final=True)
    assert event_store.get_cached_answer("t") is None
    event_store.put_cached_answer("t", answer, keep_for=timedelta(days=1))
    assert event_store.get_cached_answer("t") == answer


def test_quarantine_keeps_the_raw_body(event_store: EventStore) -> None:
    kept = event_store.quarantine(
        body=b"\xff not json",
        received_at=RECEIVED,
        request_id="req-1",
        reason="body is not valid JSON",
        error_code="invalid_json",
        field=None,
        headers={"content-type": "application/json"},
    )
    assert event_store.list_quarantine("2026-11-23") == [kept]
    assert kept.body == b"\xff not json"


def test_throttling_is_a_retryable_store_fault(events_table: str) -> None:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    store = EventStore(client, events_table)
    event = parse_callback(callback("01-sms-submitted"))
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "put_item",
            service_error_code="ProvisionedThroughputExceededException",
            http_status_code=400,
        )
        with pytest.raises(StoreUnavailableError):
            store.put_event(event, received_at=RECEIVED)


def test_a_new_callback_costs_one_write_unit(event_store: EventStore) -> None:
    """DynamoDB bills a write per started KB of item: names plus values."""
    for path in sorted(CALLBACKS.glob("*.json")):
        event = parse_callback(path.read_bytes())
        item = event_store.event_item(event, received_at=RECEIVED, gtrid="a" * 36)
        size = item_size(item)
        assert size <= 1024, f"{path.name}: {size} bytes"
