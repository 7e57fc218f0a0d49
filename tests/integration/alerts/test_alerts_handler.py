"""The handler in-process with its real adapters: DynamoDB, SNS and SQS under moto,
chat webhooks on a loopback receiver."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.fakes.webhook_receiver import ScriptedResponse, WebhookReceiver
from tests.integration.alerts.conftest import (
    LOOKUP_BASE_URL,
    WEBHOOKS_PARAMETER,
    AlertsEnvironment,
    webhooks_document,
)
from tests.unit.alerts.doubles import (
    FakeClock,
    FakeLambdaContext,
    RecordingScheduler,
    alert_body,
    body_for_transid,
    failed_ids,
    load_sqs_event,
    sqs_event,
    stored_event_body,
)
from tests.unit.alerts.reconciled_samples import horizon_closure, status_api_failure

from alerts.handler import lambda_handler
from alerts.model import DigestMarker, StormWindow
from alerts.scheduler import SqsDigestScheduler
from alerts.service import AlertService, StormControl

Inbox = Callable[[], list[dict[str, Any]]]
ServiceFactory = Callable[..., AlertService]
CHAT_PATHS = ("/slack", "/teams", "/generic")


def _chat_counts(receiver: WebhookReceiver) -> dict[str, int]:
    return {path: len(receiver.requests_to(path)) for path in CHAT_PATHS}


@pytest.fixture
def deployed_environment(alerts_environment: AlertsEnvironment) -> None:
    """The variables template.yaml gives the function, pointing at the moto resources."""
    alerts_environment(
        ALERT_STATUSES="failed,undelivered,expired,rejected,bounced,complaint,"
        "invalid_address,not_verified,unsubscribed",
        ALERT_CHANNELS="",
        ALERT_CODES="",
        STORM_THRESHOLD="20",
        STORM_WINDOW_SECONDS="300",
        CHAT_WEBHOOKS_ENABLED="true",
        CHAT_WEBHOOKS_REFERENCE=f"ssm:{WEBHOOKS_PARAMETER}",
        LOOKUP_BASE_URL=LOOKUP_BASE_URL,
        POWERTOOLS_PARAMETERS_MAX_AGE="300",
    )


def _store_webhooks_secret(receiver: WebhookReceiver) -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=WEBHOOKS_PARAMETER,
        Type="SecureString",
        Value=webhooks_document(receiver),
        Overwrite=True,
    )


# ---- the deployed wiring -------------------------------------------------------------------


@pytest.mark.usefixtures("deployed_environment")
def test_a_mixed_batch_alerts_each_good_record_once_on_every_target(
    receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    _store_webhooks_secret(receiver)
    event = load_sqs_event("batch-mixed.json")
    poison = [r["messageId"] for r in event["Records"] if not r["body"].startswith('{"eventID"')]

    response = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(response) == sorted(poison)
    notifications = topic_inbox()
    assert len(notifications) == 2
    assert {n["Subject"] for n in notifications} == {
        "Delivery failed: SMS undelivered, 7208 Message expired",
        "Delivery failed: Email failed, 7241 Unsubscribed",
    }
    assert _chat_counts(receiver) == {"/slack": 2, "/teams": 2, "/generic": 2}


@pytest.mark.usefixtures("deployed_environment")
def test_redelivered_batches_are_not_alerted_again(
    receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    _store_webhooks_secret(receiver)
    event = load_sqs_event("batch-failures.json")

    first = lambda_handler(event, FakeLambdaContext())
    again = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(first) == failed_ids(again) == []
    # the email samples share one transid: bounce, complaint... each status alerts once
    assert len(topic_inbox()) == 10
    assert _chat_counts(receiver) == {"/slack": 10, "/teams": 10, "/generic": 10}


@pytest.mark.usefixtures("deployed_environment")
def test_an_unreadable_webhook_secret_fails_records_for_the_chat_targets_only(
    receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    event = sqs_event(alert_body("04-sms-failed"))

    # Given the secret does not exist yet
    first = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(first) == ["m-1"]
    assert len(topic_inbox()) == 1

    # When it is created and the record comes back
    _store_webhooks_secret(receiver)
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    second = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(second) == []
    assert topic_inbox() == []  # SNS already had it
    assert _chat_counts(receiver) == {"/slack": 1, "/teams": 1, "/generic": 1}


# ---- events the reconcile sweep stored ----------------------------------------------------------


@pytest.mark.usefixtures("deployed_environment")
def test_a_failure_told_by_the_status_api_and_by_a_late_callback_alerts_once(
    receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    _store_webhooks_secret(receiver)
    # One transid, status failed: first as the status API told it, then as the callback.
    event = sqs_event(stored_event_body(status_api_failure()), alert_body("04-sms-failed"))

    response = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(response) == []
    (notification,) = topic_inbox()
    assert notification["Subject"] == "Delivery failed: SMS failed, 7200 Unknown Status"
    assert "callbacks were not received" in notification["Message"]
    assert notification["MessageAttributes"]["origin"]["Value"] == "status_api"
    assert _chat_counts(receiver) == {"/slack": 1, "/teams": 1, "/generic": 1}


@pytest.mark.usefixtures("deployed_environment")
def test_a_horizon_closure_alerts_as_no_final_receipt_and_a_later_failure_alerts_too(
    receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    _store_webhooks_secret(receiver)
    closure = sqs_event(stored_event_body(horizon_closure()))
    lambda_handler(closure, FakeLambdaContext())
    lambda_handler(closure, FakeLambdaContext())  # redelivered: still one alert

    response = lambda_handler(sqs_event(alert_body("04-sms-failed")), FakeLambdaContext())

    assert failed_ids(response) == []
    assert {n["Subject"] for n in topic_inbox()} == {
        "No final receipt: SMS to ********5526 after 72 h",
        "Delivery failed: SMS failed, 7200 Unknown Status",
    }
    generic = [request.json() for request in receiver.requests_to("/generic")]
    assert [(event["type"], event["data"].get("origin")) for event in generic] == [
        ("delivery.no_final_receipt", "horizon"),
        ("delivery.failed", None),
    ]
    assert _chat_counts(receiver) == {"/slack": 2, "/teams": 2, "/generic": 2}


# ---- failing targets, with the DynamoDB ledger -------------------------------------------------


def test_a_failing_target_fails_the_record_and_the_redelivery_sends_only_to_it(
    make_service: ServiceFactory, receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    service = make_service()
    receiver.fail_next(3, status=503, path="/teams")
    event = sqs_event(alert_body("36-email-bounce"))

    first = lambda_handler(event, FakeLambdaContext(), service=service)

    assert failed_ids(first) == ["m-1"]
    assert len(topic_inbox()) == 1
    assert _chat_counts(receiver) == {"/slack": 1, "/teams": 3, "/generic": 1}

    second = lambda_handler(event, FakeLambdaContext(), service=service)

    assert failed_ids(second) == []
    assert topic_inbox() == []
    assert _chat_counts(receiver) == {"/slack": 1, "/teams": 4, "/generic": 1}
    third = lambda_handler(event, FakeLambdaContext(), service=service)
    assert failed_ids(third) == []
    assert _chat_counts(receiver) == {"/slack": 1, "/teams": 4, "/generic": 1}


def test_a_failing_webhook_fails_the_batch_fast_and_keeps_the_others_going(
    make_service: ServiceFactory, receiver: WebhookReceiver, topic_inbox: Inbox
) -> None:
    receiver.respond_always(ScriptedResponse(status=503, body=b"unavailable"))
    event = load_sqs_event("batch-failures.json")

    response = lambda_handler(event, FakeLambdaContext(), service=make_service())

    assert len(failed_ids(response)) == 10
    assert len(topic_inbox()) == 10
    # one call (its own three attempts) per webhook, then the rest of the batch skipped them
    assert _chat_counts(receiver) == {"/slack": 3, "/teams": 3, "/generic": 3}


def test_a_gone_webhook_is_given_up_and_operations_hear_of_it_once(
    make_service: ServiceFactory,
    receiver: WebhookReceiver,
    topic_inbox: Inbox,
    operations_inbox: Inbox,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    receiver.fail_next(10, status=410, body=b"channel_is_archived", path="/slack")
    service = make_service()
    event = load_sqs_event("batch-failures.json")

    first = lambda_handler(event, FakeLambdaContext(), service=service)
    again = lambda_handler(event, FakeLambdaContext(), service=service)

    assert failed_ids(first) == failed_ids(again) == []
    assert len(topic_inbox()) == 10
    assert _chat_counts(receiver) == {"/slack": 10, "/teams": 10, "/generic": 10}
    (told,) = operations_inbox()
    assert told["Subject"] == "Alert target slack refuses alerts; they are given up for it"
    assert "HTTP 410 channel_is_archived" in told["Message"]
    alert_items = [
        item
        for item in dynamodb_client.scan(TableName=events_table)["Items"]
        if item["pk"]["S"].startswith("ALERT#")
    ]
    assert len(alert_items) == 10
    assert all(item["given_up"]["SS"] == ["slack"] for item in alert_items)
    assert all(set(item["sent"]["M"]) == {"sns", "teams", "generic"} for item in alert_items)


# ---- storms ------------------------------------------------------------------------------------


def test_a_storm_becomes_a_digest_on_sns_and_every_webhook(
    make_service: ServiceFactory,
    receiver: WebhookReceiver,
    topic_inbox: Inbox,
    clock: FakeClock,
    scheduler: RecordingScheduler,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    service = make_service(storm=StormControl(threshold=5, window_seconds=300))
    bodies = [
        body_for_transid("03-sms-un-delivered", f"campaign-{index:03d}") for index in range(30)
    ]
    bodies += [body_for_transid("36-email-bounce", f"mail-{index:03d}") for index in range(10)]

    for start in range(0, len(bodies), 10):
        batch = sqs_event(*bodies[start : start + 10], first_id=start + 1)
        assert failed_ids(lambda_handler(batch, FakeLambdaContext(), service=service)) == []

    assert len(topic_inbox()) == 5
    ((marker, delay),) = scheduler.markers
    scheduler.markers.clear()
    clock.advance(delay)
    marker_event = sqs_event(marker.to_body(), first_id=100)
    assert failed_ids(lambda_handler(marker_event, FakeLambdaContext(), service=service)) == []

    (digest,) = topic_inbox()
    assert digest["Subject"] == (
        "Delivery failure storm: 35 failures, 2024-05-01 10:00:00-10:05:00 UTC"
    )
    assert "25  SMS / undelivered / 7208 Message expired" in digest["Message"]
    assert "10  Email / bounced / 7520 Bounce" in digest["Message"]
    assert digest["MessageAttributes"]["kind"]["Value"] == "digest"
    generic = receiver.requests_to("/generic")[-1].json()
    assert generic["type"] == "delivery.failed.digest"
    assert generic["data"]["alerts"] == 35
    assert 1 <= len(generic["data"]["examples"]) <= 5
    assert _chat_counts(receiver) == {"/slack": 6, "/teams": 6, "/generic": 6}
    assert scheduler.markers == []
    # Everything the function wrote is under the prefixes its IAM policy allows, with a TTL
    items = dynamodb_client.scan(TableName=events_table)["Items"]
    assert items
    assert all(item["pk"]["S"].startswith(("ALERT#", "STORM#")) for item in items)
    assert all("expires_at" in item for item in items)


def test_the_digest_marker_goes_on_the_queue_delayed_until_the_window_closes(
    sqs_client: Any, alerts_queue: str
) -> None:
    scheduler = SqsDigestScheduler(alerts_queue, lambda: sqs_client)
    window = StormWindow.containing(FakeClock().now, 300)

    scheduler.schedule(DigestMarker(window, 3), 305)
    scheduler.schedule(DigestMarker(window, 4), 0)

    attributes = sqs_client.get_queue_attributes(
        QueueUrl=alerts_queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    (message,) = sqs_client.receive_message(QueueUrl=alerts_queue)["Messages"]
    assert DigestMarker.from_payload(json.loads(message["Body"])) == DigestMarker(window, 4)
