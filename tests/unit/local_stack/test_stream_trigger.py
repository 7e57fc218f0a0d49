"""DynamoDB stream triggers locally: the template's event, and the worker against moto."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from local_stack.functions import FunctionSpec, StreamTrigger, function_specs
from local_stack.intrinsics import Evaluator, TemplateError
from local_stack.lambda_runtime import LocalFunction
from local_stack.stream_trigger import (
    StreamTriggerSettings,
    StreamTriggerWorker,
    completed_records,
    lambda_stream_record,
)

CONSUMER_PATTERN = (
    '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "EV#"}]}}}}'
)
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:consumer"


# ---- the template's event ---------------------------------------------------------------


def _template(event_properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "EventsTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "StreamConsumerDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "StreamConsumerFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "stream_consumer.handler.lambda_handler",
                    "Events": {"TableStream": {"Type": "DynamoDB", "Properties": event_properties}},
                },
            },
        }
    }


def _consumer_event() -> dict[str, Any]:
    """The event of the brief, in the long form ``load_template`` gives."""
    return {
        "Stream": {"Fn::GetAtt": ["EventsTable", "StreamArn"]},
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": 500,
        "MaximumBatchingWindowInSeconds": 2,
        "ParallelizationFactor": 4,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 100,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "FilterCriteria": {"Filters": [{"Pattern": CONSUMER_PATTERN}]},
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": {"Fn::GetAtt": ["StreamConsumerDeadLetterQueue", "Arn"]},
            }
        },
    }


def _stream_triggers(event_properties: dict[str, Any]) -> tuple[StreamTrigger, ...]:
    template = _template(event_properties)
    evaluator = Evaluator(
        template, {}, resolve_resource=lambda logical_id, attribute: f"arn:{logical_id}"
    )
    return function_specs(template, evaluator)["StreamConsumerFunction"].stream_triggers


def test_the_templates_dynamodb_event_becomes_a_stream_trigger() -> None:
    (trigger,) = _stream_triggers(_consumer_event())

    assert trigger == StreamTrigger(
        function="StreamConsumerFunction",
        name="TableStream",
        table_logical_id="EventsTable",
        stream_arn=None,
        starting_position="TRIM_HORIZON",
        batch_size=500,
        batching_window_seconds=2,
        report_batch_item_failures=True,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=100,
        filter_patterns=(json.loads(CONSUMER_PATTERN),),
        on_failure_queue_logical_id="StreamConsumerDeadLetterQueue",
    )


def test_lambdas_defaults_apply_to_what_the_event_leaves_out() -> None:
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/other/stream/2024-01-01T00:00:00"

    (trigger,) = _stream_triggers({"Stream": stream_arn, "StartingPosition": "LATEST"})

    assert (trigger.table_logical_id, trigger.stream_arn) == (None, stream_arn)
    assert trigger.batch_size == 100
    assert trigger.maximum_retry_attempts == -1
    assert trigger.filter_patterns == ()
    assert trigger.on_failure_queue_logical_id is None
    assert not trigger.report_batch_item_failures
    assert not trigger.bisect_batch_on_function_error


def _mapping_resource(event_properties: dict[str, Any]) -> dict[str, Any]:
    """The event as an ``AWS::Lambda::EventSourceMapping``: the stream is ``EventSourceArn``
    and the on-failure destination has no ``Type`` (Lambda reads it from the ARN)."""
    properties = {k: v for k, v in event_properties.items() if k != "Stream"}
    destination = properties.get("DestinationConfig", {}).get("OnFailure")
    if destination:
        on_failure = {"Destination": destination["Destination"]}
        properties["DestinationConfig"] = {"OnFailure": on_failure}
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "FunctionName": {"Ref": "StreamConsumerFunction"},
            "EventSourceArn": event_properties["Stream"],
            **properties,
        },
    }


def _mapping_triggers(logical_id: str, event_properties: dict[str, Any]) -> tuple[Any, ...]:
    template = _template({})
    function = template["Resources"]["StreamConsumerFunction"]["Properties"]
    del function["Events"]
    template["Resources"][logical_id] = _mapping_resource(event_properties)
    evaluator = Evaluator(template, {}, resolve_resource=lambda logical_id, attribute: "arn")
    return function_specs(template, evaluator)["StreamConsumerFunction"].stream_triggers


def test_a_mapping_resource_on_the_stream_becomes_the_same_trigger() -> None:
    # Named as SAM names the mapping it generates for the event: the trigger keeps the
    # event's name, and with it its counters' key in the stack's stats.
    assert _mapping_triggers("StreamConsumerFunctionTableStream", _consumer_event()) == (
        _stream_triggers(_consumer_event())
    )


def test_a_mapping_named_otherwise_is_named_by_its_logical_id() -> None:
    (trigger,) = _mapping_triggers("ReportsFeed", _consumer_event())

    assert trigger.name == "ReportsFeed"


def test_a_mapping_on_a_stream_of_another_stack_reads_it_by_its_arn() -> None:
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/other/stream/2024-01-01T00:00:00"

    (trigger,) = _mapping_triggers("M", {"Stream": stream_arn, "StartingPosition": "LATEST"})

    assert (trigger.table_logical_id, trigger.stream_arn) == (None, stream_arn)


def test_a_disabled_mapping_is_no_trigger() -> None:
    assert _mapping_triggers("M", {**_consumer_event(), "Enabled": False}) == ()


def test_the_templates_stream_mapping_is_the_consumers_trigger() -> None:
    from local_stack.intrinsics import resolve_parameters
    from local_stack.template import load_template

    template = load_template()
    evaluator = Evaluator(
        template,
        resolve_parameters(template),
        resolve_resource=lambda logical_id, attribute: f"arn:{logical_id}",
    )

    specs = function_specs(template, evaluator)

    (trigger,) = specs["StreamConsumerFunction"].stream_triggers
    assert trigger == StreamTrigger(
        function="StreamConsumerFunction",
        name="TableStream",
        table_logical_id="EventsTable",
        stream_arn=None,
        starting_position="TRIM_HORIZON",
        batch_size=1000,
        batching_window_seconds=5,
        report_batch_item_failures=True,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=10000,
        filter_patterns=(json.loads(CONSUMER_PATTERN),),
        on_failure_queue_logical_id="StreamConsumerDeadLetterQueue",
    )
    assert [spec.logical_id for spec in specs.values() if spec.stream_triggers] == [
        "StreamConsumerFunction"
    ]


def test_a_disabled_event_is_no_trigger() -> None:
    assert _stream_triggers({**_consumer_event(), "Enabled": False}) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"StartingPosition": "AT_TIMESTAMP"}, "StartingPosition"),
        ({"FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}}, "filter 0"),
        ({"FilterCriteria": {"Filters": [{"Pattern": '{"a": [{"wildcard": "*"}]}'}]}}, "filter"),
        (
            {"DestinationConfig": {"OnFailure": {"Type": "SNS", "Destination": "arn:topic"}}},
            "only SQS",
        ),
        ({"Stream": "not-an-arn"}, "Stream"),
    ],
)
def test_what_cannot_run_locally_is_refused_clearly(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        _stream_triggers({**_consumer_event(), **change})


# ---- the answer's checkpoint -----------------------------------------------------------

SEQUENCES = ["101", "102", "103"]


@pytest.mark.parametrize(
    ("result", "report", "completed"),
    [
        (None, True, 3),
        ({"batchItemFailures": []}, True, 3),
        ({"batchItemFailures": [{"itemIdentifier": "102"}]}, True, 1),
        ({"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]}, True, 1),
        ({"batchItemFailures": [{"itemIdentifier": "101"}]}, True, 0),
        ({"batchItemFailures": [{"itemIdentifier": "999"}]}, True, 0),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, True, 0),
        ({"batchItemFailures": [{}]}, True, 0),
        ({"batchItemFailures": "102"}, True, 0),
        ({"batchItemFailures": [{"itemIdentifier": "102"}]}, False, 3),
    ],
)
def test_the_earliest_reported_failure_is_the_checkpoint(
    result: Any, report: bool, completed: int
) -> None:
    assert completed_records(result, SEQUENCES, report_batch_item_failures=report) == completed


# ---- the worker against moto's stream ---------------------------------------------------


@dataclass
class Recorder:
    """A handler that records each batch's sort keys; ``answers`` scripts what it does."""

    answers: list[Callable[[list[dict[str, Any]]], Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        # Lambda gives the function JSON: anything that is not JSON must fail here.
        self.events.append(json.loads(json.dumps(event)))
        records = event["Records"]
        return self.answers.pop(0)(records) if self.answers else None

    @property
    def batches(self) -> list[list[str]]:
        return [
            [record["dynamodb"]["Keys"]["sk"]["S"] for record in event["Records"]]
            for event in self.events
        ]


def _raise(records: list[dict[str, Any]]) -> Any:
    raise RuntimeError("the consumer is down")


def _report(position: int) -> Callable[[list[dict[str, Any]]], Any]:
    def answer(records: list[dict[str, Any]]) -> Any:
        identifier = records[position]["dynamodb"]["SequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": identifier}]}

    return answer


