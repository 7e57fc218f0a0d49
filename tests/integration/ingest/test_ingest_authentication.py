"""Each authentication mode through the real handler: the good request is stored, the bad one
is answered 401, counted, not quarantined, and no secret reaches a log line."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from tests.integration.ingest.ingest_support import (
    FIRST_SECRET,
    SECOND_SECRET,
    Answer,
    basic_authorization,
    http_event,
    hub_signature,
    metric_total,
    signed,
    with_body,
)

from ingest.dependencies import IngestDependencies
from ingest.errors import ConfigurationError
from receipts.storage import EventStore

TRANSID = "f040fe8b-2876-4824-b59e-44420047e204"  # 04-sms-failed


def _items(dynamodb_client: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb_client.scan(TableName=table)["Items"])


def _assert_refused_and_untouched(
    answer: Answer, dynamodb_client: Any, table: str, *, field: str
) -> None:
    assert answer.status == 401
    assert answer.error == {
        "code": "unauthorized",
        "message": "the callback could not be authenticated",
        "field": field,
    }
    # An unauthenticated body is not trusted input: neither stored nor quarantined.
    assert _items(dynamodb_client, table) == []


# ---- hub signature -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "prefix"),
    [("sha256", True), ("sha256", False), ("sha512", True), ("sha512", False)],
    ids=["sha256-prefixed", "sha256-bare", "sha512-prefixed", "sha512-bare"],
)
@pytest.mark.parametrize("secret", [FIRST_SECRET, SECOND_SECRET], ids=["current", "next"])
def test_hub_signature_accepts_either_algorithm_with_or_without_prefix_and_either_secret(
    algorithm: str,
    prefix: bool,
    secret: str,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
) -> None:
    event = signed(http_event("04-sms-failed"), secret, algorithm=algorithm, prefix=prefix)

    answer = invoke(event, dependencies)

    assert answer.status == 200, answer.raw_body
    assert answer.json["status"] == "accepted"
    assert len(event_store.list_events(TRANSID)) == 1


def test_hub_signature_hex_is_case_insensitive(
    invoke: Callable[..., Answer], dependencies: IngestDependencies
) -> None:
    event = http_event("04-sms-failed")
    event["headers"]["x-hub-signature"] = (
        hub_signature(event["body"]).upper().replace("SHA256=", "sha256=")
    )

    assert invoke(event, dependencies).status == 200


def _spaced_callback(transid: str) -> str:
    """The failed SMS, pretty-printed, with ``transid`` (which may hold spaces)."""
    document = json.loads(http_event("04-sms-failed")["body"])
    document["deliveryInfoNotification"]["transid"] = transid
    return json.dumps(document, indent=2)


def _signed_over_stripped(body: str) -> dict[str, Any]:
    event = with_body(http_event("04-sms-failed"), body)
    event["headers"]["x-hub-signature"] = hub_signature("".join(body.split()))
    return event


def test_hub_signature_over_the_whitespace_stripped_body_is_refused_by_default(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    answer = invoke(_signed_over_stripped(_spaced_callback(TRANSID)), dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="x-hub-signature")


@pytest.fixture
def stripping_dependencies(
    make_dependencies: Callable[..., IngestDependencies],
) -> IngestDependencies:
    return make_dependencies(CALLBACK_SIGNATURE_STRIPS_WHITESPACE="true")


def test_with_the_stripped_variant_enabled_the_body_that_was_signed_is_stored(
    invoke: Callable[..., Answer],
    stripping_dependencies: IngestDependencies,
    event_store: EventStore,
) -> None:
    body = _spaced_callback("proof a bc")

    answer = invoke(_signed_over_stripped(body), stripping_dependencies)

    assert answer.status == 200, answer.raw_body
    assert answer.json == {"status": "accepted", "transid": "proofabc"}
    assert event_store.list_events("proof a bc") == []
    (stored,) = event_store.list_events("proofabc")
    assert stored.event.raw_body == "".join(body.split()).encode()
    assert stored.event.description == "UnknownStatus"  # every value comes from what was signed


def test_a_replay_with_spaces_inside_its_values_is_a_duplicate_not_a_new_transaction(
    invoke: Callable[..., Answer],
    stripping_dependencies: IngestDependencies,
    event_store: EventStore,
) -> None:
    original = invoke(_signed_over_stripped(_spaced_callback(TRANSID)), stripping_dependencies)
    captured_signature = hub_signature("".join(_spaced_callback(TRANSID).split()))
    # The captured signature with spaces slipped inside the transid and the timestamp.
    replayed_body = _spaced_callback(TRANSID.replace("-", " - ", 2)).replace("T11", "T 11")
    replay = with_body(http_event("04-sms-failed"), replayed_body)
    replay["headers"]["x-hub-signature"] = captured_signature

    answer = invoke(replay, stripping_dependencies)

    assert original.json["status"] == "accepted"
    assert answer.status == 200, answer.raw_body
    assert answer.json == {"status": "duplicate", "transid": TRANSID}
    assert len(event_store.list_events(TRANSID)) == 1
    assert event_store.list_events(TRANSID.replace("-", " - ", 2)) == []


@pytest.mark.parametrize(
    ("header_value", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256=not-hex-at-all", "malformed"),
        ("abc123", "malformed"),
        ("sha1=" + "a" * 40, "unsupported algorithm"),
        ("md5=" + "a" * 32, "unsupported algorithm"),
        (hub_signature("another body"), "mismatch"),
        (hub_signature(http_event("04-sms-failed")["body"], "retired-secret"), "mismatch"),
        (hub_signature(http_event("04-sms-failed")["body"], algorithm="sha512")[:80], "mismatch"),
    ],
    ids=[
        "absent",
        "empty",
        "not-hex",
        "bare-wrong-length",
        "sha1",
        "md5",
        "other-body",
        "retired-secret",
        "truncated",
    ],
)
def test_hub_signature_refusals(
    header_value: str | None,
    reason: str,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = http_event("04-sms-failed")
    if header_value is not None:
        event["headers"]["x-hub-signature"] = header_value

    answer = invoke(event, dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="x-hub-signature")
    assert metric_total(capsys.readouterr().out, "AuthFailures") == 1
    logged = log_output.getvalue()
    assert f'"reason":"{reason}"' in logged
    assert FIRST_SECRET not in logged and SECOND_SECRET not in logged
    if header_value:
        assert header_value not in logged


def test_a_tampered_body_fails_its_signature(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    event = signed(http_event("04-sms-failed"))
    event["body"] = event["body"].replace('"Failed"', '"Delivered"')

    answer = invoke(event, dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="x-hub-signature")


def test_an_unauthenticated_invalid_body_is_refused_before_it_is_parsed(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    event = with_body(http_event("04-sms-failed"), "not json at all")
    event["headers"]["x-hub-signature"] = hub_signature("something else")

    answer = invoke(event, dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="x-hub-signature")


# ---- basic ---------------------------------------------------------------------------------


@pytest.fixture
def basic_dependencies(make_dependencies: Callable[..., IngestDependencies]) -> IngestDependencies:
    return make_dependencies(
        CALLBACK_AUTH_MODE="basic", secrets=("imiconnect:first pass", "imiconnect:next:pass")
    )


@pytest.mark.parametrize("password", ["first pass", "next:pass"], ids=["current", "next"])
def test_basic_auth_accepts_either_active_account(
    password: str, invoke: Callable[..., Answer], basic_dependencies: IngestDependencies
) -> None:
    event = http_event("04-sms-failed")
    event["headers"]["authorization"] = basic_authorization("imiconnect", password)

    answer = invoke(event, basic_dependencies)

    assert answer.status == 200, answer.raw_body


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic_authorization("imiconnect", "wrong"),
        basic_authorization("someone", "first pass"),
        "Bearer abc.def.ghi",
        "Basic %%%not-base64%%%",
        "Basic",
    ],
    ids=["absent", "wrong-password", "wrong-user", "bearer", "malformed", "no-credentials"],
)
def test_basic_auth_refusals_carry_a_challenge(
    authorization: str | None,
    invoke: Callable[..., Answer],
    basic_dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
    log_output: io.StringIO,
) -> None:
    event = http_event("04-sms-failed")
    if authorization is not None:
        event["headers"]["authorization"] = authorization

    answer = invoke(event, basic_dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="authorization")
    assert answer.headers["www-authenticate"].startswith("Basic realm=")
    assert "first pass" not in log_output.getvalue()


def test_basic_mode_with_a_secret_that_holds_no_account_is_a_configuration_error(
    invoke: Callable[..., Answer], make_dependencies: Callable[..., IngestDependencies]
) -> None:
    dependencies = make_dependencies(CALLBACK_AUTH_MODE="basic", secrets=("just-a-password",))
    event = http_event("04-sms-failed")
    event["headers"]["authorization"] = basic_authorization("imiconnect", "just-a-password")

    answer = invoke(event, dependencies)

    # A secret problem like any other: fixing the value lets the platform's retry through.
    assert answer.status == 503
    assert answer.error["code"] == "configuration_error"
    assert answer.error["field"] == "CALLBACK_SECRET_REFERENCE"
    assert "just-a-password" not in answer.raw_body


# ---- api key -------------------------------------------------------------------------------


@pytest.fixture
def api_key_dependencies(
    make_dependencies: Callable[..., IngestDependencies],
) -> IngestDependencies:
    return make_dependencies(
        CALLBACK_AUTH_MODE="api-key",
        CALLBACK_API_KEY_HEADER="X-Imi-Callback-Key",
        secrets=("key-one", "key-two"),
    )


@pytest.mark.parametrize("key", ["key-one", "key-two"])
@pytest.mark.parametrize("header_name", ["x-imi-callback-key", "X-Imi-Callback-Key"])
def test_api_key_in_the_configured_header_is_accepted(
    key: str,
    header_name: str,
    invoke: Callable[..., Answer],
    api_key_dependencies: IngestDependencies,
) -> None:
    event = http_event("04-sms-failed")
    event["headers"][header_name] = key

    answer = invoke(event, api_key_dependencies)

    assert answer.status == 200, answer.raw_body


@pytest.mark.parametrize(
    ("headers", "case"),
    [
        ({}, "absent"),
        ({"x-imi-callback-key": "key-three"}, "wrong key"),
        ({"x-imi-callback-key": "key-one "[:-1] + "x"}, "near miss"),
        ({"x-api-key": "key-one"}, "default header name"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_api_key_refusals(
    headers: dict[str, str],
    case: str,
    invoke: Callable[..., Answer],
    api_key_dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
    log_output: io.StringIO,
) -> None:
    event = http_event("04-sms-failed")
    event["headers"].update(headers)

    answer = invoke(event, api_key_dependencies)

    _assert_refused_and_untouched(answer, dynamodb_client, events_table, field="x-imi-callback-key")
    assert "key-one" not in log_output.getvalue()


# ---- none ----------------------------------------------------------------------------------


def test_mode_none_is_refused_unless_explicitly_allowed(
    make_settings: Callable[..., Any],
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        make_settings(CALLBACK_AUTH_MODE="none")

    assert refused.value.field == "CALLBACK_AUTH_MODE"
    assert "ALLOW_UNAUTHENTICATED_CALLBACKS" in refused.value.message


def test_mode_none_deployed_without_the_opt_in_answers_every_callback_with_a_clear_500(
    invoke: Callable[..., Answer],
    monkeypatch: pytest.MonkeyPatch,
    events_table: str,
    dynamodb_client: Any,
    fresh_default_wiring: None,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EVENTS_TABLE_NAME", events_table)
    monkeypatch.setenv("CALLBACK_AUTH_MODE", "none")
    monkeypatch.setenv("ALLOW_UNAUTHENTICATED_CALLBACKS", "false")

    answer = invoke(http_event("04-sms-failed"))
    probe = invoke(http_event("callbacks-probe-head"))

    assert answer.status == 500
    assert answer.error["code"] == "configuration_error"
    assert answer.error["field"] == "CALLBACK_AUTH_MODE"
    assert "ALLOW_UNAUTHENTICATED_CALLBACKS" in answer.error["message"]
    # The console's probe fails too, so such a webhook cannot even be saved.
    assert probe.status == 500
    assert _items(dynamodb_client, events_table) == []
    assert "the webhook is misconfigured" in log_output.getvalue()
    assert metric_total(capsys.readouterr().out, "ConfigurationErrors") == 2


def test_mode_none_with_the_opt_in_accepts_callbacks_without_credentials(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    event_store: EventStore,
) -> None:
    dependencies = make_dependencies(
        CALLBACK_AUTH_MODE="none", ALLOW_UNAUTHENTICATED_CALLBACKS="true", secrets=()
    )

    answer = invoke(http_event("04-sms-failed"), dependencies)

    assert answer.status == 200
    assert len(event_store.list_events(TRANSID)) == 1


# ---- secrets from the stores, through the deployed wiring ----------------------------------


@pytest.fixture
def deployed_environment(
    monkeypatch: pytest.MonkeyPatch, events_table: str, fresh_default_wiring: None
) -> Callable[[str], None]:
    def configure(reference: str) -> None:
        monkeypatch.setenv("EVENTS_TABLE_NAME", events_table)
        monkeypatch.setenv("CALLBACK_AUTH_MODE", "hub-signature")
        monkeypatch.setenv("CALLBACK_SECRET_REFERENCE", reference)

    return configure


def test_secrets_come_from_an_ssm_securestring_with_two_during_rotation(
    invoke: Callable[..., Answer],
    deployed_environment: Callable[[str], None],
    event_store: EventStore,
) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/imiconnect-receipts/test/callback-secret",
        Value=f"{FIRST_SECRET}\n{SECOND_SECRET}\n",
        Type="SecureString",
    )
    deployed_environment("ssm:/imiconnect-receipts/test/callback-secret")

    with_first = invoke(signed(http_event("04-sms-failed"), FIRST_SECRET))
    with_second = invoke(signed(http_event("03-sms-un-delivered"), SECOND_SECRET))
    with_other = invoke(signed(http_event("02-sms-delivered"), "not-a-secret"))

    assert (with_first.status, with_second.status, with_other.status) == (200, 200, 401)
    assert len(event_store.list_events(TRANSID)) == 1


def test_secrets_come_from_secrets_manager(
    invoke: Callable[..., Answer],
    deployed_environment: Callable[[str], None],
) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="/imiconnect-receipts/test/callback-secret", SecretString=SECOND_SECRET
    )
    deployed_environment("secretsmanager:/imiconnect-receipts/test/callback-secret")

    assert invoke(signed(http_event("04-sms-failed"), SECOND_SECRET)).status == 200
    assert invoke(signed(http_event("04-sms-failed"), FIRST_SECRET)).status == 401


def test_a_missing_secret_is_a_configuration_error_not_an_authentication_failure(
    invoke: Callable[..., Answer],
    deployed_environment: Callable[[str], None],
    dynamodb_client: Any,
    events_table: str,
) -> None:
    deployed_environment("ssm:/imiconnect-receipts/test/never-created")

    answer = invoke(signed(http_event("04-sms-failed")))

    # 503, not 500: creating the secret lets the platform's next retry through.
    assert answer.status == 503
    assert answer.headers["retry-after"] == "30"
    assert answer.error["code"] == "configuration_error"
    assert answer.error["field"] == "CALLBACK_SECRET_REFERENCE"
    assert _items(dynamodb_client, events_table) == []


def test_a_secret_holding_null_is_a_configuration_error_and_none_is_no_key(
    invoke: Callable[..., Answer],
    deployed_environment: Callable[[str], None],
    dynamodb_client: Any,
    events_table: str,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="/imiconnect-receipts/test/callback-secret",
        SecretString=json.dumps({"current": FIRST_SECRET, "previous": None}),
    )
    deployed_environment("secretsmanager:/imiconnect-receipts/test/callback-secret")

    signed_with_none = invoke(signed(http_event("04-sms-failed"), "None"))
    signed_with_current = invoke(signed(http_event("04-sms-failed"), FIRST_SECRET))

    # The whole value is refused: no "None" key, and no half-read secret either.
    for answer in (signed_with_none, signed_with_current):
        assert answer.status == 503, answer.raw_body
        assert answer.error["code"] == "configuration_error"
        assert answer.error["field"] == "CALLBACK_SECRET_REFERENCE"
        assert "secretsmanager:/imiconnect-receipts/test/callback-secret" in answer.error["message"]
        assert "'previous'" in answer.error["message"]
    assert _items(dynamodb_client, events_table) == []
    logged = log_output.getvalue()
    assert "the webhook is misconfigured" in logged
    assert "secretsmanager:/imiconnect-receipts/test/callback-secret" in logged
    assert FIRST_SECRET not in logged
    assert metric_total(capsys.readouterr().out, "ConfigurationErrors") == 2
