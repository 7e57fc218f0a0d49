"""The alert hand-off: the table's stream, filtered as the template's pipe filters it.

Ingest never sends to the queue itself; the stored item *is* the alert. So an alert exists
exactly when a new failure event was written: it cannot be lost between the write and a
send, and a duplicate (a conditional put that fails, hence no INSERT) cannot raise another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.integration.ingest.ingest_support import Answer, http_event, signed

from ingest.dependencies import IngestDependencies
from receipts.storage.alert_records import (
    matches_alert_filter,
    pipe_message_from_stream_record,
    stored_event_from_pipe_message,
)

FAILURE_EVENTS = ["03-sms-un-delivered", "04-sms-failed", "14-push-android_pushid-failed",
                  "27-fb-failed", "36-email-bounce", "37-email-complaint"]  # fmt: skip
SUCCESS_EVENTS = ["01-sms-submitted", "02-sms-delivered", "09-rt-read", "05-voice-answered"]


@pytest.fixture
def stream_records(dynamodb_client: Any, events_table: str) -> Callable[[], list[dict[str, Any]]]:
    """Every record on the table's stream so far, oldest first."""
    # botocore sends stream calls to an account-based host that moto does not serve yet.
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
    )
    stream_arn = dynamodb_client.describe_table(TableName=events_table)["Table"]["LatestStreamArn"]

    def read() -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            iterator = streams.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
            records.extend(streams.get_records(ShardIterator=iterator)["Records"])
        return records

    return read


def _alerts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if matches_alert_filter(record)]


@pytest.mark.parametrize("name", FAILURE_EVENTS)
def test_a_stored_failure_puts_exactly_one_alert_record_on_the_stream(
    name: str,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    stream_records: Callable[[], list[dict[str, Any]]],
) -> None:
    event = signed(http_event(name))

    first = invoke(event, dependencies)
    retried = invoke(event, dependencies)

    assert (first.json["status"], retried.json["status"]) == ("accepted", "duplicate")
    records = stream_records()
    assert [record["eventName"] for record in records] == ["INSERT"]
    (alert,) = _alerts(records)
    # The alerts function reads what the pipe puts on the queue: the same stored event.
    carried = stored_event_from_pipe_message(pipe_message_from_stream_record(alert))
    assert carried.event.raw_body == event["body"].encode()
    assert carried.event.is_failure


@pytest.mark.parametrize("name", SUCCESS_EVENTS)
def test_a_stored_success_is_on_the_stream_but_filtered_out(
    name: str,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    stream_records: Callable[[], list[dict[str, Any]]],
) -> None:
    answer = invoke(signed(http_event(name)), dependencies)

    assert answer.status == 200
    records = stream_records()
    assert [record["eventName"] for record in records] == ["INSERT"]
    assert _alerts(records) == []


def test_rejected_and_unauthenticated_bodies_raise_no_alert(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    stream_records: Callable[[], list[dict[str, Any]]],
) -> None:
    not_json = signed(dict(http_event("04-sms-failed"), body="{broken"))
    unsigned = http_event("04-sms-failed")

    assert invoke(not_json, dependencies).status == 400
    assert invoke(unsigned, dependencies).status == 401

    records = stream_records()
    # Only the quarantined body reached the table, and it is not an alert.
    assert len(records) == 1
    # QUARANTINE#{day} or, in another write shard, QUARANTINE.{shard}#{day}.
    assert records[0]["dynamodb"]["Keys"]["pk"]["S"].startswith("QUARANTINE")
    assert _alerts(records) == []


class _ThrottledOnce:
    """The moto client, whose first ``put_item`` is throttled as DynamoDB throttles."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.throttled = False

    def put_item(self, **request: Any) -> Any:
        if not self.throttled:
            self.throttled = True
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem"
            )
        return self._client.put_item(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_failure_first_answered_503_raises_exactly_one_alert_once_retried(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    stream_records: Callable[[], list[dict[str, Any]]],
) -> None:
    dependencies = make_dependencies(client=_ThrottledOnce(dynamodb_client))
    event = signed(http_event("04-sms-failed"))

    answers = [invoke(event, dependencies).status for _ in range(3)]

    # The platform's retries: 503, then stored, then a duplicate.
    assert answers == [503, 200, 200]
    assert len(_alerts(stream_records())) == 1