@dataclass
class Moto:
    dynamodb: Any
    streams: Any
    sqs: Any
    table: str
    stream_arn: str
    queue_url: str

    def put(self, sk: str, **attributes: Any) -> None:
        item = {"pk": {"S": "TX#t-1"}, "sk": {"S": sk}, **attributes}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def failure_records(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


@pytest.fixture
def moto(dynamodb_client: Any) -> Moto:
    table = "stream-trigger-test"
    dynamodb_client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    # botocore sends stream calls to an account-based host that moto does not serve yet.
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
    )
    sqs = boto3.client("sqs", region_name="us-east-1")
    return Moto(
        dynamodb=dynamodb_client,
        streams=streams,
        sqs=sqs,
        table=table,
        stream_arn=dynamodb_client.describe_table(TableName=table)["Table"]["LatestStreamArn"],
        queue_url=sqs.create_queue(QueueName="consumer-on-failure")["QueueUrl"],
    )


def _worker(moto: Moto, recorder: Recorder, **settings: Any) -> StreamTriggerWorker:
    spec = FunctionSpec("StreamConsumerFunction", "consumer.handler.handler", "functions", 30, 512)
    function = LocalFunction(
        spec,
        function_name="consumer",
        region="eu-west-1",
        account_id="123456789012",
        handler=recorder,
    )
    defaults = StreamTriggerSettings(
        stream_arn=moto.stream_arn,
        region="eu-west-1",
        on_failure_queue_url=moto.queue_url,
        poll_interval_seconds=0.01,
        retry_delay_seconds=0,
    )
    return StreamTriggerWorker(
        replace(defaults, **settings),
        function,
        moto.streams,
        moto.sqs,
        name="StreamConsumerFunction.TableStream",
    )


