"""Fault injection: a throttled or failing table gives a 5xx and leaves nothing half-written;
a table that refuses the item itself gives a 4xx with the body quarantined."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from tests.integration.ingest.ingest_support import (
    Answer,
    http_event,
    metric_total,
    signed,
    with_body,
)

from ingest.dependencies import IngestDependencies
from receipts.models.callback import parse_callback
from receipts.storage import EventStore


class FaultyClient:
    """The moto client, except that chosen ``put_item`` calls fail the way AWS fails them."""

    def __init__(
        self, client: Any, fault: Exception, *, applies: Callable[[dict[str, Any]], bool]
    ) -> None:
        self._client = client
        self._fault = fault
        self._applies = applies
        self.failed_calls = 0

    def put_item(self, **request: Any) -> Any:
        if self._applies(request):
            self.failed_calls += 1
            raise self._fault
        return self._client.put_item(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def client_error(code: str, status: int = 400, message: str = "injected") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "PutItem",
    )


def _every_write(request: dict[str, Any]) -> bool:
    return True


def _items(dynamodb_client: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb_client.scan(TableName=table)["Items"])


RETRYABLE_FAULTS = {
    "throughput-exceeded": client_error("ProvisionedThroughputExceededException"),
    "throttling": client_error("ThrottlingException"),
    "request-limit": client_error("RequestLimitExceeded"),
    "internal-error": client_error("InternalServerError", 500),
    "service-unavailable": client_error("ServiceUnavailable", 503),
    "connection": EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    "read-timeout": ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
}


@pytest.mark.parametrize("fault", RETRYABLE_FAULTS.values(), ids=RETRYABLE_FAULTS.keys())
def test_a_transient_table_fault_answers_503_and_writes_nothing(
    fault: Exception,
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    events_table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    faulty = FaultyClient(dynamodb_client, fault, applies=_every_write)
    event = signed(http_event("04-sms-failed"))

    answer = invoke(event, make_dependencies(client=faulty))

    assert answer.status == 503
    assert answer.error["code"] == "store_unavailable"
    assert answer.error["field"] is None
    assert answer.headers["retry-after"] == "30"
    assert "Traceback" not in answer.raw_body and "injected" not in answer.raw_body
    assert faulty.failed_calls == 1
    assert _items(dynamodb_client, events_table) == []
    assert metric_total(capsys.readouterr().out, "StoreUnavailable") == 1


def test_the_platform_retry_after_a_throttle_stores_the_callback_once(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    events_table: str,
    event_store: EventStore,
) -> None:
    throttled = FaultyClient(
        dynamodb_client, client_error("ThrottlingException"), applies=_every_write
    )
    event = signed(http_event("04-sms-failed"))

    first = invoke(event, make_dependencies(client=throttled))
    retried = invoke(event, make_dependencies())
    retried_again = invoke(event, make_dependencies())

    assert [first.status, retried.status, retried_again.status] == [503, 200, 200]
    assert [retried.json["status"], retried_again.json["status"]] == ["accepted", "duplicate"]
    assert len(event_store.list_events("f040fe8b-2876-4824-b59e-44420047e204")) == 1
    assert len(_items(dynamodb_client, events_table)) == 1


def test_a_failing_quarantine_answers_503_so_the_rejected_body_is_sent_again(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    events_table: str,
) -> None:
    faulty = FaultyClient(
        dynamodb_client,
        client_error("ProvisionedThroughputExceededException"),
        applies=_every_write,
    )
    event = signed(with_body(http_event("04-sms-failed"), "{not json"))

    answer = invoke(event, make_dependencies(client=faulty))

    assert answer.status == 503
    assert answer.error["code"] == "store_unavailable"
    assert faulty.failed_calls == 1
    assert _items(dynamodb_client, events_table) == []


def test_a_table_that_refuses_for_permissions_answers_500_and_says_it_is_configuration(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    events_table: str,
    log_output: Any,
) -> None:
    faulty = FaultyClient(
        dynamodb_client, client_error("AccessDeniedException"), applies=_every_write
    )

    answer = invoke(signed(http_event("04-sms-failed")), make_dependencies(client=faulty))

    assert answer.status == 500
    assert answer.error["code"] == "storage_error"
    assert "AccessDeniedException" in answer.error["message"]
    assert _items(dynamodb_client, events_table) == []
    assert "the webhook is misconfigured" in log_output.getvalue()


def test_an_unexpected_exception_answers_a_bare_500_without_its_text(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    log_output: Any,
) -> None:
    faulty = FaultyClient(dynamodb_client, RuntimeError("secret internals"), applies=_every_write)

    answer = invoke(signed(http_event("04-sms-failed")), make_dependencies(client=faulty))

    assert answer.status == 500
    assert answer.error == {
        "code": "internal_error",
        "message": "the callback could not be processed",
        "field": None,
    }
    assert "secret internals" not in answer.raw_body
    assert "Traceback" in log_output.getvalue()


def test_a_callback_too_large_for_a_table_item_is_answered_413_and_quarantined(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    event_store: EventStore,
    received_at: datetime,
) -> None:
    # Within MAX_CALLBACK_BYTES, but incompressible: the stored item passes 400 KB.
    notification = json.loads(http_event("04-sms-failed")["body"])
    notification["deliveryInfoNotification"]["callbackData"] = base64.b64encode(
        os.urandom(450_000)
    ).decode()
    body = json.dumps(notification)
    dependencies = make_dependencies(MAX_CALLBACK_BYTES="1048576")

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 413
    assert answer.error["code"] == "payload_too_large"
    assert event_store.list_events("f040fe8b-2876-4824-b59e-44420047e204") == []
    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert kept.error_code == "payload_too_large"
    assert kept.body == body.encode()[:300_000]
    assert f"the first 300000 of {len(body)} bytes are kept" in kept.reason


def test_a_destination_over_the_index_key_limit_is_answered_400_and_quarantined(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    received_at: datetime,
) -> None:
    notification = json.loads(http_event("04-sms-failed")["body"])
    notification["deliveryInfoNotification"]["deliveryInfo"]["destination"] = "9" * 3000
    body = json.dumps(notification)

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 400
    assert answer.error["code"] == "unstorable"
    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert kept.body == body.encode()
    assert "hashkey" in kept.reason


def test_the_event_write_is_one_conditional_put_of_the_shared_item_shape(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    event_store: EventStore,
    events_table: str,
    received_at: datetime,
) -> None:
    # Given a real client whose every call must match a stubbed request exactly
    client = boto3.client("dynamodb", region_name="us-east-1")
    event = signed(http_event("04-sms-failed"))
    expected_item = event_store.event_item(
        parse_callback(event["body"]),
        received_at=received_at,
        gtrid=event["headers"]["x-wx-gtrid"],
    )
    expected_request = {
        "TableName": events_table,
        "Item": expected_item,
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    with Stubber(client) as stubber:
        stubber.add_response("put_item", {}, expected_request)
        stubber.add_client_error(
            "put_item",
            service_error_code="ConditionalCheckFailedException",
            http_status_code=400,
            expected_params=expected_request,
        )
        dependencies = make_dependencies(client=client)

        # When the callback arrives twice
        first = invoke(event, dependencies)
        second = invoke(event, dependencies)

        # Then each arrival is exactly one conditional put, the second a duplicate
        stubber.assert_no_pending_responses()
    assert (first.json["status"], second.json["status"]) == ("accepted", "duplicate")
    assert expected_item["alert"] == {"BOOL": True}
