"""Property-based fuzzing of the webhook's encodings, sizes and header spellings.

What ``tests/integration/ingest/test_ingest_fuzzing.py`` leaves out: valid callbacks that
arrive base64-encoded or in another text encoding, bodies around and far beyond the size
limit, and the signature header in other letter cases, algorithms and spellings. Through the
real handler (decorators included) on the moto table, the contract is the same: never a
5xx, every refusal a JSON error, every body refused as input kept in the quarantine.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.fuzz.conftest import MAX_CALLBACK_BYTES
from tests.integration.ingest.ingest_support import (
    FIRST_SECRET,
    Answer,
    http_event,
    with_body,
)

from ingest.service import QUARANTINE_BODY_MAX_BYTES
from receipts.storage import EventStore
from receipts.storage.event_store import QuarantinedBody

FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEED = json.loads(http_event("04-sms-failed")["body"])
SIGNATURE_HEADER = "x-hub-signature"
request_numbers = itertools.count()


def _notification(transid: str, callback_data: str = "") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(SEED))
    document["deliveryInfoNotification"]["transid"] = transid
    document["deliveryInfoNotification"]["callbackData"] = callback_data
    return document


def _signature(
    raw: bytes, *, algorithm: str = "sha256", prefix: str = "", upper: bool = False
) -> str:
    digest = hmac.new(FIRST_SECRET.encode(), raw, getattr(hashlib, algorithm)).hexdigest()
    return prefix + (digest.upper() if upper else digest)


def _event(
    raw: bytes, *, base64_encoded: bool, headers: dict[str, str]
) -> tuple[dict[str, Any], str]:
    event = http_event("04-sms-failed")
    request_id = f"encodings-{next(request_numbers)}-{uuid.uuid4().hex[:8]}"
    event["requestContext"]["requestId"] = request_id
    event["headers"].pop(SIGNATURE_HEADER, None)
    event["headers"].update(headers)
    with_body(event, raw, base64_encoded=base64_encoded)
    return event, request_id


def _in_some_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(name, upper, strict=True))
    )


def _assert_json_error(answer: Answer) -> None:
    error = answer.error
    assert set(error) == {"code", "message", "field"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


def _assert_contract(
    answer: Answer,
    raw: bytes,
    request_id: str,
    event_store: EventStore,
    quarantined: Callable[[str], QuarantinedBody | None],
) -> None:
    """Never a 5xx; accepted bodies stored as sent; refused ones a JSON error, and kept."""
    assert answer.status in {200, 400, 413}, (answer.status, answer.raw_body)
    if answer.status == 200:
        assert answer.json["status"] in {"accepted", "duplicate"}
        stored = event_store.list_events(answer.json["transid"])
        assert raw in [item.event.raw_body for item in stored]
        assert quarantined(request_id) is None
    else:
        _assert_json_error(answer)
        kept = quarantined(request_id)
        assert kept is not None, "a refused body must be kept"
        assert kept.body == raw[:QUARANTINE_BODY_MAX_BYTES]
        assert kept.error_code == answer.error["code"]


# ---- valid callbacks, however they travel ---------------------------------------------------

text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
)  # no lone surrogates: they are not text that UTF-8 can carry


def test_a_valid_callback_is_accepted_whatever_its_transfer_and_signature_spelling(
    invoke: Callable[[dict[str, Any]], Answer],
    event_store: EventStore,
    quarantined: Callable[[str], QuarantinedBody | None],
) -> None:
    @FUZZ_SETTINGS
    @given(
        callback_data=text_values,
        ensure_ascii=st.booleans(),
        indent=st.sampled_from([None, 0, 2]),
        base64_encoded=st.booleans(),
        header_name=_in_some_case(SIGNATURE_HEADER),
        algorithm=st.sampled_from(["sha256", "sha512"]),
        with_prefix=st.booleans(),
        upper_hex=st.booleans(),
    )
    def check(
        callback_data: str,
        ensure_ascii: bool,
        indent: int | None,
        base64_encoded: bool,
        header_name: str,
        algorithm: str,
        with_prefix: bool,
        upper_hex: bool,
    ) -> None:
        transid = str(uuid.uuid4())
        raw = json.dumps(
            _notification(transid, callback_data), ensure_ascii=ensure_ascii, indent=indent
        ).encode()
        prefix = f"{algorithm}=" if with_prefix else ""
        signature = _signature(raw, algorithm=algorithm, prefix=prefix, upper=upper_hex)
        event, request_id = _event(
            raw, base64_encoded=base64_encoded, headers={header_name: signature}
        )

        answer = invoke(event)

        assert (answer.status, answer.json.get("status")) == (200, "accepted"), answer.raw_body
        assert answer.json["transid"] == transid
        _assert_contract(answer, raw, request_id, event_store, quarantined)
        # The same bytes again, in the other transfer encoding: a duplicate, stored once.
        again, _ = _event(raw, base64_encoded=not base64_encoded, headers={header_name: signature})
        assert invoke(again).json["status"] == "duplicate"
        assert len(event_store.list_events(transid)) == 1

    check()


# ---- other text encodings and broken bytes --------------------------------------------------

ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "latin-1",
    "cp1252",
]


@st.composite
def encoded_bodies(draw: st.DrawFn) -> bytes:
    """A notification in some text encoding, sometimes with stray bytes spliced in."""
    text = json.dumps(
        _notification(
            str(uuid.uuid4()), draw(st.sampled_from(["", "café", "naïve \u2013 50 €", "ok"]))
        ),
        ensure_ascii=False,
    )
    encoding = draw(st.sampled_from(ENCODINGS))
    raw = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        stray = draw(st.binary(min_size=1, max_size=8))
        position = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:position] + stray + raw[position:]
    return raw


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_bodies_in_other_encodings_are_never_a_5xx_and_kept_when_refused(
    invoke: Callable[[dict[str, Any]], Answer],
    event_store: EventStore,
    quarantined: Callable[[str], QuarantinedBody | None],
) -> None:
    statuses: set[int] = set()

    @FUZZ_SETTINGS
    @given(raw=encoded_bodies(), as_text=st.booleans())
    def check(raw: bytes, as_text: bool) -> None:
        # HTTP API hands a Lambda a body that is not UTF-8 only base64-encoded.
        base64_encoded = not (as_text and _is_utf8(raw))
        event, request_id = _event(
            raw, base64_encoded=base64_encoded, headers={SIGNATURE_HEADER: _signature(raw)}
        )

        answer = invoke(event)

        statuses.add(answer.status)
        _assert_contract(answer, raw, request_id, event_store, quarantined)

    check()
    assert 400 in statuses  # the strategy does reach refusals


# ---- sizes ----------------------------------------------------------------------------------


def _body_of_size(size: int) -> bytes:
    """A valid notification of exactly ``size`` bytes (padded in callbackData)."""
    empty = json.dumps(_notification(str(uuid.uuid4()))).encode()
    padding = size - len(empty)
    assert padding >= 0
    document = json.loads(empty)
    document["deliveryInfoNotification"]["callbackData"] = "x" * padding
    raw = json.dumps(document).encode()
    assert len(raw) == size
    return raw


def test_a_body_over_the_limit_is_413_and_kept_up_to_what_an_item_holds(
    invoke: Callable[[dict[str, Any]], Answer],
    event_store: EventStore,
    quarantined: Callable[[str], QuarantinedBody | None],
) -> None:
    limit = MAX_CALLBACK_BYTES
    boundaries = [
        limit - 1,
        limit,
        limit + 1,
        QUARANTINE_BODY_MAX_BYTES,
        QUARANTINE_BODY_MAX_BYTES + 1,
        1_000_000,
    ]

    @settings(FUZZ_SETTINGS, max_examples=14)
    @example(size=limit, base64_encoded=False)
    @example(size=limit + 1, base64_encoded=True)
    @example(size=QUARANTINE_BODY_MAX_BYTES + 1, base64_encoded=False)
    @example(size=1_000_000, base64_encoded=True)
    @given(
        size=st.sampled_from(boundaries) | st.integers(min_value=400, max_value=1_200_000),
        base64_encoded=st.booleans(),
    )
    def check(size: int, base64_encoded: bool) -> None:
        raw = _body_of_size(size)
        event, request_id = _event(
            raw, base64_encoded=base64_encoded, headers={SIGNATURE_HEADER: _signature(raw)}
        )

        answer = invoke(event)

        _assert_contract(answer, raw, request_id, event_store, quarantined)
        if size <= limit:
            assert answer.status == 200
        else:
            assert (answer.status, answer.error["code"]) == (413, "payload_too_large")
            kept = quarantined(request_id)
            assert kept is not None
            if size > QUARANTINE_BODY_MAX_BYTES:
                assert f"the first {QUARANTINE_BODY_MAX_BYTES} of {size} bytes" in kept.reason

    check()


# ---- the signature header, spelt many ways --------------------------------------------------


@st.composite
def signature_headers(draw: st.DrawFn, raw: bytes) -> dict[str, str]:
    """The header in any letter case, maybe twice, comma-joined, padded or re-prefixed."""
    valid = _signature(raw, algorithm=draw(st.sampled_from(["sha256", "sha512"])))
    value = draw(
        st.sampled_from(
            [
                valid,
                f"  {valid}  ",
                f"SHA256={valid}",
                f"sha256 = {valid}",
                f"{valid},{valid}",
                f"{valid},{'0' * 64}",
                f"{'0' * 64},{valid}",
                valid[:-1],
                valid + "0",
            ]
        )
    )
    headers = {draw(_in_some_case(SIGNATURE_HEADER)): value}
    if draw(st.booleans()):
        # A second spelling of the same header: which one a client or proxy keeps varies.
        headers[draw(_in_some_case(SIGNATURE_HEADER))] = draw(st.sampled_from([valid, "bogus"]))
    return headers


def test_the_signature_header_in_any_spelling_is_200_or_401_never_a_5xx(
    invoke: Callable[[dict[str, Any]], Answer],
    event_store: EventStore,
    quarantined: Callable[[str], QuarantinedBody | None],
) -> None:
    @FUZZ_SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        transid = str(uuid.uuid4())
        raw = json.dumps(_notification(transid)).encode()
        headers = data.draw(signature_headers(raw))
        event, request_id = _event(raw, base64_encoded=False, headers=headers)

        answer = invoke(event)

        assert answer.status in {200, 401}, answer.raw_body
        if answer.status == 401:
            _assert_json_error(answer)
            # Nothing unauthenticated is kept: not stored, not quarantined.
            assert event_store.list_events(transid) == []
            assert quarantined(request_id) is None
        else:
            assert len(event_store.list_events(transid)) == 1

    check()
