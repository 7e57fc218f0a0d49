"""Each target against a fake: SNS under moto, webhooks on a loopback receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.fakes.webhook_receiver import ScriptedResponse, WebhookReceiver
from tests.integration.alerts.conftest import LOOKUP_BASE_URL, SIGNING_SECRET, webhooks_document
from tests.unit.alerts.doubles import EVENTS_DIR

from alerts import messages
from alerts.errors import TargetError, TargetRefusedError
from alerts.http_client import Urllib3Poster
from alerts.model import Alert
from alerts.targets import SnsTarget, chat_targets
from alerts.webhook_config import parse_chat_webhooks
from receipts.models.callback import parse_callback
from receipts.storage.event_store import StoredEvent

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def _alert(sample: str = "30-twitter-failed") -> Alert:
    event = parse_callback((EVENTS_DIR / "callbacks" / f"{sample}.json").read_bytes())
    return messages.build_alert(StoredEvent(event, NOW, None), LOOKUP_BASE_URL)


def _deadline(seconds: float = 10.0) -> float:
    return time.monotonic() + seconds


def _fast_poster(**options: Any) -> Urllib3Poster:
    return Urllib3Poster(
        **{"connect_timeout": 1.0, "read_timeout": 1.0, "backoff_seconds": 0.01, **options}
    )


# ---- SNS ---------------------------------------------------------------------------------------


def test_sns_publishes_a_readable_subject_and_body(
    sns_client: Any, alert_topic: str, topic_inbox: Callable[[], list[dict[str, Any]]]
) -> None:
    alert = _alert()

    SnsTarget(alert_topic, lambda: sns_client).send(alert, _deadline())

    (notification,) = topic_inbox()
    assert notification["Subject"] == (
        "Delivery failed: Twitter failed, 7010 Service provider exception."
    )
    body = notification["Message"]
    assert "3c667385-5463-4d96-aa8e-59e48b3cf832" in body
    assert "59e48b3cf832-3c667385-5463-4d96-aa8e" in body  # correlationid
    assert "return callbackdata" in body
    assert f"{LOOKUP_BASE_URL}/v1/transactions/3c667385-5463-4d96-aa8e-59e48b3cf832" in body
    assert "qwertyuiopasdfghjklzxcvbnm" not in body  # the destination is masked
    attributes = {name: value["Value"] for name, value in notification["MessageAttributes"].items()}
    assert attributes == {"kind": "alert", "channel": "twitter", "status": "failed", "code": "7010"}


def test_sns_to_a_missing_topic_is_a_permanent_target_failure(sns_client: Any) -> None:
    target = SnsTarget("arn:aws:sns:us-east-1:123456789012:no-such-topic", lambda: sns_client)

    with pytest.raises(TargetError) as raised:
        target.send(_alert(), _deadline())

    assert raised.value.target == "sns"
    assert raised.value.retryable is False


# ---- chat webhooks -----------------------------------------------------------------------------


def _targets(receiver: WebhookReceiver, **poster_options: Any) -> dict[str, Any]:
    webhooks = parse_chat_webhooks(webhooks_document(receiver))
    return {
        target.name: target
        for target in chat_targets(webhooks, _fast_poster(**poster_options), clock=lambda: NOW)
    }


def test_slack_receives_an_incoming_webhook_message(receiver: WebhookReceiver) -> None:
    alert = _alert()

    _targets(receiver)["slack"].send(alert, _deadline())

    (request,) = receiver.requests_to("/slack")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == messages.slack_payload(alert)


def test_teams_receives_an_adaptive_card(receiver: WebhookReceiver) -> None:
    _targets(receiver)["teams"].send(_alert(), _deadline())

    (request,) = receiver.requests_to("/teams")
    attachment = request.json()["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"


def test_the_generic_webhook_is_signed_per_standard_webhooks(receiver: WebhookReceiver) -> None:
    alert = _alert()

    _targets(receiver)["generic"].send(alert, _deadline())

    (request,) = receiver.requests_to("/generic")
    message_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    # Verified here from the scheme's definition, not with the code under test
    key = base64.b64decode(SIGNING_SECRET.removeprefix("whsec_"))
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    assert timestamp == str(int(NOW.timestamp()))
    assert message_id == alert.message_id
    assert request.json()["type"] == "delivery.failed"
    assert request.json()["data"]["transid"] == alert.transid


def test_a_tampered_body_would_not_verify(receiver: WebhookReceiver) -> None:
    _targets(receiver)["generic"].send(_alert(), _deadline())

    (request,) = receiver.requests_to("/generic")
    key = base64.b64decode(SIGNING_SECRET.removeprefix("whsec_"))
    tampered = request.body.replace(b"failed", b"delivered")
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
    forged = base64.b64encode(hmac.new(key, signed + tampered, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] != f"v1,{forged}"


# ---- HTTP behaviour ----------------------------------------------------------------------------


def test_a_webhook_that_fails_briefly_is_retried_until_it_answers(
    receiver: WebhookReceiver,
) -> None:
    receiver.fail_next(2, status=503, path="/slack")

    _targets(receiver)["slack"].send(_alert(), _deadline())

    assert len(receiver.requests_to("/slack")) == 3


def test_retries_are_bounded(receiver: WebhookReceiver) -> None:
    receiver.respond_always(ScriptedResponse(status=500, body=b"broken"))

    with pytest.raises(TargetError) as raised:
        _targets(receiver, max_attempts=3)["slack"].send(_alert(), _deadline())

    assert len(receiver.requests) == 3
    assert raised.value.retryable is True
    assert "HTTP 500 broken" in raised.value.reason


def test_a_client_error_is_not_retried(receiver: WebhookReceiver) -> None:
    receiver.fail_next(1, status=404, body=b"no_service", path="/slack")

    with pytest.raises(TargetError) as raised:
        _targets(receiver)["slack"].send(_alert(), _deadline())

    assert len(receiver.requests) == 1
    assert raised.value.retryable is False
    assert "HTTP 404 no_service" in raised.value.reason


@pytest.mark.parametrize("status", [400, 404, 410, 413, 422])
def test_a_client_error_is_a_refusal_for_good(receiver: WebhookReceiver, status: int) -> None:
    receiver.fail_next(1, status=status, body=b"refused", path="/slack")

    with pytest.raises(TargetRefusedError) as raised:
        _targets(receiver)["slack"].send(_alert(), _deadline())

    assert raised.value.target == "slack"
    assert f"HTTP {status} refused" in raised.value.reason
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [301, 307, 401, 403, 408, 429, 500, 503])
def test_redirects_timeouts_rate_limits_and_server_errors_are_not_refusals(
    receiver: WebhookReceiver, status: int
) -> None:
    receiver.respond_always(ScriptedResponse(status=status, body=b"later"))

    with pytest.raises(TargetError) as raised:
        _targets(receiver, max_attempts=2)["slack"].send(_alert(), _deadline())

    assert not isinstance(raised.value, TargetRefusedError)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_credential_goes_to_the_dead_letter_queue_not_given_up(
    receiver: WebhookReceiver, status: int
) -> None:
    # A rotated secret or a new webhook URL cures it; the record then redriven delivers it.
    receiver.respond_always(ScriptedResponse(status=status, body=b"invalid_token"))

    with pytest.raises(TargetError) as raised:
        _targets(receiver, max_attempts=3)["slack"].send(_alert(), _deadline())

    assert not isinstance(raised.value, TargetRefusedError)
    assert raised.value.retryable is False  # one attempt: no point repeating it now
    assert len(receiver.requests) == 1


def test_sns_errors_are_never_refusals_for_good(sns_client: Any) -> None:
    # A missing topic or a denied permission is fixed by a deployment, then redriven.
    target = SnsTarget("arn:aws:sns:us-east-1:123456789012:no-such-topic", lambda: sns_client)

    with pytest.raises(TargetError) as raised:
        target.send(_alert(), _deadline())

    assert not isinstance(raised.value, TargetRefusedError)


def test_a_rate_limit_is_retried(receiver: WebhookReceiver) -> None:
    receiver.fail_next(1, status=429, path="/teams")

    _targets(receiver)["teams"].send(_alert(), _deadline())

    assert len(receiver.requests) == 2


def test_a_slow_webhook_times_out_within_the_bound(receiver: WebhookReceiver) -> None:
    receiver.respond_always(ScriptedResponse(delay=3.0))
    started = time.monotonic()

    with pytest.raises(TargetError, match="TimeoutError"):
        _targets(receiver, read_timeout=0.3, max_attempts=2)["slack"].send(_alert(), _deadline())

    assert time.monotonic() - started < 2.0
    assert len(receiver.requests) == 2


def test_no_attempt_is_made_past_the_deadline(receiver: WebhookReceiver) -> None:
    with pytest.raises(TargetError, match="no attempt fitted"):
        _targets(receiver)["slack"].send(_alert(), _deadline(0.1))

    assert receiver.requests == []


def test_the_deadline_cuts_a_slow_attempt_short(receiver: WebhookReceiver) -> None:
    receiver.respond_always(ScriptedResponse(delay=3.0))
    started = time.monotonic()

    with pytest.raises(TargetError):
        _targets(receiver, read_timeout=5.0)["slack"].send(_alert(), _deadline(1.0))

    assert time.monotonic() - started < 1.8


def test_an_unreachable_webhook_is_a_retryable_failure() -> None:
    with WebhookReceiver() as stopped:
        url = stopped.url("/slack")
    webhooks = parse_chat_webhooks(json.dumps({"slack": url}))
    (slack,) = chat_targets(webhooks, _fast_poster(max_attempts=2))

    with pytest.raises(TargetError) as raised:
        slack.send(_alert(), _deadline())

    assert raised.value.retryable is True
