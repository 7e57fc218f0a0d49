"""The stream consumer's reading of records and its answer to the event source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest
from tests.fakes.lambda_context import FakeLambdaContext

from receipts.aggregates.apply import Applied, ApplyError
from receipts.aggregates.tally import TallyEvent
from stream_consumer import handler
from stream_consumer.records import first_sequence_number, read_records
from stream_consumer.settings import StreamConsumerConfigurationError, settings_from

EVENT_SORT = "EV#2026-12-02T10:00:00.000Z#delivered#abc"


def record(
    sequence: str,
    partition: str = "TX#t1",
    sort: str = EVENT_SORT,
    *,
    name: str = "INSERT",
    **extra: Any,
) -> dict[str, Any]:
    image = {
        "pk": {"S": partition},
        "sk": {"S": sort},
        "channel": {"S": "sms"},
        "status": {"S": "delivered"},
        "received_at": {"S": "2026-12-02T10:00:01+00:00"},
        "code": {"N": "7505"},
        **extra,
    }
    return {"eventName": name, "dynamodb": {"NewImage": image, "SequenceNumber": sequence}}


def test_event_inserts_are_read_and_everything_else_skipped() -> None:
    read = read_records(
        [
            record("100"),
            record("101", name="MODIFY"),
            record("102", "TALLY#t1", "TALLY"),
            record("103", "CAMPAIGN.3#spring", "CHANNEL#sms"),
            record("104", "TX#t2"),
        ]
    )

    assert [(e.transid, e.sequence_number) for e in read.events] == [("t1", "100"), ("t2", "104")]
    assert read.skipped == 3 and read.unreadable == []
    assert read.events[0].event.code == 7505


def test_an_event_image_that_cannot_be_read_is_set_aside_not_retried_forever() -> None:
    read = read_records([record("7", sort="EV#not-a-time#x#y"), record("8", channel={"S": "fax"})])

    assert read.events == [] and read.unreadable == ["7", "8"]


def test_the_stream_goes_on_from_the_earliest_record_of_what_is_left() -> None:
    read = read_records([record("0120", "TX#a"), record("0119", "TX#b"), record("0200", "TX#b")])

    # Spelled as the record spelled it: the event source matches the string.
    assert first_sequence_number(read.events, {"b"}) == "0119"
    assert first_sequence_number(read.events, set()) is None


class FailingApply:
    def __init__(self, done: set[str]) -> None:
        self.done = done

    def __call__(
        self, store: Any, events: Mapping[str, Sequence[TallyEvent]], now: datetime
    ) -> Applied:
        raise ApplyError("lost races", frozenset(self.done))


def test_a_partly_applied_batch_reports_the_first_record_not_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handler, "apply_events", FailingApply({"a"}))
    batch = [record("10", "TX#a"), record("11", "TX#b"), record("12", "TX#a"), record("13", "TX#c")]

    answer = handler.lambda_handler({"Records": batch}, FakeLambdaContext(), store=object())  # type: ignore[arg-type]

    assert answer == {"batchItemFailures": [{"itemIdentifier": "11"}]}


def test_an_applied_batch_reports_no_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Mapping[str, Sequence[TallyEvent]]] = []

    def apply(store: Any, events: Mapping[str, Sequence[TallyEvent]], now: datetime) -> Applied:
        seen.append(events)
        return Applied(changed=2, unchanged=0, retries=0)

    monkeypatch.setattr(handler, "apply_events", apply)
    batch = [
        record("10", "TX#a"),
        record("11", "TX#b", name="REMOVE"),
        record("12", "TX#a"),
        record("x", "TX#c", sort="EV#bad"),
    ]

    answer = handler.lambda_handler({"Records": batch}, FakeLambdaContext(), store=object())  # type: ignore[arg-type]

    assert answer == {"batchItemFailures": []}
    assert {transid: len(events) for transid, events in seen[0].items()} == {"a": 2}


def test_the_table_name_is_required() -> None:
    with pytest.raises(StreamConsumerConfigurationError) as raised:
        settings_from({"RETENTION_DAYS": "30"})
    assert raised.value.variable == "EVENTS_TABLE_NAME"
    assert (
        settings_from({"EVENTS_TABLE_NAME": "events", "RETENTION_DAYS": "30"}).retention.days == 30
    )
