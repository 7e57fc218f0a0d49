"""Fixtures for the alerts function against moto and a webhook receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.unit.alerts.doubles import FakeClock, RecordingScheduler

from alerts.http_client import Urllib3Poster
from alerts.ledger import DynamoAlertLedger
from alerts.operations import SnsOperationsNotifier
from alerts.service import AlertRules, AlertService, StormControl
from alerts.settings import DEFAULT_ALERT_STATUSES
from alerts.targets import AlertTarget, SnsTarget, chat_targets
from alerts.webhook_config import parse_chat_webhooks

SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WEBHOOKS_PARAMETER = "/imiconnect-receipts/test/alert-webhooks"
LOOKUP_BASE_URL = "https://lookup.example.test"


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools reads the namespace at import, before the test's environment exists."""
    from alerts.observability import metrics

    monkeypatch.setattr(metrics.provider, "namespace", "imiconnect-receipts-tests")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Settings, the default service, cached clients and secrets belong to one test."""
    from aws_lambda_powertools.utilities import parameters

    from alerts.dependencies import default_service
    from alerts.settings import load_settings
    from alerts.webhook_config import parse_chat_webhooks as parse
    from receipts import aws_clients

    def clear() -> None:
        default_service.cache_clear()
        load_settings.cache_clear()
        parse.cache_clear()
        parameters.clear_caches()
        for factory in (
            aws_clients.dynamodb_client,
            aws_clients.sns_client,
            aws_clients.sqs_client,
        ):
            factory.cache_clear()

    clear()
    yield
    clear()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def webhooks_document(receiver: WebhookReceiver) -> str:
    return json.dumps(
        {
            "slack": receiver.url("/slack"),
            "teams": {"url": receiver.url("/teams")},
            "generic": {"url": receiver.url("/generic"), "secret": SIGNING_SECRET},
        }
    )


@pytest.fixture
def sns_client(mocked_aws: None) -> Any:
    import boto3

    return boto3.client("sns", region_name="us-east-1")


@pytest.fixture
def sqs_client(mocked_aws: None) -> Any:
    import boto3

    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def alert_topic(sns_client: Any) -> str:
    arn: str = sns_client.create_topic(Name="alerts-test")["TopicArn"]
    return arn


def subscribed_inbox(
    sns_client: Any, sqs_client: Any, topic_arn: str, queue_name: str
) -> Callable[[], list[dict[str, Any]]]:
    """A queue subscribed to a topic: what an email subscriber would receive."""
    queue_url = sqs_client.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns_client.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def read() -> list[dict[str, Any]]:
        notifications: list[dict[str, Any]] = []
        while True:
            answer = sqs_client.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return notifications
            for message in messages:
                notifications.append(json.loads(message["Body"]))
                sqs_client.delete_message(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    return read


@pytest.fixture
def topic_inbox(
    sns_client: Any, sqs_client: Any, alert_topic: str
) -> Callable[[], list[dict[str, Any]]]:
    return subscribed_inbox(sns_client, sqs_client, alert_topic, "alert-inbox")


@pytest.fixture
def operations_topic(sns_client: Any) -> str:
    arn: str = sns_client.create_topic(Name="operations-test")["TopicArn"]
    return arn


@pytest.fixture
def operations_inbox(
    sns_client: Any, sqs_client: Any, operations_topic: str
) -> Callable[[], list[dict[str, Any]]]:
    return subscribed_inbox(sns_client, sqs_client, operations_topic, "operations-inbox")


@pytest.fixture
def alerts_queue(sqs_client: Any) -> str:
    url: str = sqs_client.create_queue(QueueName="alerts-queue-test")["QueueUrl"]
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler() -> RecordingScheduler:
    return RecordingScheduler()


@pytest.fixture
def make_service(
    dynamodb_client: Any,
    sns_client: Any,
    events_table: str,
    alert_topic: str,
    operations_topic: str,
    receiver: WebhookReceiver,
    clock: FakeClock,
    scheduler: RecordingScheduler,
) -> Callable[..., AlertService]:
    """The service with its real adapters (DynamoDB and SNS under moto, HTTP to loopback)."""

    def build(**overrides: Any) -> AlertService:
        poster = Urllib3Poster(connect_timeout=1.0, read_timeout=1.0, backoff_seconds=0.01)

        def targets() -> list[AlertTarget]:
            return [
                SnsTarget(alert_topic, lambda: sns_client),
                *chat_targets(parse_chat_webhooks(webhooks_document(receiver)), poster),
            ]

        options: dict[str, Any] = {
            "ledger": DynamoAlertLedger(dynamodb_client, events_table),
            "scheduler": scheduler,
            "targets": targets,
            "rules": AlertRules(DEFAULT_ALERT_STATUSES),
            "storm": StormControl(threshold=100, window_seconds=300),
            "lookup_base_url": LOOKUP_BASE_URL,
            "operations": SnsOperationsNotifier(operations_topic, lambda: sns_client),
            "clock": clock,
        }
        options.update(overrides)
        return AlertService(**options)

    return build


AlertsEnvironment = Callable[..., None]


@pytest.fixture
def alerts_environment(
    monkeypatch: pytest.MonkeyPatch,
    mocked_aws: None,
    events_table: str,
    alert_topic: str,
    alerts_queue: str,
) -> AlertsEnvironment:
    """Sets the variables template.yaml gives the function, pointing at the moto resources,
    with the given ones (``ALERT_CHANNELS="sms"``, ...) on top."""

    def set_variables(**variables: str) -> None:
        base = {
            "EVENTS_TABLE_NAME": events_table,
            "ALERTS_QUEUE_URL": alerts_queue,
            "ALERT_TOPIC_ARN": alert_topic,
        }
        for name, value in {**base, **variables}.items():
            monkeypatch.setenv(name, value)

    return set_variables