def _drain(worker: StreamTriggerWorker) -> None:
    while worker.poll_once():
        pass


def test_records_arrive_in_order_in_batches_of_at_most_the_batch_size(moto: Moto) -> None:
    for index in range(5):
        moto.put(f"EV#{index}")
    recorder = Recorder()
    worker = _worker(moto, recorder, batch_size=2)

    _drain(worker)

    assert recorder.batches == [["EV#0", "EV#1"], ["EV#2", "EV#3"], ["EV#4"]]
    assert worker.snapshot() == {
        "invocations": 3,
        "records_delivered": 5,
        "filtered_out": 0,
        "failed_invocations": 0,
        "on_failure_batches": 0,
        "records_discarded": 0,
    }
    moto.put("EV#5")
    _drain(worker)
    assert recorder.batches[-1] == ["EV#5"]


def test_the_event_has_lambdas_dynamodb_record_shape(moto: Moto) -> None:
    moto.put("EV#1", count={"N": "3"})
    recorder = Recorder()

    _drain(_worker(moto, recorder))

    ((record,),) = [event["Records"] for event in recorder.events]
    assert record["eventName"] == "INSERT"
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == moto.stream_arn
    assert record["eventID"]
    stream_data = record["dynamodb"]
    assert stream_data["Keys"] == {"pk": {"S": "TX#t-1"}, "sk": {"S": "EV#1"}}
    assert stream_data["NewImage"]["count"] == {"N": "3"}
    assert stream_data["StreamViewType"] == "NEW_IMAGE"
    assert stream_data["SequenceNumber"].isdigit()
    assert isinstance(stream_data["SizeBytes"], int)
    assert isinstance(stream_data["ApproximateCreationDateTime"], int)
    assert abs(stream_data["ApproximateCreationDateTime"] - time.time()) < 60


