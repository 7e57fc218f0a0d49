"""AWS at the edges: the events table and the callback secret, with their errors translated.

The logic sees only domain errors: a fault a retry may cure (``StoreUnavailableError``,
``SecretUnavailableError``), a callback the table cannot hold as sent
(``UnstorableCallbackError``), a secret to fix in its store (``SecretMisconfiguredError``), or
a deployment problem (``StoreRefusedWriteError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from botocore.exceptions import ClientError

from ingest.authentication import SecretSource
from ingest.errors import (
    SecretMisconfiguredError,
    SecretUnavailableError,
    StoreRefusedWriteError,
    UnstorableCallbackError,
)
from receipts.models.callback import DeliveryEvent
from receipts.secret_values import SecretConfigurationError, load_secrets
from receipts.storage import EventStore

# Errors of SSM, Secrets Manager or KMS that only the operator can cure.
_SECRET_CONFIGURATION_CODES = frozenset(
    {
        "ParameterNotFound",
        "ParameterVersionNotFound",
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "InvalidKeyId",
        "DecryptionFailureException",
        "ValidationException",
        "InvalidParameterException",
        "InvalidRequestException",
    }
)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


class TableCallbackStore:
    """The shared :class:`EventStore`, with the table's refusals in domain terms."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    def put_event(
        self, event: DeliveryEvent, *, received_at: datetime, gtrid: str | None = None
    ) -> bool:
        try:
            return self._store.put_event(event, received_at=received_at, gtrid=gtrid)
        except ClientError as error:
            if _error_code(error) == "ValidationException":
                # The request was well formed, so the item itself is refused: too large, or
                # a key attribute (destination, correlation id) over DynamoDB's key limits.
                message = _error_message(error)
                raise UnstorableCallbackError(
                    f"the callback cannot be stored as sent: {message}",
                    too_large="item size" in message.lower(),
                ) from None
            raise StoreRefusedWriteError(
                f"the events table refused the write ({_error_code(error)})"
            ) from error

    def quarantine(
        self,
        *,
        body: bytes,
        received_at: datetime,
        request_id: str,
        reason: str,
        error_code: str,
        field: str | None,
        headers: Mapping[str, str],
    ) -> object:
        try:
            return self._store.quarantine(
                body=body,
                received_at=received_at,
                request_id=request_id,
                reason=reason,
                error_code=error_code,
                field=field,
                headers=headers,
            )
        except ClientError as error:
            raise StoreRefusedWriteError(
                f"the events table refused to keep a rejected body ({_error_code(error)})"
            ) from error


def secret_source(
    reference: str,
    *,
    max_age_seconds: int,
    load: Callable[..., tuple[str, ...]] = load_secrets,
) -> SecretSource:
    """The active callback secrets, read through Powertools' cache on every call."""

    def active_secrets() -> tuple[str, ...]:
        try:
            return load(reference, max_age=max_age_seconds)
        except SecretConfigurationError as error:
            # The layer's message names the secret and the broken entry, never a value.
            raise SecretMisconfiguredError(
                f"the callback secret cannot be used: {error}", field="CALLBACK_SECRET_REFERENCE"
            ) from None
        except Exception as error:  # Powertools wraps every provider error in one type
            cause = error.__cause__ or error.__context__
            if isinstance(cause, ClientError) and _error_code(cause) in _SECRET_CONFIGURATION_CODES:
                raise SecretMisconfiguredError(
                    f"callback secret {reference} cannot be read ({_error_code(cause)})",
                    field="CALLBACK_SECRET_REFERENCE",
                ) from None
            raise SecretUnavailableError(
                "the callback secret could not be read just now; send the callback again"
            ) from error

    return active_secrets
