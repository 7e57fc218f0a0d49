"""No secret, presented credential or unmasked phone number / email in any function's logs.

Each handler runs through its deployed wiring (settings from the environment, clients from
boto3, secrets read from SSM on moto) with known secret values, at DEBUG, over the paths
that log the most: accepted and refused callbacks, wrong credentials, a vendor refusing the
service key, alert targets failing. Everything the functions write is captured: the
Powertools log lines as Lambda prints them (formatter included) and anything printed (the
metrics blobs). None may hold a secret or a destination in clear.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.ingest.ingest_support import (
    FakeLambdaContext,
    http_event,
    hub_signature,
    with_body,
)
from tests.integration.lookup.lookup_harness import (
    LambdaContextStub,
    search_event,
    transaction_event,
    vendor_status_event,
)
from tests.unit.alerts.doubles import FakeLambdaContext as AlertsContext
from tests.unit.alerts.doubles import body_for_transid, sqs_event

from receipts.models.callback import parse_callback
from receipts.storage import EventStore

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
PREFIX = "/imiconnect-receipts/proof"
# Known secret values: readable (so no scanner mistakes them for real ones) and unique.
CALLBACK_SECRETS = ("proof-active-callback-secret", "proof-rotated-callback-secret")
VENDOR_SERVICE_KEY = "proof-vendor-service-key"
LOOKUP_API_KEYS = ("proof-first-lookup-key", "proof-second-lookup-key")
PRESENTED_WRONG = "proof-presented-wrong-credential"
WEBHOOK_SIGNING_SECRET = "whsec_" + base64.b64encode(b"signing-secret-proof-0123456789ab").decode()
SLACK_TOKEN = "proof-slack-path-token"
TEAMS_TOKEN = "proof-teams-path-token"
# Destinations and free text a callback may carry: they must only ever appear masked.
EMAIL = "jane.doe+orders@example.com"
PHONE = "14155550123"


def _seed_destinations() -> set[str]:
    """Phone numbers and emails of every vendor sample callback."""
    found = set()
    for path in sorted((EVENTS_DIR / "callbacks").glob("*.json")):
        destination = parse_callback(path.read_bytes()).destination
        if re.fullmatch(r"\+?\d{8,15}", destination) or re.fullmatch(
            r"[^@\s]+@[^@\s]+\.\w+", destination
        ):
            found.add(destination)
    return found


SECRETS = (
    *CALLBACK_SECRETS,
    VENDOR_SERVICE_KEY,
    *LOOKUP_API_KEYS,
    PRESENTED_WRONG,
    WEBHOOK_SIGNING_SECRET,
    WEBHOOK_SIGNING_SECRET.removeprefix("whsec_"),
    SLACK_TOKEN,
    TEAMS_TOKEN,
)


# ---- capture -------------------------------------------------------------------------------


class CapturedOutput:
    def __init__(self, stream: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
        self._stream = stream
        self._capsys = capsys

    def text(self) -> str:
        printed = self._capsys.readouterr()
        return self._stream.getvalue() + printed.out + printed.err

    def assert_clean(self, *, destinations: set[str]) -> str:
        text = self.text()
        assert text.strip(), "the functions logged nothing: the capture is broken"
        for secret in SECRETS:
            assert secret not in text, f"a secret reached the logs: {secret[:12]}..."
        for destination in destinations:
            assert destination not in text, (
                f"an unmasked destination reached the logs: {destination}"
            )
        return text


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[CapturedOutput]:
    """Every line the three functions log, formatted (and masked) as Lambda prints it, at DEBUG."""
    from alerts.observability import logger as alerts_logger
    from ingest.observability import logger as ingest_logger
    from lookup.telemetry import logger as lookup_logger

    stream = io.StringIO()
    saved = []
    for logger in (ingest_logger, lookup_logger, alerts_logger):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logger.registered_formatter)
        logger.addHandler(handler)
        saved.append((logger, handler, logger.log_level))
        logger.setLevel(logging.DEBUG)
    capsys.readouterr()
    yield CapturedOutput(stream, capsys)
    for logger, handler, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ---- AWS on moto, secrets in SSM -------------------------------------------------------------


@pytest.fixture(autouse=True)
def _alerts_metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The alerts function reads its namespace at import (Lambda sets it before); tests
    may have imported it earlier, without one."""
    from alerts.observability import metrics

    monkeypatch.setattr(metrics.provider, "namespace", "imiconnect-receipts-tests")