def test_binary_attributes_arrive_as_base64_text_wherever_they_are(moto: Moto) -> None:
    moto.put(
        "EV#1",
        raw={"B": b"\x00\xffraw"},
        set={"BS": [b"one", b"two"]},
        nested={"M": {"inner": {"B": b"deep"}, "items": {"L": [{"B": b"listed"}]}}},
    )
    recorder = Recorder()

    _drain(_worker(moto, recorder))

    image = recorder.events[0]["Records"][0]["dynamodb"]["NewImage"]

    def text(value: bytes) -> str:
        return base64.b64encode(value).decode()

    assert image["raw"] == {"B": text(b"\x00\xffraw")}
    assert sorted(image["set"]["BS"]) == sorted([text(b"one"), text(b"two")])
    assert image["nested"]["M"]["inner"] == {"B": text(b"deep")}
    assert image["nested"]["M"]["items"] == {"L": [{"B": text(b"listed")}]}


def test_the_creation_time_becomes_epoch_seconds() -> None:
    created = datetime(2024, 5, 1, 12, 0, 30, 500000, tzinfo=UTC)
    record = {"eventName": "INSERT", "dynamodb": {"ApproximateCreationDateTime": created}}

    converted = lambda_stream_record(record, stream_arn="arn:stream", region="us-east-1")

    assert converted["dynamodb"]["ApproximateCreationDateTime"] == 1714564830


def test_only_records_the_filter_keeps_are_delivered_and_take_no_room(moto: Moto) -> None:
    moto.put("EV#1")
    moto.put("TALLY#2024-01-01")
    moto.put("EV#1", changed={"S": "yes"})  # a MODIFY of an event item
    moto.put("EV#2")
    recorder = Recorder()
    worker = _worker(moto, recorder, batch_size=2, filter_patterns=(json.loads(CONSUMER_PATTERN),))

    _drain(worker)

    assert recorder.batches == [["EV#1", "EV#2"]]
    assert (worker.records_delivered, worker.filtered_out) == (2, 2)


def test_a_raising_function_gets_the_same_batch_again_until_it_succeeds(moto: Moto) -> None:
    for index in range(3):
        moto.put(f"EV#{index}")
    recorder = Recorder(answers=[_raise, _raise])
    worker = _worker(moto, recorder, maximum_retry_attempts=5)

    _drain(worker)

    assert recorder.batches == [["EV#0", "EV#1", "EV#2"]] * 3
    assert (worker.invocations, worker.failed_invocations, worker.records_delivered) == (3, 2, 3)
    assert moto.failure_records() == []


def test_reported_failures_retry_from_the_earliest_one_on(moto: Moto) -> None:
    for index in range(4):
        moto.put(f"EV#{index}")
    recorder = Recorder(answers=[_report(2)])
    worker = _worker(moto, recorder, report_batch_item_failures=True)

    _drain(worker)

    assert recorder.batches == [["EV#0", "EV#1", "EV#2", "EV#3"], ["EV#2", "EV#3"]]
    assert worker.records_delivered == 4


def test_an_unknown_item_identifier_fails_the_whole_batch(moto: Moto) -> None:
    moto.put("EV#0")
    moto.put("EV#1")
    recorder = Recorder(answers=[lambda records: {"batchItemFailures": [{"itemIdentifier": "x"}]}])

    _drain(_worker(moto, recorder, report_batch_item_failures=True))

    assert recorder.batches == [["EV#0", "EV#1"], ["EV#0", "EV#1"]]


def test_an_exhausted_batch_goes_to_the_on_failure_queue_and_the_stream_moves_on(
    moto: Moto,
) -> None:
    moto.put("EV#0")
    moto.put("EV#1")
    recorder = Recorder(answers=[_raise, _raise, _raise])
    worker = _worker(moto, recorder, batch_size=2, maximum_retry_attempts=2)

    _drain(worker)
    moto.put("EV#2")
    _drain(worker)

    assert recorder.batches == [["EV#0", "EV#1"]] * 3 + [["EV#2"]]
    (failure,) = moto.failure_records()
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"] == FUNCTION_ARN
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["DDBStreamBatchInfo"]
    first, second = (record["dynamodb"] for record in recorder.events[0]["Records"])
    assert info["startSequenceNumber"] == first["SequenceNumber"]
    assert info["endSequenceNumber"] == second["SequenceNumber"]
    assert info["batchSize"] == 2
    assert info["streamArn"] == moto.stream_arn
    assert info["shardId"].startswith("shardId-")
    assert worker.snapshot()["on_failure_batches"] == 1
    assert worker.snapshot()["records_discarded"] == 2


