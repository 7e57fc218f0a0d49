"""The table's stream and its readers, as template.yaml declares them.

DynamoDB Streams serves at most two readers per shard (more are throttled): the alerts pipe
and the stream consumer's event source mapping. The consumer must see every stored event and
nothing else it writes itself, and never give a batch up quietly.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from benchmarks.stream_source import stream_readers

from local_stack.event_patterns import matches_any
from local_stack.template import load_template
from receipts.storage import keys

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
MAPPING = "StreamConsumerFunctionTableStream"


def _stream_event() -> dict[str, Any]:
    """The consumer's event source mapping's properties."""
    mapping = RESOURCES[MAPPING]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    properties: dict[str, Any] = mapping["Properties"]
    return properties


def test_the_stream_has_exactly_two_readers() -> None:
    assert stream_readers(TEMPLATE) == ("AlertsPipe", MAPPING)


def test_the_consumers_mapping_invokes_the_consumer() -> None:
    assert _stream_event()["FunctionName"] == {"Ref": "StreamConsumerFunction"}


def _record(event_name: str, partition: str, sort: str) -> dict[str, Any]:
    image = {keys.PARTITION_KEY: {"S": partition}, keys.SORT_KEY: {"S": sort}}
    return {"eventName": event_name, "dynamodb": {"Keys": image, "NewImage": image}}


def _patterns() -> list[dict[str, Any]]:
    return [json.loads(f["Pattern"]) for f in _stream_event()["FilterCriteria"]["Filters"]]


def test_the_consumer_reads_every_stored_event() -> None:
    assert matches_any(
        _patterns(), _record("INSERT", "TX#t1", "EV#2026-12-02T10:00:00.000Z#delivered#a")
    )


@pytest.mark.parametrize(
    ("event_name", "partition", "sort"),
    [
        ("INSERT", keys.tally_key("t1"), keys.TALLY_SORT_KEY),
        ("MODIFY", keys.tally_key("t1"), keys.TALLY_SORT_KEY),
        ("INSERT", keys.campaign_counters_key("spring", 3), keys.campaign_counters_sort_key("sms")),
        (
            "MODIFY",
            keys.daily_counters_key("2026-12", 0),
            keys.daily_counters_sort_key("2026-12-02", "sms"),
        ),
        ("INSERT", keys.watch_key("t1"), keys.WATCH_SORT_KEY),
        ("INSERT", keys.cache_key("t1"), keys.CACHED_STATUS_SORT_KEY),
        # TTL deletes an event at the end of its retention: it was counted, it stays counted.
        ("REMOVE", "TX#t1", "EV#2026-12-02T10:00:00.000Z#delivered#a"),
    ],
)
def test_the_consumer_never_reads_its_own_writes_or_other_items(
    event_name: str, partition: str, sort: str
) -> None:
    assert not matches_any(_patterns(), _record(event_name, partition, sort))


def test_a_batch_is_retried_until_applied_and_recorded_if_given_up() -> None:
    event = _stream_event()

    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BisectBatchOnFunctionError"] is True
    assert event["MaximumRetryAttempts"] == 10000
    assert event["StartingPosition"] == "TRIM_HORIZON"
    destination = event["DestinationConfig"]["OnFailure"]
    assert destination["Destination"] == {"Fn::GetAtt": ["StreamConsumerDeadLetterQueue", "Arn"]}


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("StreamConsumerBehindAlarm", "IteratorAge"),
        ("StreamConsumerErrorsAlarm", "Errors"),
        ("StreamConsumerDeadLetterAlarm", "ApproximateNumberOfMessagesVisible"),
    ],
)
def test_the_consumer_is_watched(alarm: str, metric: str) -> None:
    properties = RESOURCES[alarm]["Properties"]

    assert properties["MetricName"] == metric
    assert properties["AlarmActions"] == [{"Ref": "OpsTopic"}]


def test_the_consumers_timeout_allows_a_large_batch() -> None:
    function = RESOURCES["StreamConsumerFunction"]["Properties"]
    # A batch of 1,000 events is ~25 transactional writes and reads: seconds, not a minute.
    assert _stream_event()["BatchSize"] == 1000
    assert function["Timeout"] >= 30
