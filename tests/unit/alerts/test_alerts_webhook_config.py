"""The chat-webhook secret document: what it accepts and how it says what is wrong."""

from __future__ import annotations

import json

import pytest

from alerts.errors import AlertConfigurationError
from alerts.webhook_config import parse_chat_webhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_every_webhook_may_be_configured() -> None:
    document = json.dumps(
        {
            "slack": "https://hooks.slack.com/services/T0/B0/X",
            "teams": {"url": "https://example.webhook.office.com/webhookb2/abc"},
            "generic": {"url": "https://ops.example.com/hooks", "secret": SECRET},
        }
    )

    webhooks = parse_chat_webhooks(document)

    assert webhooks.slack is not None
    assert webhooks.slack.url == "https://hooks.slack.com/services/T0/B0/X"
    assert webhooks.teams is not None
    assert webhooks.teams.url.startswith("https://example.webhook.office.com/")
    assert webhooks.generic is not None
    assert len(webhooks.generic.signing_keys) == 1


def test_each_webhook_is_optional_and_a_secret_list_allows_rotation() -> None:
    document = json.dumps(
        {"generic": {"url": "https://ops.example.com/h", "secret": [SECRET, SECRET[:-4] + "AAAA"]}}
    )

    webhooks = parse_chat_webhooks(document)

    assert webhooks.slack is None
    assert webhooks.teams is None
    assert webhooks.generic is not None
    assert len(webhooks.generic.signing_keys) == 2


def test_plain_http_is_accepted_on_loopback_only() -> None:
    assert parse_chat_webhooks('{"slack": "http://127.0.0.1:8080/hook"}').slack is not None
    with pytest.raises(AlertConfigurationError, match=r"slack\.url: must use https"):
        parse_chat_webhooks('{"slack": "http://hooks.example.com/hook"}')


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "invalid"),
        ('{"slak": "https://hooks.slack.com/x"}', "slak: Extra inputs are not permitted"),
        ('{"generic": {"url": "https://ops.example.com/h"}}', "generic.secret: Field required"),
        ('{"teams": "teams.example.com/hook"}', "teams.url: must be an absolute URL"),
    ],
)
def test_a_bad_document_is_refused_with_the_field_named(document: str, message: str) -> None:
    with pytest.raises(AlertConfigurationError, match="chat-webhook secret is invalid") as raised:
        parse_chat_webhooks(document)
    assert message in str(raised.value)


def test_a_bad_signing_secret_is_refused_without_echoing_it() -> None:
    leaked = "whsec_this-is-not-base64-but-still-secret"
    document = json.dumps({"generic": {"url": "https://ops.example.com/h", "secret": leaked}})

    with pytest.raises(AlertConfigurationError) as raised:
        parse_chat_webhooks(document)

    assert "generic.secret" in str(raised.value)
    assert "this-is-not-base64" not in str(raised.value)