@pytest.fixture(autouse=True)
def _fresh_wiring() -> Iterator[None]:
    """Each function builds its settings, clients and secrets from this test's environment."""
    from aws_lambda_powertools.utilities import parameters

    from alerts.dependencies import default_service
    from alerts.settings import load_settings
    from alerts.webhook_config import parse_chat_webhooks
    from ingest.dependencies import default_dependencies as ingest_dependencies
    from ingest.settings import get_settings as ingest_settings
    from lookup import wiring
    from lookup.settings import get_settings as lookup_settings
    from receipts import aws_clients

    caches: list[Any] = [
        default_service,
        load_settings,
        parse_chat_webhooks,
        ingest_dependencies,
        ingest_settings,
        lookup_settings,
        wiring.default_dependencies,
        wiring.process_pool,
        wiring.process_memory_cache,
        aws_clients.dynamodb_client,
        aws_clients.sns_client,
        aws_clients.sqs_client,
    ]

    def clear() -> None:
        for cached in caches:
            cached.cache_clear()
        parameters.clear_caches()

    clear()
    yield
    clear()


def _put_secret(name: str, value: str) -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=f"{PREFIX}/{name}", Type="SecureString", Value=value, Overwrite=True
    )


@pytest.fixture
def deployed_environment(
    monkeypatch: pytest.MonkeyPatch, events_table: str
) -> Callable[[dict[str, str]], None]:
    """Set what template.yaml sets for every function, plus the function's own variables."""

    def apply(variables: dict[str, str]) -> None:
        for name, value in {
            "EVENTS_TABLE_NAME": events_table,
            "RETENTION_DAYS": "90",
            "POWERTOOLS_LOG_LEVEL": "DEBUG",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            "POWERTOOLS_PARAMETERS_MAX_AGE": "300",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **variables,
        }.items():
            monkeypatch.setenv(name, value)

    return apply


# ---- ingest ---------------------------------------------------------------------------------


def _callback_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    event = http_event("04-sms-failed")
    event["headers"].pop("x-hub-signature", None)
    event["headers"].update(headers)
    return with_body(event, body)


def _crafted_callback(transid: str, *, status: str = "Un-Delivered", code: str = "7208") -> bytes:
    document = json.loads((EVENTS_DIR / "callbacks" / "03-sms-un-delivered.json").read_text())
    notification = document["deliveryInfoNotification"]
    notification["transid"] = transid
    notification["callbackData"] = f"call {PHONE} or write to {EMAIL}"
    notification["correlationid"] = "proof-correlation"
    notification["deliveryInfo"].update(destination=PHONE, deliveryStatus=status, code=code)
    return json.dumps(document).encode()


def test_the_webhook_logs_no_secret_no_credential_and_no_destination(
    deployed_environment: Callable[[dict[str, str]], None],
    captured: CapturedOutput,
) -> None:
    from ingest.handler import lambda_handler

    deployed_environment(
        {
            "POWERTOOLS_SERVICE_NAME": "ingest",
            "CALLBACK_AUTH_MODE": "hub-signature",
            "CALLBACK_SECRET_REFERENCE": f"ssm:{PREFIX}/callback-secret",
            "CALLBACK_API_KEY_HEADER": "x-api-key",
            "MAX_CALLBACK_BYTES": "65536",
        }
    )
    _put_secret("callback-secret", "\n".join(CALLBACK_SECRETS))
    answers = []

    def send(event: dict[str, Any]) -> None:
        answers.append(lambda_handler(event, FakeLambdaContext())["statusCode"])

    # Every vendor sample, signed with one of the two active secrets (a rotation).
    for index, path in enumerate(sorted((EVENTS_DIR / "http" / "callbacks").glob("*.json"))):
        event = json.loads(path.read_text())
        if event["requestContext"]["http"]["method"] != "POST":
            send(event)
            continue
        body = event["body"].encode()
        event["headers"]["x-hub-signature"] = hub_signature(body, CALLBACK_SECRETS[index % 2])
        send(event)
    crafted = _crafted_callback("proof-ingest-1")
    send(_callback_event(crafted, {"x-hub-signature": hub_signature(crafted, CALLBACK_SECRETS[0])}))
    # A duplicate, a refused body (quarantined), wrong and missing credentials.
    send(_callback_event(crafted, {"x-hub-signature": hub_signature(crafted, CALLBACK_SECRETS[1])}))
    refused = b'{"deliveryInfoNotification": {"destination": "' + EMAIL.encode() + b'"}}'
    send(_callback_event(refused, {"x-hub-signature": hub_signature(refused, CALLBACK_SECRETS[0])}))
    send(_callback_event(crafted, {"x-hub-signature": hub_signature(crafted, PRESENTED_WRONG)}))
    send(_callback_event(crafted, {"x-hub-signature": PRESENTED_WRONG}))
    send(_callback_event(crafted, {"authorization": f"Basic {PRESENTED_WRONG}"}))

    assert {200, 400, 401} <= set(answers)
    text = captured.assert_clean(destinations=_seed_destinations() | {EMAIL, PHONE})
    assert "callback authentication failed" in text  # the paths under test did log


