"""The ingest rules with an in-memory store: order of checks, quarantine, duplicates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.authentication import NoAuthentication
from ingest.errors import (
    AuthenticationFailedError,
    CallbackRejectedError,
    QuarantineUnavailableError,
    UnstorableCallbackError,
)
from ingest.service import (
    QUARANTINE_BODY_MAX_BYTES,
    CallbackIngestor,
    CallbackRequest,
)
from receipts.models.callback import DeliveryEvent
from receipts.storage import StoreUnavailableError

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events" / "callbacks"
FAILED_SMS = (EVENTS_DIR / "04-sms-failed.json").read_bytes()
RECEIVED_AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@dataclass
class InMemoryStore:
    """Stores events by their de-duplication identity, as the table's conditional put does."""

    events: dict[tuple[str, datetime, str, int | None], tuple[DeliveryEvent, str | None]] = field(
        default_factory=dict
    )
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    event_fault: Exception | None = None
    quarantine_fault: Exception | None = None

    def put_event(
        self, event: DeliveryEvent, *, received_at: datetime, gtrid: str | None = None
    ) -> bool:
        if self.event_fault:
            raise self.event_fault
        identity = (event.transid, event.occurred_at, event.status.value, event.code)
        if identity in self.events:
            return False
        self.events[identity] = (event, gtrid)
        return True

    def quarantine(self, **kept: Any) -> object:
        if self.quarantine_fault:
            raise self.quarantine_fault
        self.quarantined.append(kept)
        return kept


class RefuseEverything:
    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        raise AuthenticationFailedError("mismatch", field="x-hub-signature")


@dataclass
class VouchesFor:
    """Vouches for other bytes than those received, as a signature over the stripped body."""

    signed: bytes

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        return self.signed


def _ingestor(
    store: InMemoryStore, *, max_body_bytes: int = 65536, **options: Any
) -> CallbackIngestor:
    return CallbackIngestor(
        store=store,
        authenticator=options.get("authenticator", NoAuthentication()),
        max_body_bytes=max_body_bytes,
        credential_headers=frozenset({"authorization", "x-hub-signature", "x-api-key", "cookie"}),
    )


def _request(body: bytes = FAILED_SMS, **headers: str) -> CallbackRequest:
    return CallbackRequest(
        body=body,
        headers={"content-type": "application/json", **headers},
        request_id="request-1",
        received_at=RECEIVED_AT,
    )


def test_a_new_callback_is_accepted_then_a_repeat_is_a_duplicate() -> None:
    store = InMemoryStore()
    ingestor = _ingestor(store)

    first = ingestor.ingest(_request(**{"x-wx-gtrid": " trace-1 "}))
    second = ingestor.ingest(_request())

    assert (first.status, second.status) == ("accepted", "duplicate")
    assert first.event.transid == "f040fe8b-2876-4824-b59e-44420047e204"
    ((_, gtrid),) = store.events.values()
    assert gtrid == "trace-1"


def test_an_overlong_trace_id_is_cut_not_refused() -> None:
    store = InMemoryStore()

    _ingestor(store).ingest(_request(**{"x-wx-gtrid": "g" * 1000}))

    ((_, gtrid),) = store.events.values()
    assert gtrid == "g" * 256


def test_authentication_comes_before_the_size_check_and_parsing() -> None:
    store = InMemoryStore()
    ingestor = _ingestor(store, max_body_bytes=10, authenticator=RefuseEverything())

    with pytest.raises(AuthenticationFailedError):
        ingestor.ingest(_request(b"x" * 100))

    assert store.quarantined == [] and store.events == {}


def test_only_the_body_the_credential_covers_is_parsed_stored_and_quarantined() -> None:
    store = InMemoryStore()
    signed = FAILED_SMS.translate(None, b" \n")
    spaced = FAILED_SMS.replace(b'"transid": "f040fe8b', b'"transid": "f040 fe8b')

    result = _ingestor(store, authenticator=VouchesFor(signed)).ingest(_request(spaced))
    with pytest.raises(CallbackRejectedError):
        _ingestor(store, authenticator=VouchesFor(b'{"signed": "a b"}')).ingest(_request(spaced))

    assert result.event.transid == "f040fe8b-2876-4824-b59e-44420047e204"
    assert result.event.raw_body == signed
    assert store.quarantined[0]["body"] == b'{"signed": "a b"}'


def test_the_size_limit_applies_to_the_body_as_received() -> None:
    store = InMemoryStore()
    padded = FAILED_SMS + b" " * 100

    with pytest.raises(CallbackRejectedError) as rejected:
        _ingestor(
            store, max_body_bytes=len(FAILED_SMS), authenticator=VouchesFor(FAILED_SMS)
        ).ingest(_request(padded))

    assert rejected.value.status_code == 413
    assert f"{len(padded)} bytes" in rejected.value.message


