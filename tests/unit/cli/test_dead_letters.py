"""What a dead-lettered alert message is, and a stream batch read again from the stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.fakes.callbacks import sms_failure

from receipts.models.callback import parse_callback
from receipts.storage import EventStore
from receipts.storage.alert_records import pipe_message_from_stream_record
from receipts_cli.dead_letters import (
    BATCH,
    MARKER,
    POISON,
    RECORD,
    StreamRecordsGoneError,
    batch_alert_messages,
    classify,
)

TRANSID = "f040fe8b-2876-4824-b59e-44420047e204"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/events/stream/2026-12-03T00:00:00"
SHARD = "shardId-00000001733220000000-abcdef01"
RECEIVED = datetime(2026, 12, 3, 10, 0, 1, tzinfo=UTC)


def message(body: str, *, receives: str = "3", **extra: Any) -> dict[str, Any]:
    return {
        "MessageId": "message-1",
        "ReceiptHandle": "handle-1",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": receives},
        **extra,
    }


def stream_record(
    sequence: int,
    *,
    event_name: str = "INSERT",
    alert: bool | None = True,
) -> dict[str, Any]:
    """A stream record of a stored SMS failure, its image as the webhook writes it."""
    event = parse_callback(sms_failure(TRANSID))
    image = EventStore(None, "events").event_item(event, received_at=RECEIVED, gtrid=None)
    image.pop("alert", None)
    if alert is not None:
        image["alert"] = {"BOOL": alert}
    return {
        "eventName": event_name,
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": str(sequence),
        },
    }


# ---- classify --------------------------------------------------------------------------------


def test_a_stream_record_names_its_transaction_and_status() -> None:
    body = pipe_message_from_stream_record(stream_record(1))

    letter = classify(
        message(body, MessageAttributes={"origin": {"StringValue": "x", "DataType": "String"}})
    )

    assert letter.kind == RECORD
    assert (letter.transid, letter.status) == (TRANSID, "failed")
    assert letter.movable
    assert (letter.message_id, letter.receipt_handle, letter.body) == (
        "message-1",
        "handle-1",
        body,
    )
    assert letter.receives == 3
    assert letter.attributes == {"origin": {"StringValue": "x", "DataType": "String"}}
    assert letter.batch is None


def test_a_digest_marker_names_its_window() -> None:
    body = json.dumps(
        {"alertsDigest": {"window": "2026-12-03T10:00:00Z", "windowSeconds": 300, "sequence": 0}}
    )

    letter = classify(message(body))

    assert letter.kind == MARKER
    assert letter.status == "digest of 2026-12-03T10:00:00Z"
    assert letter.transid is None
    assert letter.movable


def test_a_digest_marker_without_a_window_object_is_still_a_marker() -> None:
    letter = classify(message(json.dumps({"alertsDigest": "2026-12-03T10:00:00Z"})))

    assert letter.kind == MARKER
    assert letter.status == "digest of None"


BATCH_INFO = {
    "shardId": SHARD,
    "startSequenceNumber": "100",
    "endSequenceNumber": "200",
    "streamArn": STREAM_ARN,
    "batchSize": 10,
}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(BATCH_INFO, id="at the top"),
        pytest.param(
            {
                "requestContext": {"condition": "RetryAttemptsExhausted"},
                "DDBStreamBatchInfo": BATCH_INFO,
            },
            id="lambda's DDBStreamBatchInfo",
        ),
        pytest.param({"context": {"source": {"batch": BATCH_INFO}}}, id="deeply nested"),
        pytest.param({"context": {"attempts": [{"n": 1}, {"stream": BATCH_INFO}]}}, id="in a list"),
    ],
)
def test_a_stream_batch_is_found_under_any_key(payload: dict[str, Any]) -> None:
    letter = classify(message(json.dumps(payload)))

    assert letter.kind == BATCH
    assert letter.batch == BATCH_INFO
    assert letter.movable
    assert letter.transid is None


def test_a_batch_needs_a_shard_and_a_first_sequence_number() -> None:
    payload = {"DDBStreamBatchInfo": {"shardId": SHARD, "streamArn": STREAM_ARN}}

    assert classify(message(json.dumps(payload))).kind == POISON


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not JSON"),
        pytest.param("", id="empty"),
        pytest.param(
            "[" + pipe_message_from_stream_record(stream_record(1)) + "]", id="a JSON list"
        ),
        pytest.param(json.dumps([BATCH_INFO]), id="a JSON list holding a batch"),
        pytest.param('"a string"', id="a JSON string"),
        pytest.param("42", id="a JSON number"),
        pytest.param(json.dumps({"hello": "world"}), id="an unknown object"),
        pytest.param(
            pipe_message_from_stream_record(stream_record(1)).replace('"raw"', '"other"'),
            id="a record without its body",
        ),
        pytest.param(
            json.dumps({"dynamodb": {"NewImage": {"pk": {"S": f"TX#{TRANSID}"}}}}),
            id="a record without a status",
        ),
        pytest.param(json.dumps({"dynamodb": "nonsense"}), id="a record of the wrong shape"),
    ],
)
def test_anything_else_is_poison_and_never_moved(body: str) -> None:
    letter = classify(message(body))

    assert letter.kind == POISON
    assert not letter.movable
    assert (letter.transid, letter.status, letter.batch) == (None, None, None)
    assert letter.body == body


def test_a_message_without_attributes_has_no_receives() -> None:
    letter = classify({"MessageId": "m", "ReceiptHandle": "h", "Body": "x"})

    assert letter.receives == 0
    assert letter.attributes == {}


# ---- batch_alert_messages --------------------------------------------------------------------


class FakeStreams:
    """A DynamoDB Streams client over one shard's pages of records."""

    def __init__(self, pages: list[list[dict[str, Any]]], error: str | None = None) -> None:
        self._pages = pages
        self._error = error
        self.iterator_requests: list[dict[str, Any]] = []
        self.record_requests: list[dict[str, Any]] = []

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        self.iterator_requests.append(request)
        if self._error is not None:
            raise ClientError(
                {"Error": {"Code": self._error, "Message": "gone"}}, "GetShardIterator"
            )
        return {"ShardIterator": "page-0"}

    def get_records(self, **request: Any) -> dict[str, Any]:
        self.record_requests.append(request)
        index = int(request["ShardIterator"].removeprefix("page-"))
        answer: dict[str, Any] = {"Records": self._pages[index]}
        if index + 1 < len(self._pages):
            answer["NextShardIterator"] = f"page-{index + 1}"
        return answer


