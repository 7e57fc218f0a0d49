"""AWS errors in domain terms: what a retry may cure, what only the operator can fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ingest.adapters import TableCallbackStore, secret_source
from ingest.errors import (
    ConfigurationError,
    SecretUnavailableError,
    StoreRefusedWriteError,
    UnstorableCallbackError,
)
from receipts.models.callback import parse_callback
from receipts.secret_values import SecretConfigurationError

EVENT = parse_callback(
    b'{"deliveryInfoNotification":{"deliveryInfo":{"deliveryStatus":"Failed"},"transid":"t"}}'
)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _client_error(code: str, message: str = "refused") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class PowertoolsStyleError(Exception):
    """Powertools wraps a provider's error by raising a new one inside its except block."""


def _wrapped(cause: Exception) -> Exception:
    try:
        raise cause
    except Exception:
        try:
            raise PowertoolsStyleError(str(cause))  # the wrapping under test
        except PowertoolsStyleError as wrapped:
            return wrapped


def _loader(outcome: Any) -> Any:
    def load(reference: str, *, max_age: int) -> tuple[str, ...]:
        load.calls.append((reference, max_age))  # type: ignore[attr-defined]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    load.calls = []  # type: ignore[attr-defined]
    return load


def test_secrets_are_read_through_the_loader_with_the_configured_cache_age() -> None:
    load = _loader(("a", "b"))

    source = secret_source("ssm:/callback-secret", max_age_seconds=120, load=load)

    assert source() == ("a", "b")
    assert load.calls == [("ssm:/callback-secret", 120)]


@pytest.mark.parametrize(
    "cause",
    [
        _client_error("ParameterNotFound"),
        _client_error("AccessDeniedException"),
        _client_error("ResourceNotFoundException"),
        _client_error("DecryptionFailureException"),
    ],
)
def test_a_secret_only_the_operator_can_fix_is_a_configuration_error(cause: Exception) -> None:
    source = secret_source("ssm:/x", max_age_seconds=1, load=_loader(_wrapped(cause)))

    with pytest.raises(ConfigurationError) as refused:
        source()

    assert refused.value.field == "CALLBACK_SECRET_REFERENCE"
    assert "ssm:/x" in refused.value.message


def test_a_reference_of_no_known_store_is_a_configuration_error() -> None:
    source = secret_source(
        "vault:/x", max_age_seconds=1, load=_loader(SecretConfigurationError("unknown store"))
    )

    with pytest.raises(ConfigurationError):
        source()


@pytest.mark.parametrize(
    "cause", [_client_error("ThrottlingException"), ConnectionError("reset"), TimeoutError()]
)
def test_a_secret_store_that_may_answer_later_asks_for_a_retry(cause: Exception) -> None:
    source = secret_source("ssm:/x", max_age_seconds=1, load=_loader(_wrapped(cause)))

    with pytest.raises(SecretUnavailableError) as unavailable:
        source()

    assert unavailable.value.status_code == 503


class RaisingEventStore:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def put_event(self, *args: Any, **kwargs: Any) -> bool:
        raise self.error

    def quarantine(self, **kwargs: Any) -> object:
        raise self.error


@pytest.mark.parametrize(
    ("message", "too_large"),
    [
        ("Item size has exceeded the maximum allowed size", True),
        ("One or more parameter values were invalid: Size of hashkey has exceeded", False),
    ],
)
def test_an_item_the_table_refuses_is_unstorable(message: str, too_large: bool) -> None:
    store = TableCallbackStore(RaisingEventStore(_client_error("ValidationException", message)))  # type: ignore[arg-type]

    with pytest.raises(UnstorableCallbackError) as refused:
        store.put_event(EVENT, received_at=NOW)

    assert refused.value.too_large is too_large
    assert message in refused.value.message


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException"])
def test_a_refusal_that_is_not_the_callbacks_fault_is_a_storage_error(code: str) -> None:
    store = TableCallbackStore(RaisingEventStore(_client_error(code)))  # type: ignore[arg-type]

    with pytest.raises(StoreRefusedWriteError) as refused:
        store.put_event(EVENT, received_at=NOW)
    with pytest.raises(StoreRefusedWriteError):
        store.quarantine(
            body=b"",
            received_at=NOW,
            request_id="r",
            reason="x",
            error_code="invalid_json",
            field=None,
            headers={},
        )

    assert code in refused.value.message
