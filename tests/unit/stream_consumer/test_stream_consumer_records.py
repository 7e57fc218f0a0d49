"""The stream consumer's reading of records and its answer to the event source."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest
from tests.fakes.lambda_context import FakeLambdaContext

from receipts.aggregates.apply import Applied, ApplyError
from receipts.aggregates.tally import TallyEvent
from receipts.storage.suppressions import Move, Offered
from receipts.suppressions.verdicts import Verdict
from stream_consumer import handler
from stream_consumer.records import first_sequence_number, read_records
from stream_consumer.settings import StreamConsumerConfigurationError, settings_from

EVENT_SORT = "EV#2026-12-02T10:00:00.000Z#delivered#abc"


class Suppressions:
    """A suppression store that records the verdicts offered and fails those it is told to."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.offered: list[Verdict] = []

    def offer_all(self, verdicts: Sequence[Verdict], now: datetime) -> Offered:
        self.offered.extend(verdicts)
        failed = [(v, RuntimeError("throttled")) for v in verdicts if v.transid in self.failing]
        written = len(verdicts) - len(failed)
        return Offered({Move.SUPPRESSED: written} if written else {}, failed, [])


def consume(batch: list[dict[str, Any]], suppressions: Suppressions | None = None) -> Any:
    return handler.lambda_handler(
        {"Records": batch},
        FakeLambdaContext(),
        store=object(),  # type: ignore[arg-type]
        suppressions=suppressions or Suppressions(),  # type: ignore[arg-type]
    )


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

    answer = consume(batch)

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

    answer = consume(batch)

    assert answer == {"batchItemFailures": []}
    assert {transid: len(events) for transid, events in seen[0].items()} == {"a": 2}


def _applied(store: Any, events: Mapping[str, Sequence[TallyEvent]], now: datetime) -> Applied:
    return Applied(changed=len(events), unchanged=0, retries=0)


def failure(sequence: str, transid: str, destination: str) -> dict[str, Any]:
    return record(
        sequence,
        f"TX#{transid}",
        f"EV#2026-12-02T10:00:00.000Z#failed#{transid}",
        status={"S": "failed"},
        code={"N": "7203"},
        destination_key={"S": f"DEST#{destination}"},
    )


def test_each_destination_gets_the_latest_verdict_of_the_batch_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handler, "apply_events", _applied)
    suppressions = Suppressions()
    delivered_later = record(
        "12",
        "TX#b",
        "EV#2026-12-02T11:00:00.000Z#delivered#b",
        destination_key={"S": "DEST#918886661353"},
    )
    batch = [failure("10", "a", "918886661353"), delivered_later, failure("14", "c", "4477")]

    assert consume(batch, suppressions) == {"batchItemFailures": []}

    offered = {v.destination: (v.suppressed, v.transid) for v in suppressions.offered}
    assert offered == {"918886661353": (False, "b"), "4477": (True, "c")}


def test_a_register_left_unwritten_sends_the_stream_back_to_its_first_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handler, "apply_events", _applied)
    batch = [failure("20", "a", "1111111"), failure("21", "b", "2222222")]

    answer = consume(batch, Suppressions(failing=frozenset({"b"})))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "21"}]}


def test_both_steps_run_and_the_earliest_record_either_left_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The reports left b (from record 31), the suppressions left a (from record 30).
    monkeypatch.setattr(handler, "apply_events", FailingApply({"a", "c"}))
    suppressions = Suppressions(failing=frozenset({"a"}))
    batch = [failure("30", "a", "1111111"), failure("31", "b", "2222222")]

    answer = consume(batch, suppressions)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "30"}]}
    assert {v.transid for v in suppressions.offered} == {"a", "b"}


def test_a_bounce_is_read_with_its_type_and_other_events_are_not_decompressed() -> None:
    soft = b'{"deliveryInfoNotification": {"deliveryInfo": {"deliveryStatus": "Bounce",'
    soft += b' "Description": "Transient_MailboxFull", "code": "7520"}, "transid": "m"}}'
    bounce = record(
        "40",
        "TX#m",
        "EV#2026-12-02T10:00:00.000Z#bounced#m",
        status={"S": "bounced"},
        channel={"S": "email"},
        code={"N": "7520"},
        # As Lambda's stream event carries binary: base64 text.
        raw={"B": base64.b64encode(zlib.compress(soft)).decode()},
    )
    # Not a bounce: its body is never read, so a broken one changes nothing.
    other = record("41", "TX#n", raw={"B": "not base64 at all"})

    read = read_records([bounce, other])

    assert [event.description for event in read.events] == ["Transient_MailboxFull", ""]
    assert read.unreadable == []


def test_the_table_name_is_required() -> None:
    with pytest.raises(StreamConsumerConfigurationError) as raised:
        settings_from({"RETENTION_DAYS": "30"})
    assert raised.value.variable == "EVENTS_TABLE_NAME"
    assert (
        settings_from({"EVENTS_TABLE_NAME": "events", "RETENTION_DAYS": "30"}).retention.days == 30
    )


def test_when_the_reports_left_the_earlier_record_the_stream_goes_on_from_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The mirror of the case above: the reports left a (from 9), the suppressions left b
    # (from 10); sequence numbers of different lengths compare as numbers.
    monkeypatch.setattr(handler, "apply_events", FailingApply({"b"}))
    batch = [failure("9", "a", "1111111"), failure("10", "b", "2222222")]

    answer = consume(batch, Suppressions(failing=frozenset({"b"})))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "9"}]}


class Refusing(Suppressions):
    """Refuses every verdict for good, as the table refuses a key over its size limit."""

    def offer_all(self, verdicts: Sequence[Verdict], now: datetime) -> Offered:
        self.offered.extend(verdicts)
        return Offered({Move.REFUSED: len(verdicts)}, [], list(verdicts))


def test_a_register_the_table_refuses_is_left_out_not_retried(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(handler, "apply_events", _applied)

    answer = consume([failure("50", "a", "1111111")], Refusing())

    assert answer == {"batchItemFailures": []}
    assert '"SuppressionsRefused":[1.0]' in capsys.readouterr().out
    (refused,) = [r for r in caplog.records if "refuses" in r.getMessage()]
    assert refused.levelname == "ERROR" and refused.__dict__["transids"] == ["a"]
