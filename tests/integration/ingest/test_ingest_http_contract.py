"""The webhook's HTTP contract: probes, answers, limits, encodings, quarantine, metrics, logs."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from tests.integration.ingest.ingest_support import (
    Answer,
    emf_metrics,
    http_event,
    hub_signature,
    metric_total,
    signed,
    with_body,
)

from ingest.dependencies import IngestDependencies
from receipts.storage import EventStore

TRANSID = "f040fe8b-2876-4824-b59e-44420047e204"  # 04-sms-failed


def _items(dynamodb_client: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb_client.scan(TableName=table)["Items"])


def _explode(*_: Any, **__: Any) -> tuple[str, ...]:
    raise AssertionError("a probe must not read the secret")


# ---- probes --------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", ["callbacks-probe-head", "callbacks-probe-get"])
def test_the_console_probe_gets_200_and_nothing_is_read_or_written(
    probe: str,
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    dynamodb_client: Any,
    events_table: str,
) -> None:
    dependencies = make_dependencies()
    dependencies = IngestDependencies(
        settings=dependencies.settings,
        store=dependencies.store,
        secrets=_explode,
        clock=dependencies.clock,
    )

    answer = invoke(http_event(probe), dependencies)

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    if probe.endswith("head"):
        assert answer.raw_body == ""
    else:
        assert answer.json == {"status": "ready", "service": "imiconnect-receipts ingest"}
    assert _items(dynamodb_client, events_table) == []


def test_a_probe_on_the_deployed_wiring_needs_no_aws_client(
    invoke: Callable[..., Answer],
    monkeypatch: pytest.MonkeyPatch,
    fresh_default_wiring: None,
) -> None:
    monkeypatch.setenv("EVENTS_TABLE_NAME", "events-never-created")
    monkeypatch.setenv("CALLBACK_SECRET_REFERENCE", "ssm:/never/read")
    # No moto here: any AWS call would fail, so a 200 proves the probe made none.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    assert invoke(http_event("callbacks-probe-head")).status == 200
    assert invoke(http_event("callbacks-probe-get")).status == 200


def test_other_methods_are_refused_with_405(
    invoke: Callable[..., Answer], dependencies: IngestDependencies
) -> None:
    event = http_event("callbacks-probe-get")
    event["requestContext"]["http"]["method"] = "DELETE"

    answer = invoke(event, dependencies)

    assert answer.status == 405
    assert answer.error["code"] == "method_not_allowed"


# ---- bodies that are not notifications -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ("{not json", "invalid_json", None),
        ("[1, 2, 3]", "invalid_shape", None),
        ('{"hello": "world"}', "missing_field", "deliveryInfoNotification"),
        (
            '{"deliveryInfoNotification": {"deliveryInfo": {}}}',
            "missing_field",
            "deliveryInfoNotification.transid",
        ),
        (
            '{"deliveryInfoNotification": {"deliveryInfo": {}, "transid": "   "}}',
            "missing_field",
            "deliveryInfoNotification.transid",
        ),
        ("", "invalid_json", None),
    ],
    ids=["not-json", "array", "no-notification", "no-transid", "blank-transid", "empty"],
)
def test_a_body_that_is_not_a_notification_is_answered_400_and_quarantined(
    body: str,
    code: str,
    field: str | None,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    received_at: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = signed(with_body(http_event("04-sms-failed"), body))
    event["headers"]["cookie"] = "session=abc"
    event["headers"]["authorization"] = "Bearer should-not-be-kept"

    answer = invoke(event, dependencies)

    assert answer.status == 400
    assert answer.error["code"] == code
    assert answer.error["field"] == field
    assert answer.error["message"]
    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert kept.body == body.encode()
    assert kept.error_code == code
    assert kept.field == field
    assert kept.reason == answer.error["message"]
    assert kept.received_at == received_at
    assert kept.sort_key.endswith(event["requestContext"]["requestId"])
    # The headers an operator needs to replay it, and no credential.
    assert kept.headers["x-wx-gtrid"] == event["headers"]["x-wx-gtrid"]
    assert kept.headers["content-type"] == "application/json"
    assert {"x-hub-signature", "authorization", "cookie"}.isdisjoint(kept.headers)
    output = capsys.readouterr().out
    assert metric_total(output, "Rejected") == 1
    assert metric_total(output, "Quarantined") == 1


def test_credential_headers_of_every_mode_are_dropped_from_the_quarantine(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    event_store: EventStore,
    received_at: datetime,
) -> None:
    dependencies = make_dependencies(
        CALLBACK_AUTH_MODE="api-key", CALLBACK_API_KEY_HEADER="X-Callback-Token", secrets=("k",)
    )
    event = with_body(http_event("04-sms-failed"), "{not json")
    event["headers"]["x-callback-token"] = "k"
    event["headers"]["x-hub-signature"] = "sha256=" + "0" * 64
    event["headers"]["proxy-authorization"] = "Basic Zm9vOmJhcg=="

    assert invoke(event, dependencies).status == 400

    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert {"x-callback-token", "x-hub-signature", "proxy-authorization"}.isdisjoint(kept.headers)
    assert "user-agent" in kept.headers


def test_a_body_over_the_limit_is_answered_413_quarantined_and_never_parsed(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    event_store: EventStore,
    received_at: datetime,
) -> None:
    dependencies = make_dependencies(MAX_CALLBACK_BYTES="1024")
    notification = json.loads(http_event("04-sms-failed")["body"])
    notification["deliveryInfoNotification"]["callbackData"] = "x" * 2000
    body = json.dumps(notification)

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 413
    assert answer.error["code"] == "payload_too_large"
    assert "1024" in answer.error["message"]
    assert event_store.list_events(TRANSID) == []
    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert kept.error_code == "payload_too_large"
    assert kept.body == body.encode()
    assert str(len(body)) in kept.reason


def test_a_body_exactly_at_the_limit_is_accepted(
    invoke: Callable[..., Answer], make_dependencies: Callable[..., IngestDependencies]
) -> None:
    body = http_event("04-sms-failed")["body"]
    dependencies = make_dependencies(MAX_CALLBACK_BYTES=str(len(body.encode())))

    assert invoke(signed(http_event("04-sms-failed")), dependencies).status == 200


def test_the_limit_applies_to_the_decoded_body_not_its_base64_form(
    invoke: Callable[..., Answer], make_dependencies: Callable[..., IngestDependencies]
) -> None:
    body = http_event("04-sms-failed")["body"]
    dependencies = make_dependencies(MAX_CALLBACK_BYTES=str(len(body.encode())))
    event = signed(with_body(http_event("04-sms-failed"), body, base64_encoded=True))

    assert invoke(event, dependencies).status == 200


# ---- encodings -----------------------------------------------------------------------------


def test_a_base64_encoded_body_is_verified_and_stored_as_the_decoded_bytes(
    invoke: Callable[..., Answer], dependencies: IngestDependencies, event_store: EventStore
) -> None:
    body = http_event("04-sms-failed")["body"]
    event = signed(with_body(http_event("04-sms-failed"), body, base64_encoded=True))

    answer = invoke(event, dependencies)

    assert answer.status == 200, answer.raw_body
    (stored,) = event_store.list_events(TRANSID)
    assert stored.event.raw_body == body.encode()


def test_a_base64_body_signed_over_its_encoded_form_is_refused(
    invoke: Callable[..., Answer], dependencies: IngestDependencies
) -> None:
    event = with_body(
        http_event("04-sms-failed"), http_event("04-sms-failed")["body"], base64_encoded=True
    )
    event["headers"]["x-hub-signature"] = hub_signature(event["body"])

    assert invoke(event, dependencies).status == 401


def test_a_non_utf8_base64_body_is_quarantined_byte_for_byte(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    received_at: datetime,
) -> None:
    raw = b"\xff\xfe\x00binary\x80"
    event = signed(with_body(http_event("04-sms-failed"), raw, base64_encoded=True))

    answer = invoke(event, dependencies)

    assert answer.status == 400
    (kept,) = event_store.list_quarantine(received_at.date().isoformat())
    assert kept.body == raw


def test_unicode_bodies_keep_their_exact_bytes(
    invoke: Callable[..., Answer], dependencies: IngestDependencies, event_store: EventStore
) -> None:
    notification = json.loads(http_event("04-sms-failed")["body"])
    notification["deliveryInfoNotification"]["callbackData"] = "réponse ✓ 日本"
    body = json.dumps(notification, ensure_ascii=False)

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 200
    (stored,) = event_store.list_events(TRANSID)
    assert stored.event.raw_body == body.encode()


# ---- observability -------------------------------------------------------------------------


def test_a_stored_callback_is_counted_under_the_service_alone(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    capsys: pytest.CaptureFixture[str],
) -> None:
    invoke(signed(http_event("04-sms-failed")), dependencies)
    first = capsys.readouterr().out
    invoke(signed(http_event("04-sms-failed")), dependencies)
    second = capsys.readouterr().out

    (blob,) = [blob for blob in emf_metrics(first) if "Callbacks" in blob]
    directive = blob["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"]
    # Channel and status are in the table and the sampled log line, not metric dimensions.
    assert directive["Dimensions"] == [["service"]]
    assert blob["service"] == "ingest"
    assert metric_total(first, "CallbacksAccepted") == 1
    assert metric_total(first, "Duplicates") == 0
    assert metric_total(second, "Duplicates") == 1
    assert metric_total(second, "CallbacksAccepted") == 0


def test_an_unknown_code_is_stored_and_counted(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = http_event("04-sms-failed")["body"].replace('"7200"', '"4242"')

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 200
    (stored,) = event_store.list_events(TRANSID)
    assert stored.event.code == 4242
    assert metric_total(capsys.readouterr().out, "UnknownCodes") == 1


def test_logs_carry_the_transid_as_correlation_id_and_mask_the_destination(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    log_output: io.StringIO,
) -> None:
    dependencies = make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="1")  # every stored line at INFO
    invoke(signed(http_event("36-email-bounce")), dependencies)
    invoke(signed(http_event("04-sms-failed")), dependencies)

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    stored = [line for line in lines if line["message"] == "callback stored"]
    assert [line["correlation_id"] for line in stored] == [
        "4b72d8a2-290d-49e2-993e-3bd8edf31c81",
        TRANSID,
    ]
    assert stored[1]["alert"] is True
    everything = log_output.getvalue()
    sms_destination = json.loads(http_event("04-sms-failed")["body"])["deliveryInfoNotification"][
        "deliveryInfo"
    ]["destination"]
    assert sms_destination not in everything
    assert "callbackData" not in everything


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeStamp", "0001-01-01T00:00:00+01:00"),
        ("timeStamp", "9999-12-31T23:59:59-05:00"),
        ("timeStamp", "\u00b2"),
        ("code", "\u00b2"),
        ("code", "9" * 5000),
    ],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc", "superscript-time", "superscript-code",
         "code-over-int-limit"],
)  # fmt: skip
def test_odd_field_values_are_stored_never_a_500(
    field: str,
    value: str,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
) -> None:
    notification = json.loads(http_event("04-sms-failed")["body"])
    notification["deliveryInfoNotification"]["deliveryInfo"][field] = value
    body = json.dumps(notification)

    answer = invoke(signed(with_body(http_event("04-sms-failed"), body)), dependencies)

    assert answer.status == 200, answer.raw_body
    (stored,) = event_store.list_events(TRANSID)
    assert stored.event.raw_body == body.encode()
