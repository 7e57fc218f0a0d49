"""A rejected body's destination and push id stay in the quarantine: never in a log line, the
answer's message or the quarantine's reason, whatever the parser or the table says."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.fresh_interpreter import output_of
from tests.integration.ingest.ingest_support import Answer, http_event, signed, with_body

from ingest.dependencies import IngestDependencies
from ingest.errors import UnstorableCallbackError
from receipts.errors import NotificationValidationError
from receipts.storage import EventStore

PUSH_ID = "9213d63daa6e8416ab4f0cc1bb0f23e4f78cfe42e4c5193b2102ab5844371f7b"
DESTINATION = "tel:+91 888 666 1353"
FIELD = "deliveryInfoNotification.deliveryInfo.pushId"


def _callback_with_push_id() -> dict[str, Any]:
    document = json.loads(http_event("04-sms-failed")["body"])
    document["deliveryInfoNotification"]["deliveryInfo"].update(
        pushId=PUSH_ID, destination=DESTINATION
    )
    return signed(with_body(http_event("04-sms-failed"), json.dumps(document)))


def _assert_nothing_echoed(answer: Answer, event_store: EventStore, logged: str) -> str:
    assert answer.status == 400, answer.raw_body
    (kept,) = event_store.list_quarantine(_today(event_store))
    for text in (answer.error["message"], kept.reason, logged):
        assert PUSH_ID not in text
        assert PUSH_ID[:16] not in text
        assert "888 666" not in text
    assert PUSH_ID.encode() in kept.body  # the quarantine still holds the body itself
    return str(kept.reason)


def _today(event_store: EventStore) -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


def test_a_validation_message_quoting_the_body_is_neither_answered_logged_nor_kept(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def echoing_parser(body: bytes) -> Any:
        raise NotificationValidationError(
            f"field '{FIELD}' is invalid: input_value='{PUSH_ID}' near '{DESTINATION}'",
            field=FIELD,
        )

    monkeypatch.setattr("ingest.service.parse_callback", echoing_parser)

    answer = invoke(_callback_with_push_id(), dependencies)

    reason = _assert_nothing_echoed(answer, event_store, log_output.getvalue())
    # The field is still named, for the sender to fix.
    assert answer.error["field"] == FIELD
    assert FIELD in answer.error["message"] and FIELD in reason
    assert "callback rejected and quarantined" in log_output.getvalue()


def test_a_parser_failure_is_logged_without_the_values_it_quoted(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_parser(body: bytes) -> Any:
        raise ValueError(f"cannot read {PUSH_ID} sent to {DESTINATION}")

    monkeypatch.setattr("ingest.service.parse_callback", failing_parser)

    answer = invoke(_callback_with_push_id(), dependencies)

    logged = log_output.getvalue()
    _assert_nothing_echoed(answer, event_store, logged)
    # Still enough to find the bug: the failure's type and where it was raised.
    assert "the notification parser failed on a body" in logged
    assert "ValueError" in logged and "failing_parser" in logged


def test_a_table_refusal_quoting_a_value_is_neither_answered_logged_nor_kept(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = dependencies.store

    def refusing_put(*args: Any, **kwargs: Any) -> bool:
        raise UnstorableCallbackError(
            f"the callback cannot be stored as sent: key {PUSH_ID} is too long",
            too_large=False,
        )

    monkeypatch.setattr(store, "put_event", refusing_put)

    answer = invoke(_callback_with_push_id(), dependencies)

    _assert_nothing_echoed(answer, event_store, log_output.getvalue())
    assert answer.error["code"] == "unstorable"


def test_the_event_is_not_logged_even_when_the_environment_asks_for_it() -> None:
    """POWERTOOLS_LOGGER_LOG_EVENT=true would log the request: its body and credentials."""
    script = f"""
import json
from dataclasses import dataclass
from ingest.dependencies import IngestDependencies
from ingest.handler import lambda_handler
from ingest.settings import settings_from
from tests.integration.ingest.ingest_support import FakeLambdaContext

class KeepNothing:
    def put_event(self, *args, **kwargs):
        return True
    def quarantine(self, **kwargs):
        return None

settings = settings_from({{"EVENTS_TABLE_NAME": "events", "CALLBACK_AUTH_MODE": "none",
                          "ALLOW_UNAUTHENTICATED_CALLBACKS": "true"}})
event = json.loads({json.dumps(json.dumps(_callback_with_push_id()))})
answer = lambda_handler(event, FakeLambdaContext(), IngestDependencies(settings, KeepNothing()))
print("status", answer["statusCode"])
"""
    output = output_of(script, POWERTOOLS_LOGGER_LOG_EVENT="true", POWERTOOLS_LOG_LEVEL="DEBUG")
    assert "status 200" in output, output
    assert "callback stored" in output  # the function did log
    assert PUSH_ID not in output
    assert "x-hub-signature" not in output