def test_bisecting_splits_a_failing_batch_in_halves_before_giving_up(moto: Moto) -> None:
    for index in range(4):
        moto.put(f"EV#{index}")

    def fail_on_poison(records: list[dict[str, Any]]) -> Any:
        if any(record["dynamodb"]["Keys"]["sk"]["S"] == "EV#3" for record in records):
            raise RuntimeError("poison")

    recorder = Recorder(answers=[fail_on_poison] * 10)
    worker = _worker(moto, recorder, bisect_batch_on_function_error=True, maximum_retry_attempts=2)

    _drain(worker)

    # 4 fail; halves: 2 good, 2 fail; halves again: 1 good, 1 poison (its 3rd invocation).
    assert recorder.batches == [
        ["EV#0", "EV#1", "EV#2", "EV#3"],
        ["EV#0", "EV#1"],
        ["EV#2", "EV#3"],
        ["EV#2"],
        ["EV#3"],
    ]
    (failure,) = moto.failure_records()
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert worker.records_delivered == 3


def test_fewer_records_than_a_batch_wait_for_the_batching_window(moto: Moto) -> None:
    moto.put("EV#0")
    recorder = Recorder()
    worker = _worker(moto, recorder, batch_size=10, batching_window_seconds=0.3)

    assert worker.poll_once() == 0
    moto.put("EV#1")
    time.sleep(0.35)
    assert worker.poll_once() == 2

    assert recorder.batches == [["EV#0", "EV#1"]]


def test_the_worker_thread_delivers_what_is_written_and_stops(moto: Moto) -> None:
    recorder = Recorder()
    worker = _worker(moto, recorder, starting_position="LATEST")
    moto.put("EV#before")  # LATEST: what was written before the start is not read
    worker.start()
    try:
        moto.put("EV#after")
        deadline = time.monotonic() + 5
        while not recorder.events and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()

    assert recorder.batches == [["EV#after"]]


# ---- in the stack -----------------------------------------------------------------------


def test_the_stack_runs_the_templates_stream_trigger_and_counts_it(tmp_path: Any) -> None:
    import yaml

    from local_stack.stack import LocalStack, StackOptions
    from local_stack.template import load_template

    template = json.loads(json.dumps(load_template()))
    resources = template["Resources"]
    resources["StreamConsumerDeadLetterQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    resources["StreamConsumerFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Handler": "stream_consumer.handler.lambda_handler", "CodeUri": "functions"},
    }
    # The template's own mapping, without its batching window (the test waits for nothing).
    mapping = resources["StreamConsumerFunctionTableStream"]["Properties"]
    mapping["MaximumBatchingWindowInSeconds"] = 0
    template_path = tmp_path / "template.yaml"
    template_path.write_text(yaml.safe_dump(template), encoding="utf-8")
    recorder = Recorder()
    options = StackOptions(
        api_port=0,
        aws_port=0,
        simulator_port=0,
        console_port=0,
        state_file=None,
        template_path=template_path,
        handlers={"StreamConsumerFunction": recorder},
        access_log=False,
    )

    with LocalStack(options) as stack:
        assert stack.resources is not None
        table = stack.resources.ref("EventsTable")
        client = boto3.client("dynamodb", region_name="us-east-1")
        for sk in ("TALLY#1", "EV#1"):
            client.put_item(TableName=table, Item={"pk": {"S": "TX#1"}, "sk": {"S": sk}})
        deadline = time.monotonic() + 10
        while not recorder.events and time.monotonic() < deadline:
            time.sleep(0.05)
        counters = stack.stats()["stream_triggers"]["StreamConsumerFunction.TableStream"]

    assert recorder.batches == [["EV#1"]]
    assert counters["invocations"] == 1
    assert counters["records_delivered"] == 1
    assert counters["filtered_out"] == 1