def batch(start: int, end: int | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "streamArn": STREAM_ARN,
        "shardId": SHARD,
        "startSequenceNumber": str(start),
    }
    if end is not None:
        info["endSequenceNumber"] = str(end)
    return info


def test_a_batch_gives_the_alert_records_of_its_range_in_order() -> None:
    records = [
        stream_record(100),
        stream_record(101, event_name="MODIFY"),
        stream_record(102, alert=False),
        stream_record(103, alert=None),
        stream_record(104, event_name="REMOVE"),
        stream_record(105),
        stream_record(200),
        stream_record(201),
        stream_record(300),
    ]
    streams = FakeStreams([records[:3], records[3:7], records[7:]])

    messages = batch_alert_messages(streams, batch(100, 200))

    assert messages == [
        pipe_message_from_stream_record(records[0]),
        pipe_message_from_stream_record(records[5]),
        pipe_message_from_stream_record(records[6]),
    ]
    (asked,) = streams.iterator_requests
    assert asked == {
        "StreamArn": STREAM_ARN,
        "ShardId": SHARD,
        "ShardIteratorType": "AT_SEQUENCE_NUMBER",
        "SequenceNumber": "100",
    }
    # The third page is read and stops at the first record beyond the range.
    assert [r["ShardIterator"] for r in streams.record_requests] == ["page-0", "page-1", "page-2"]


def test_records_beyond_the_end_are_not_returned_and_not_read_further() -> None:
    streams = FakeStreams([[stream_record(5), stream_record(6)], [stream_record(7)]])

    assert batch_alert_messages(streams, batch(5, 5)) == [
        pipe_message_from_stream_record(stream_record(5))
    ]
    assert len(streams.record_requests) == 1


def test_sequence_numbers_compare_as_numbers_not_text() -> None:
    # Real sequence numbers are long decimals: "999" > "1000" as text, not as numbers.
    streams = FakeStreams([[stream_record(999), stream_record(1000), stream_record(1001)]])

    messages = batch_alert_messages(streams, batch(999, 1000))

    assert messages == [
        pipe_message_from_stream_record(stream_record(999)),
        pipe_message_from_stream_record(stream_record(1000)),
    ]


def test_a_batch_without_an_end_is_its_first_record_only() -> None:
    streams = FakeStreams([[stream_record(42), stream_record(43)]])

    assert batch_alert_messages(streams, batch(42, None)) == [
        pipe_message_from_stream_record(stream_record(42))
    ]


def test_a_batch_of_no_alerts_gives_nothing() -> None:
    streams = FakeStreams([[stream_record(1, alert=False), stream_record(2, event_name="MODIFY")]])

    assert batch_alert_messages(streams, batch(1, 2)) == []


def test_empty_pages_before_the_records_are_read_through() -> None:
    # GetRecords may answer an empty page before the records it holds.
    streams = FakeStreams([[], [], [stream_record(7)], [stream_record(8)]])

    assert batch_alert_messages(streams, batch(7, 7)) == [
        pipe_message_from_stream_record(stream_record(7))
    ]


def test_an_open_shard_that_stays_empty_is_not_read_for_ever() -> None:
    pages: list[list[dict[str, Any]]] = [[stream_record(7)], *([[]] * 50)]
    streams = FakeStreams(pages)

    assert batch_alert_messages(streams, batch(7, 9)) == [
        pipe_message_from_stream_record(stream_record(7))
    ]
    assert len(streams.record_requests) < 10


@pytest.mark.parametrize("code", ["TrimmedDataAccessException", "ResourceNotFoundException"])
def test_records_the_stream_no_longer_holds_are_gone(code: str) -> None:
    with pytest.raises(StreamRecordsGoneError, match=code):
        batch_alert_messages(FakeStreams([], error=code), batch(1, 2))


def test_any_other_stream_error_is_raised_as_it_is() -> None:
    with pytest.raises(ClientError) as raised:
        batch_alert_messages(FakeStreams([], error="ThrottlingException"), batch(1, 2))

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert not isinstance(raised.value, StreamRecordsGoneError)
