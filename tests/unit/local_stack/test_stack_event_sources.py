"""The alerts pipe and the SQS poller, with in-memory fakes of the AWS clients; and the SQS
event sources as the template declares them (a SAM event or a mapping resource)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from local_stack.functions import FunctionSpec, SqsTrigger, function_specs
from local_stack.intrinsics import Evaluator, TemplateError, resolve_parameters
from local_stack.lambda_runtime import LocalFunction
from local_stack.pipe import PipeSettings, StreamPipe
from local_stack.sqs_poller import PollerSettings, Settlement, SqsPoller, settle_batch, sqs_event
from local_stack.template import load_template
from receipts.storage.alert_records import stored_event_from_pipe_message

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:alerts"


def _message(index: int, body: str = "{}") -> dict[str, Any]:
    return {
        "MessageId": f"m-{index}",
        "ReceiptHandle": f"r-{index}",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "MessageAttributes": {"kind": {"StringValue": "alert", "DataType": "String"}},
    }


# ---- SQS events and batch settlement ----------------------------------------------------


def test_the_event_has_lambdas_sqs_record_shape() -> None:
    event = sqs_event([_message(1, "hello")], queue_arn=QUEUE_ARN, region="us-east-1")

    (record,) = event["Records"]
    assert record["messageId"] == "m-1"
    assert record["receiptHandle"] == "r-1"
    assert record["body"] == "hello"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "alert"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == QUEUE_ARN
    assert record["awsRegion"] == "us-east-1"


IDS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("result", "report", "expected"),
    [
        (None, True, Settlement(IDS, [])),
        ({"batchItemFailures": []}, True, Settlement(IDS, [])),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, True, Settlement(["a", "c"], ["b"])),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, True, Settlement([], IDS)),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, True, Settlement([], IDS)),
        ({"batchItemFailures": "b"}, True, Settlement([], IDS)),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, False, Settlement(IDS, [])),
    ],
)
def test_batch_item_failures_are_honoured_as_lambda_does(
    result: Any, report: bool, expected: Settlement
) -> None:
    assert settle_batch(result, IDS, report_batch_item_failures=report) == expected


@dataclass
class FakeSqs:
    """Just enough of the SQS client: queued messages and what was done to them."""

    inbox: list[dict[str, Any]] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    made_visible: list[tuple[str, int]] = field(default_factory=list)
    failures_before_send: int = 0

    def receive_message(self, **request: Any) -> dict[str, Any]:
        messages, self.inbox = self.inbox[: request["MaxNumberOfMessages"]], self.inbox[10:]
        return {"Messages": messages}

    def delete_message_batch(self, **request: Any) -> None:
        self.deleted.extend(entry["ReceiptHandle"] for entry in request["Entries"])

    def change_message_visibility_batch(self, **request: Any) -> None:
        self.made_visible.extend(
            (entry["ReceiptHandle"], entry["VisibilityTimeout"]) for entry in request["Entries"]
        )

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:  # noqa: N803
        if self.failures_before_send:
            self.failures_before_send -= 1
            raise ConnectionError("queue unavailable")
        self.sent.append((QueueUrl, MessageBody))


def _poller(sqs: FakeSqs, handler: Any) -> SqsPoller:
    spec = FunctionSpec("Alerts", "alerts.handler.lambda_handler", "functions", 30, 512)
    function = LocalFunction(
        spec, function_name="alerts", region="us-east-1", account_id="1", handler=handler
    )
    settings = PollerSettings("queue-url", QUEUE_ARN, "us-east-1", retry_visibility_seconds=2)
    return SqsPoller(settings, function, sqs)


def test_succeeded_records_are_deleted_and_failed_ones_come_back_soon() -> None:
    sqs = FakeSqs(inbox=[_message(1), _message(2), _message(3)])

    settlement = _poller(
        sqs, lambda event, context: {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    ).poll_once()

    assert settlement == Settlement(["m-1", "m-3"], ["m-2"])
    assert sqs.deleted == ["r-1", "r-3"]
    assert sqs.made_visible == [("r-2", 2)]


def test_a_handler_that_raises_fails_the_whole_batch() -> None:
    sqs = FakeSqs(inbox=[_message(1), _message(2)])

    def handler(event: Any, context: Any) -> None:
        raise RuntimeError("boom")

    settlement = _poller(sqs, handler).poll_once()

    assert settlement == Settlement([], ["m-1", "m-2"])
    assert sqs.deleted == []
    assert [handle for handle, _ in sqs.made_visible] == ["r-1", "r-2"]


def test_an_empty_queue_invokes_nothing() -> None:
    calls = []

    assert _poller(FakeSqs(), lambda event, context: calls.append(event)).poll_once() is None
    assert calls == []


# ---- the pipe ---------------------------------------------------------------------------


def _stream_record(alert: bool, event_name: str = "INSERT") -> dict[str, Any]:
    import zlib

    from receipts.storage.keys import TTL_ATTRIBUTE

    body = (
        b'{"deliveryInfoNotification":{"deliveryInfo":{"deliveryChannel":"SMS",'
        b'"deliveryStatus":"Failed","code":"7200","timeStamp":"2016-07-28T11:47:56.459",'
        b'"destination":"919908505526"},"transid":"t-1"}}'
    )
    image: dict[str, Any] = {
        "pk": {"S": "TX#t-1"},
        "sk": {"S": "EV#2016-07-28T11:47:56.459Z#failed#7200"},
        "received_at": {"S": "2026-01-01T00:00:00+00:00"},
        "raw": {"B": zlib.compress(body)},
        TTL_ATTRIBUTE: {"N": "1"},
    }
    if alert:
        image["alert"] = {"BOOL": True}
    return {"eventName": event_name, "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}


def _pipe(sqs: FakeSqs) -> StreamPipe:
    settings = PipeSettings("stream-arn", "alerts-url", "pipe-dlq-url", send_attempts=2)
    return StreamPipe(settings, streams_client=None, sqs_client=sqs)


def test_the_pipe_forwards_only_new_alert_records_in_the_pipes_format() -> None:
    sqs = FakeSqs()

    _pipe(sqs).forward(
        [_stream_record(alert=True), _stream_record(alert=False), _stream_record(True, "MODIFY")]
    )

    ((url, body),) = sqs.sent
    assert url == "alerts-url"
    stored = stored_event_from_pipe_message(body)
    assert stored.event.transid == "t-1"
    assert json.loads(body)["eventName"] == "INSERT"


def test_a_record_the_queue_keeps_refusing_goes_to_the_pipes_dead_letter_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("local_stack.pipe.time.sleep", lambda seconds: None)
    sqs = FakeSqs(failures_before_send=2)
    pipe = _pipe(sqs)

    pipe.forward([_stream_record(alert=True)])

    assert [url for url, _ in sqs.sent] == ["pipe-dlq-url"]
    assert (pipe.forwarded, pipe.dead_lettered) == (0, 1)


# ---- the template's SQS event sources ---------------------------------------------------

ALERTS_SETTINGS: dict[str, Any] = {
    "BatchSize": 10,
    "MaximumBatchingWindowInSeconds": 5,
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "ScalingConfig": {"MaximumConcurrency": 4},
}
ALERTS_TRIGGER = SqsTrigger(
    function="AlertsFunction",
    queue_logical_id="AlertsQueue",
    batch_size=10,
    batching_window_seconds=5,
    report_batch_item_failures=True,
    maximum_concurrency=4,
)
QUEUE = {"Fn::GetAtt": ["AlertsQueue", "Arn"]}


def _function(events: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"Handler": "alerts.handler.lambda_handler"}
    if events is not None:
        properties["Events"] = events
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _mapping(**properties: Any) -> dict[str, Any]:
    defaults = {"FunctionName": {"Ref": "AlertsFunction"}, "EventSourceArn": QUEUE}
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {**defaults, **ALERTS_SETTINGS, **properties},
    }


def _sqs_triggers(resources: dict[str, Any]) -> tuple[SqsTrigger, ...]:
    template = {"Resources": {"AlertsQueue": {"Type": "AWS::SQS::Queue"}, **resources}}
    evaluator = Evaluator(template, {}, resolve_resource=lambda logical_id, attribute: "arn")
    return function_specs(template, evaluator)["AlertsFunction"].sqs_triggers


def test_a_sam_sqs_event_becomes_a_poller_trigger() -> None:
    event = {"Type": "SQS", "Properties": {"Queue": QUEUE, **ALERTS_SETTINGS}}

    assert _sqs_triggers({"AlertsFunction": _function({"AlertsQueue": event})}) == (ALERTS_TRIGGER,)


def test_a_mapping_resource_on_a_queue_becomes_the_same_trigger() -> None:
    resources = {"AlertsFunction": _function(), "AlertsFunctionAlertsQueue": _mapping()}

    assert _sqs_triggers(resources) == (ALERTS_TRIGGER,)


def test_a_mapping_may_name_its_function_by_arn() -> None:
    mapping = _mapping(FunctionName={"Fn::GetAtt": ["AlertsFunction", "Arn"]})

    assert _sqs_triggers({"AlertsFunction": _function(), "M": mapping}) == (ALERTS_TRIGGER,)


def test_a_disabled_mapping_polls_nothing() -> None:
    resources = {"AlertsFunction": _function(), "M": _mapping(Enabled=False)}

    assert _sqs_triggers(resources) == ()


def test_a_mapping_on_a_source_with_nothing_local_to_run_it_is_left_out() -> None:
    kinesis = _mapping(EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s")

    assert _sqs_triggers({"AlertsFunction": _function(), "M": kinesis}) == ()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (_mapping(FunctionName="alerts"), "FunctionName must be !Ref"),
        (_mapping(FunctionName={"Ref": "Missing"}), "not a serverless function"),
    ],
)
def test_a_mapping_onto_no_function_of_the_template_is_refused(
    mapping: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        _sqs_triggers({"AlertsFunction": _function(), "M": mapping})


def test_the_templates_alerts_queue_mapping_is_the_alerts_functions_poller() -> None:
    template = load_template()
    evaluator = Evaluator(
        template,
        resolve_parameters(template),
        resolve_resource=lambda logical_id, attribute: f"arn:{logical_id}",
    )
    concurrency = int(template["Parameters"]["AlertsMaxConcurrency"]["Default"])

    specs = function_specs(template, evaluator)

    assert "Events" not in template["Resources"]["AlertsFunction"]["Properties"]
    assert specs["AlertsFunction"].sqs_triggers == (
        SqsTrigger("AlertsFunction", "AlertsQueue", 10, 5, True, concurrency),
    )
    assert [spec.logical_id for spec in specs.values() if spec.sqs_triggers] == ["AlertsFunction"]
