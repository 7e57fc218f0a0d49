"""The webhook fuzzed over real HTTP, on the local stack: bytes on the wire, not events.

Bodies that are not UTF-8 reach the function base64-encoded (as HTTP API does it), header
names arrive in whatever case the sender wrote them, and sizes go past the limit. The
contract holds end to end: never a 5xx, every refusal a JSON error, every authenticated
body refused as input kept in the quarantine of the embedded table, byte for byte.
"""

from __future__ import annotations

import http.client
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from benchmarks.load_run import hub_signature
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from local_stack.client import StackClient
from receipts.storage import EventStore

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

MAX_CALLBACK_BYTES = 65536  # the template's default, which the stack uses
SEED = json.loads(
    '{"deliveryInfoNotification":{"deliveryInfo":{"deliveryChannel":"SMS","Description":'
    '"Delivered","destinationType":"msisdn","timeStamp":"2016-07-20T17:13:20.908","code":'
    '"7500","deliveryStatus":"Delivered","destination":"918886661353"},"correlationid":"",'
    '"callbackData":"","transid":"x"}}'
)


@pytest.fixture(scope="module")
def event_store(client: StackClient) -> EventStore:
    placeholder = "testing"  # the embedded AWS takes any credentials
    dynamodb = boto3.session.Session(
        aws_access_key_id=placeholder,
        aws_secret_access_key=placeholder,
        region_name=client.state.region,
    ).client("dynamodb", endpoint_url=client.state.aws_endpoint_url)
    return EventStore(dynamodb, client.state.resources["EventsTable"])


def _post(
    stack: StackClient, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(stack.state.webhook_url)
    assert parts.hostname == "127.0.0.1"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _copies_kept(event_store: EventStore, day: str, body: bytes) -> int:
    """How many times this body is in the quarantine (its first 300 KB, as kept)."""
    return sum(1 for item in event_store.list_quarantine(day) if item.body == body[:300_000])


def _in_some_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(name, upper, strict=True))
    )


def _example(*, callback_data: str) -> bytes:
    document: dict[str, Any] = json.loads(json.dumps(SEED))
    document["deliveryInfoNotification"]["transid"] = str(uuid.uuid4())
    document["deliveryInfoNotification"]["callbackData"] = callback_data
    return json.dumps(document, ensure_ascii=False).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Each body unique (a fresh transid or marker), so its quarantined copy can be found."""
    marker = str(uuid.uuid4())
    document: dict[str, Any] = json.loads(json.dumps(SEED))
    document["deliveryInfoNotification"]["transid"] = marker
    kind = draw(st.sampled_from(["valid", "latin-1", "utf-16", "binary", "truncated", "huge"]))
    if kind == "valid":
        document["deliveryInfoNotification"]["callbackData"] = draw(st.text(max_size=30))
        return json.dumps(document, ensure_ascii=draw(st.booleans())).encode()
    if kind == "latin-1":
        document["deliveryInfoNotification"]["callbackData"] = "café crème"
        return json.dumps(document, ensure_ascii=False).encode("latin-1")
    if kind == "utf-16":
        return json.dumps(document).encode("utf-16")
    if kind == "binary":
        return marker.encode() + draw(st.binary(min_size=1, max_size=2000))
    if kind == "truncated":
        text = json.dumps(document).encode()
        return text[: draw(st.integers(min_value=1, max_value=len(text) - 1))]
    size = draw(st.sampled_from([MAX_CALLBACK_BYTES + 1, 200_000, 400_000]))
    document["deliveryInfoNotification"]["callbackData"] = "x" * size
    return json.dumps(document).encode()


def test_bytes_on_the_wire_never_get_a_5xx_and_refused_bodies_are_kept(
    client: StackClient, event_store: EventStore
) -> None:
    statuses: set[int] = set()

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    # Each side of the contract at least once, whatever the draw.
    @example(body=_example(callback_data="ok"), header_name="X-Hub-Signature", signed=True)
    @example(
        body=_example(callback_data="café").replace(b"\xc3\xa9", b"\xe9"),
        header_name="x-hub-signature",
        signed=True,
    )
    @example(
        body=_example(callback_data="x" * MAX_CALLBACK_BYTES),
        header_name="X-HUB-SIGNATURE",
        signed=True,
    )
    @example(body=_example(callback_data="unsigned"), header_name="x-hub-signature", signed=False)
    @given(body=bodies(), header_name=_in_some_case("x-hub-signature"), signed=st.booleans())
    def check(body: bytes, header_name: str, signed: bool) -> None:
        signature = hub_signature(body, client.state.callback_secret) if signed else "0" * 64
        headers = {"Content-Type": "application/json", header_name: signature}
        day = datetime.now(UTC).date().isoformat()
        kept_before = _copies_kept(event_store, day, body)

        status, answer_headers, answer = _post(client, body, headers)

        statuses.add(status)
        assert status < 500, answer
        assert answer_headers.get("content-type", "").startswith("application/json")
        if status == 200:
            assert json.loads(answer)["status"] in {"accepted", "duplicate"}
            return
        error = json.loads(answer)["error"]
        assert error["code"] and error["message"]
        kept_after = _copies_kept(event_store, day, body)
        if not signed:
            assert status == 401
            assert kept_after == kept_before  # nothing unauthenticated is kept
        else:
            assert status in {400, 413}
            assert kept_after == kept_before + 1

    check()
    assert {200, 400, 401, 413} <= statuses