def test_the_size_check_comes_before_parsing() -> None:
    store = InMemoryStore()

    with pytest.raises(CallbackRejectedError) as rejected:
        _ingestor(store, max_body_bytes=10).ingest(_request(b"not json but long"))

    assert (rejected.value.status_code, rejected.value.code) == (413, "payload_too_large")
    (kept,) = store.quarantined
    assert kept["error_code"] == "payload_too_large"


def test_a_rejected_body_is_quarantined_with_safe_headers_before_it_is_answered() -> None:
    store = InMemoryStore()
    request = _request(
        b'{"deliveryInfoNotification": {"deliveryInfo": {}}}',
        authorization="Basic abc",
        cookie="a=b",
        **{"x-hub-signature": "sha256=00", "x-api-key": "k", "x-wx-gtrid": "trace", "": "x"},
    )

    with pytest.raises(CallbackRejectedError) as rejected:
        _ingestor(store).ingest(request)

    assert rejected.value.status_code == 400
    assert rejected.value.field == "deliveryInfoNotification.transid"
    (kept,) = store.quarantined
    assert kept["body"] == request.body
    assert kept["request_id"] == "request-1"
    assert kept["received_at"] == RECEIVED_AT
    assert kept["field"] == "deliveryInfoNotification.transid"
    assert kept["headers"] == {"content-type": "application/json", "x-wx-gtrid": "trace"}


def test_a_huge_rejected_body_keeps_its_head_and_says_so() -> None:
    store = InMemoryStore()
    body = b"[" * (QUARANTINE_BODY_MAX_BYTES + 5)

    with pytest.raises(CallbackRejectedError):
        _ingestor(store, max_body_bytes=len(body) + 1).ingest(_request(body))

    (kept,) = store.quarantined
    assert len(kept["body"]) == QUARANTINE_BODY_MAX_BYTES
    assert (
        f"(the first {QUARANTINE_BODY_MAX_BYTES} of {len(body)} bytes are kept)" in kept["reason"]
    )


def test_header_values_kept_in_quarantine_are_bounded() -> None:
    store = InMemoryStore()

    with pytest.raises(CallbackRejectedError):
        _ingestor(store).ingest(_request(b"{", **{"user-agent": "u" * 10_000}))

    assert store.quarantined[0]["headers"]["user-agent"] == "u" * 2048


def test_when_the_quarantine_is_unavailable_the_answer_asks_for_a_retry() -> None:
    store = InMemoryStore(quarantine_fault=StoreUnavailableError("throttled"))

    with pytest.raises(QuarantineUnavailableError) as unavailable:
        _ingestor(store).ingest(_request(b"{"))

    assert unavailable.value.status_code == 503


def test_a_throttled_event_write_propagates_for_a_503() -> None:
    store = InMemoryStore(event_fault=StoreUnavailableError("throttled"))

    with pytest.raises(StoreUnavailableError):
        _ingestor(store).ingest(_request())

    assert store.quarantined == []


@pytest.mark.parametrize(("too_large", "status"), [(True, 413), (False, 400)])
def test_a_callback_the_table_cannot_hold_is_quarantined(too_large: bool, status: int) -> None:
    store = InMemoryStore(event_fault=UnstorableCallbackError("refused", too_large=too_large))

    with pytest.raises(CallbackRejectedError) as rejected:
        _ingestor(store).ingest(_request())

    assert rejected.value.status_code == status
    assert store.quarantined[0]["reason"] == "refused"


def test_a_parser_failure_on_odd_input_is_still_a_400_with_the_body_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_parser(body: bytes) -> DeliveryEvent:
        raise OverflowError("date value out of range")

    monkeypatch.setattr("ingest.service.parse_callback", broken_parser)
    store = InMemoryStore()

    with pytest.raises(CallbackRejectedError) as rejected:
        _ingestor(store).ingest(_request())

    assert (rejected.value.status_code, rejected.value.code) == (400, "invalid_shape")
    assert isinstance(rejected.value.__cause__, OverflowError)
    assert store.quarantined[0]["body"] == FAILED_SMS


@pytest.mark.parametrize(
    ("code", "known"), [("7200", True), ("4242", False), ("", True), ("n/a", False)]
)
def test_unknown_codes_are_stored_and_flagged(code: str, known: bool) -> None:
    notification = json.loads(FAILED_SMS)
    notification["deliveryInfoNotification"]["deliveryInfo"]["code"] = code

    result = _ingestor(InMemoryStore()).ingest(_request(json.dumps(notification).encode()))

    assert result.stored
    assert result.code_is_known is known
