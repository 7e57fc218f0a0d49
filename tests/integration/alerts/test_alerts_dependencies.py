"""The targets as configured: SNS, and chat webhooks from SSM or Secrets Manager."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.alerts.conftest import webhooks_document
from tests.unit.alerts.test_alerts_messages import _digest

from alerts.dependencies import ConfiguredTargets
from alerts.errors import TargetError
from alerts.http_client import Urllib3Poster
from alerts.settings import AlertSettings, load_settings
from receipts.secret_values import SecretConfigurationError, load_secret_document

BASE = {
    "EVENTS_TABLE_NAME": "events",
    "ALERTS_QUEUE_URL": "https://sqs.test/alerts",
    "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
}


def _targets(**variables: str) -> dict[str, Any]:
    settings = AlertSettings.from_environment({**BASE, **variables})
    return {target.name: target for target in ConfiguredTargets(settings, Urllib3Poster())()}


@pytest.mark.usefixtures("mocked_aws")
def test_without_chat_webhooks_only_sns_is_a_target() -> None:
    assert list(_targets()) == ["sns"]
    assert _targets(ALERT_TOPIC_ARN="") == {}


@pytest.mark.usefixtures("mocked_aws")
def test_webhooks_come_from_an_ssm_parameter(receiver: WebhookReceiver) -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/receipts/test/alert-webhooks", Type="SecureString", Value=webhooks_document(receiver)
    )

    targets = _targets(
        CHAT_WEBHOOKS_ENABLED="true", CHAT_WEBHOOKS_REFERENCE="ssm:/receipts/test/alert-webhooks"
    )

    assert list(targets) == ["sns", "slack", "teams", "generic"]


@pytest.mark.usefixtures("mocked_aws")
def test_webhooks_come_from_a_secrets_manager_secret(receiver: WebhookReceiver) -> None:
    import boto3

    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="receipts/test/alert-webhooks", SecretString=webhooks_document(receiver)
    )

    targets = _targets(
        CHAT_WEBHOOKS_ENABLED="true",
        CHAT_WEBHOOKS_REFERENCE="secretsmanager:receipts/test/alert-webhooks",
    )
    targets["slack"].send(_digest(), time.monotonic() + 5)

    assert list(targets) == ["sns", "slack", "teams", "generic"]
    assert receiver.requests_to("/slack")[0].json()["text"].startswith("Delivery failure storm")


@pytest.mark.usefixtures("mocked_aws")
@pytest.mark.parametrize(
    ("reference", "value", "reason"),
    [
        ("", None, "CHAT_WEBHOOKS_REFERENCE is empty"),
        ("ssm:/receipts/test/missing", None, "cannot read the chat-webhook secret"),
        (
            "ssm:/receipts/test/bad",
            '{"slack": "http://hooks.example.com/x"}',
            "slack.url: must use https",
        ),
    ],
)
def test_an_unusable_webhook_secret_becomes_a_target_that_fails_with_the_reason(
    reference: str, value: str | None, reason: str
) -> None:
    if value is not None:
        import boto3

        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name=reference.removeprefix("ssm:"), Type="SecureString", Value=value
        )

    targets = _targets(CHAT_WEBHOOKS_ENABLED="true", CHAT_WEBHOOKS_REFERENCE=reference)

    assert list(targets) == ["sns", "chat-webhooks"]
    with pytest.raises(TargetError, match=reason):
        targets["chat-webhooks"].send(_digest(), time.monotonic() + 5)


@pytest.mark.usefixtures("mocked_aws")
def test_a_secret_document_is_returned_whole() -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/receipts/test/doc", Type="SecureString", Value='{"a": "1",\n "b": "2"}'
    )

    assert load_secret_document("ssm:/receipts/test/doc") == '{"a": "1",\n "b": "2"}'
    with pytest.raises(SecretConfigurationError, match="must start with"):
        load_secret_document("vault:/receipts/test/doc")


def test_the_default_service_is_built_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None
) -> None:
    from alerts.dependencies import default_service

    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STORM_THRESHOLD", "7")

    service = default_service()

    assert service is default_service()
    assert service._storm.threshold == 7


def test_the_default_service_tells_the_operations_topic_when_one_is_set(
    monkeypatch: pytest.MonkeyPatch, mocked_aws: None
) -> None:
    from alerts.dependencies import default_service
    from alerts.operations import LoggedOperationsNotifier, SnsOperationsNotifier

    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    assert isinstance(default_service()._operations, LoggedOperationsNotifier)

    default_service.cache_clear()
    load_settings.cache_clear()
    monkeypatch.setenv("OPERATIONS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:operations")

    assert isinstance(default_service()._operations, SnsOperationsNotifier)