# ---- lookup ---------------------------------------------------------------------------------


@pytest.fixture
def vendor() -> Iterator[FakeVendorStatusApi]:
    with FakeVendorStatusApi(service_key=VENDOR_SERVICE_KEY) as fake:
        yield fake


def test_the_lookup_logs_no_key_and_no_destination(
    deployed_environment: Callable[[dict[str, str]], None],
    captured: CapturedOutput,
    vendor: FakeVendorStatusApi,
    event_store: EventStore,
) -> None:
    from lookup.handler import lambda_handler

    deployed_environment(
        {
            "POWERTOOLS_SERVICE_NAME": "lookup",
            "VENDOR_BASE_URL": vendor.base_url,
            "VENDOR_TIMEOUT_SECONDS": "1",
            "VENDOR_MAX_ATTEMPTS": "2",
            "VENDOR_SERVICE_KEY_REFERENCE": f"ssm:{PREFIX}/vendor-service-key",
            "LOOKUP_API_KEYS_REFERENCE": f"ssm:{PREFIX}/lookup-api-keys",
        }
    )
    _put_secret("vendor-service-key", VENDOR_SERVICE_KEY)
    _put_secret("lookup-api-keys", "\n".join(LOOKUP_API_KEYS))
    event_store.put_event(
        parse_callback(_crafted_callback("proof-lookup-stored", status="Submitted", code="7501")),
        received_at=datetime.now(UTC),
    )
    vendor.set_status("proof-lookup-upstream", "delivered", to=PHONE)
    vendor.fail_with("proof-lookup-refused", "7001")
    statuses = []

    def ask(event: dict[str, Any]) -> None:
        statuses.append(lambda_handler(event, LambdaContextStub())["statusCode"])

    ask(vendor_status_event("proof-lookup-upstream", api_key=LOOKUP_API_KEYS[0]))
    ask(vendor_status_event("proof-lookup-refused", api_key=LOOKUP_API_KEYS[1]))
    ask(transaction_event("proof-lookup-stored", api_key=LOOKUP_API_KEYS[0]))
    ask(search_event(api_key=LOOKUP_API_KEYS[0], destination=PHONE))
    ask(search_event(api_key=LOOKUP_API_KEYS[0], correlationid="proof-correlation"))
    ask(vendor_status_event("proof-lookup-upstream", api_key=PRESENTED_WRONG))
    ask(vendor_status_event("proof-lookup-upstream", api_key=None))

    assert {200, 401, 502} <= set(statuses)
    text = captured.assert_clean(destinations=_seed_destinations() | {EMAIL, PHONE})
    assert "vendor" in text.lower()  # the refused service key was logged, without the key


