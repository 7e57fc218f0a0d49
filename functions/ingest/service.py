"""One callback from authenticated bytes to a stored event: the ingest rules, no AWS here.

Order matters and is part of the contract:

1. authenticate first, over the raw body: nothing untrusted is parsed or stored, and from
   then on the body is the one the credential covers (see ``HubSignatureAuthenticator``);
2. check the size before parsing, so a huge body costs no parsing;
3. parse leniently (the shared model), refusing only what is not a notification;
4. store with a conditional put: a retried or duplicated callback is answered ``duplicate``.

A body refused at 2 or 3 is kept in the quarantine *before* it is answered, so nothing that
reached the webhook is lost; if even that fails, the answer is a 5xx and the platform sends
the body again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from ingest.authentication import Authenticator
from ingest.errors import (
    CallbackRejectedError,
    QuarantineUnavailableError,
    UnstorableCallbackError,
)
from ingest.redaction import unquoted_message
from receipts.codes import resolve_code
from receipts.errors import NotificationValidationError
from receipts.models.callback import DeliveryEvent, parse_callback
from receipts.storage import StoreUnavailableError

GTRID_HEADER = "x-wx-gtrid"
# A trace id is a UUID; anything longer is cut rather than refused (it is not ours to judge).
_GTRID_MAX_CHARS = 256
# DynamoDB items stop at 400 KB: a larger rejected body keeps its head, and says so.
QUARANTINE_BODY_MAX_BYTES = 300_000
_HEADER_VALUE_MAX_CHARS = 2048


class CallbackStore(Protocol):
    def put_event(
        self, event: DeliveryEvent, *, received_at: datetime, gtrid: str | None = None
    ) -> bool: ...

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
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """What ingest needs of one POST: header names are lower-case, as HTTP API sends them."""

    body: bytes
    headers: Mapping[str, str]
    request_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class IngestResult:
    event: DeliveryEvent
    stored: bool

    @property
    def status(self) -> Literal["accepted", "duplicate"]:
        return "accepted" if self.stored else "duplicate"

    @property
    def code_is_known(self) -> bool:
        """False for a code no table lists: kept and stored all the same, but counted."""
        if not self.event.raw_code:
            return True
        return resolve_code(self.event.code, self.event.channel, self.event.status).known


@dataclass(frozen=True, slots=True)
class Rejection:
    status_code: int
    code: str
    message: str
    field: str | None = None


class CallbackIngestor:
    def __init__(
        self,
        *,
        store: CallbackStore,
        authenticator: Authenticator,
        max_body_bytes: int,
        credential_headers: frozenset[str],
    ) -> None:
        self._store = store
        self._authenticator = authenticator
        self._max_body_bytes = max_body_bytes
        self._credential_headers = credential_headers

    def ingest(self, request: CallbackRequest) -> IngestResult:
        received_bytes = len(request.body)
        authenticated = self._authenticator.verify(request.body, request.headers)
        if authenticated is not request.body:
            # Only the signed bytes are trusted: they are parsed, stored and quarantined.
            request = replace(request, body=authenticated)
        if received_bytes > self._max_body_bytes:
            raise self._reject(
                request,
                Rejection(
                    413,
                    "payload_too_large",
                    f"the body is {received_bytes} bytes; the limit is "
                    f"{self._max_body_bytes} (MAX_CALLBACK_BYTES)",
                ),
            )
        try:
            event = parse_callback(request.body)
        except NotificationValidationError as error:
            raise self._reject(
                request, Rejection(400, error.code, error.message, error.field)
            ) from None
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            # The shared parser should refuse bad input with NotificationValidationError;
            # if a body slips past it, it is still bad input: kept, answered 400 (not a 5xx
            # the platform would retry and drop), and the cause is logged as a parser bug.
            raise self._reject(
                request,
                Rejection(400, "invalid_shape", "the body could not be read as a notification"),
            ) from error
        try:
            stored = self._store.put_event(
                event, received_at=request.received_at, gtrid=_gtrid(request.headers)
            )
        except UnstorableCallbackError as error:
            rejection = (
                Rejection(413, "payload_too_large", error.message)
                if error.too_large
                else Rejection(400, "unstorable", error.message)
            )
            raise self._reject(request, rejection) from None
        return IngestResult(event=event, stored=stored)

    def _reject(self, request: CallbackRequest, rejection: Rejection) -> CallbackRejectedError:
        """Keep the body in the quarantine, then return the error that answers the caller."""
        body = request.body[:QUARANTINE_BODY_MAX_BYTES]
        # The message is answered, logged and kept as the reason: it must not quote the body.
        message = unquoted_message(rejection.message, request.body, field=rejection.field)
        reason = message
        if len(body) < len(request.body):
            reason += f" (the first {len(body)} of {len(request.body)} bytes are kept)"
        try:
            self._store.quarantine(
                body=body,
                received_at=request.received_at,
                request_id=request.request_id,
                reason=reason,
                error_code=rejection.code,
                field=rejection.field,
                headers=self.safe_headers(request.headers),
            )
        except StoreUnavailableError:
            raise QuarantineUnavailableError(
                "the rejected body could not be kept for inspection; send it again"
            ) from None
        return CallbackRejectedError(
            message,
            status_code=rejection.status_code,
            code=rejection.code,
            field=rejection.field,
        )

    def safe_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers worth keeping with a rejected body: no credential, nothing unbounded."""
        return {
            name: value[:_HEADER_VALUE_MAX_CHARS]
            for name, value in headers.items()
            if name and name not in self._credential_headers
        }


def _gtrid(headers: Mapping[str, str]) -> str | None:
    value = headers.get(GTRID_HEADER, "").strip()
    return value[:_GTRID_MAX_CHARS] or None