def test_the_lookup_accepts_no_key_from_a_secret_holding_null(
    deployed_environment: Callable[[dict[str, str]], None],
    captured: CapturedOutput,
    vendor: FakeVendorStatusApi,
) -> None:
    """``{"current": k, "previous": null}`` once made the text "None" a valid lookup key."""
    from lookup.handler import lambda_handler
    from lookup.settings import get_settings
    from receipts.secret_values import SecretConfigurationError, load_secrets

    deployed_environment(
        {
            "POWERTOOLS_SERVICE_NAME": "lookup",
            "VENDOR_BASE_URL": vendor.base_url,
            "VENDOR_SERVICE_KEY_REFERENCE": f"ssm:{PREFIX}/vendor-service-key",
            "LOOKUP_API_KEYS_REFERENCE": f"ssm:{PREFIX}/lookup-api-keys",
        }
    )
    _put_secret("vendor-service-key", VENDOR_SERVICE_KEY)
    _put_secret("lookup-api-keys", json.dumps({"current": LOOKUP_API_KEYS[0], "previous": None}))

    with_none = lambda_handler(vendor_status_event("proof-t", api_key="None"), LambdaContextStub())
    with_current = lambda_handler(
        vendor_status_event("proof-t", api_key=LOOKUP_API_KEYS[0]), LambdaContextStub()
    )

    # Fail closed on the whole value: neither "None" nor the string beside the null passes.
    assert with_none["statusCode"] == with_current["statusCode"] == 503
    assert json.loads(with_none["body"])["error"]["code"] == "authentication_unavailable"
    # The lookup's log names the secret of its LOOKUP_API_KEYS_REFERENCE and the entry at
    # fault, never a value.
    text = captured.assert_clean(destinations=set())
    assert "SecretConfigurationError" in text
    assert f"ssm:{PREFIX}/lookup-api-keys" in text
    assert "'previous'" in text
    assert LOOKUP_API_KEYS[0] not in text
    with pytest.raises(SecretConfigurationError, match=f"ssm:{PREFIX}/lookup-api-keys"):
        load_secrets(get_settings().lookup_api_keys_reference)


# ---- alerts ---------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_the_alerts_log_no_webhook_url_or_secret_and_no_destination(
    deployed_environment: Callable[[dict[str, str]], None],
    captured: CapturedOutput,
    receiver: WebhookReceiver,
) -> None:
    import boto3

    from alerts.handler import lambda_handler

    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="proof-alerts")
    queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="proof-alerts")
    deployed_environment(
        {
            "POWERTOOLS_SERVICE_NAME": "alerts",
            "ALERT_TOPIC_ARN": topic["TopicArn"],
            "ALERTS_QUEUE_URL": queue["QueueUrl"],
            "ALERT_STATUSES": "failed,undelivered,expired,rejected,bounced,complaint",
            "ALERT_CHANNELS": "",
            "ALERT_CODES": "",
            "STORM_THRESHOLD": "20",
            "STORM_WINDOW_SECONDS": "300",
            "CHAT_WEBHOOKS_ENABLED": "true",
            "CHAT_WEBHOOKS_REFERENCE": f"ssm:{PREFIX}/alert-webhooks",
            "LOOKUP_BASE_URL": "https://lookup.example.test",
        }
    )
    _put_secret(
        "alert-webhooks",
        json.dumps(
            {
                "slack": receiver.url(f"/services/T000/B000/{SLACK_TOKEN}"),
                "teams": {"url": receiver.url(f"/webhookb2/{TEAMS_TOKEN}")},
                "generic": {"url": receiver.url("/generic"), "secret": WEBHOOK_SIGNING_SECRET},
            }
        ),
    )
    # One target keeps failing, so the failure paths log too.
    receiver.fail_next(10, status=503, path=f"/webhookb2/{TEAMS_TOKEN}")
    bodies = [
        body_for_transid("03-sms-un-delivered", "proof-alerts-1"),
        body_for_transid("36-email-bounce", "proof-alerts-2"),
        body_for_transid("27-fb-failed", "proof-alerts-3"),
        json.dumps({"not": "a stream record", "destination": EMAIL}),
    ]

    response = lambda_handler(sqs_event(*bodies), AlertsContext())

    assert response["batchItemFailures"]  # the failing target and the poison record
    assert receiver.requests  # the other webhooks were called
    captured.assert_clean(destinations=_seed_destinations() | {EMAIL, PHONE})


@pytest.mark.parametrize("function", ["ingest", "lookup", "alerts"])
def test_no_handler_logs_its_event_whatever_the_environment_says(function: str) -> None:
    """Events hold credentials and raw callbacks: POWERTOOLS_LOGGER_LOG_EVENT must not win.

    The behaviour is proven in a fresh process for ingest and lookup
    (test_ingest_log_privacy, test_lookup_log_privacy); this pins the switch on every handler.
    """
    handler = EVENTS_DIR.parent / "functions" / function / "handler.py"
    source = handler.read_text(encoding="utf-8")
    decorators = [
        decorator
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "lambda_handler"
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func).endswith("inject_lambda_context")
    ]
    (decorator,) = decorators
    keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in decorator.keywords}
    assert keywords.get("log_event") == "False"
