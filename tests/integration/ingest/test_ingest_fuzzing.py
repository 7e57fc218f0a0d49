"""Property-based fuzzing of bodies and headers through the real handler and table.

Whatever arrives, the answer is never a 5xx and every refusal is a JSON error with code,
message and field; every body refused as input (400/413) is in the quarantine, byte for byte.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.ingest.ingest_support import (
    CALLBACK_EVENTS,
    Answer,
    http_event,
    hub_signature,
    signed,
    with_body,
)

from ingest.dependencies import IngestDependencies
from receipts.storage import EventStore, keys
from receipts.storage.event_store import quarantined_from_item

FUZZ_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEED_NOTIFICATIONS = [json.loads(http_event(path.stem)["body"]) for path in CALLBACK_EVENTS]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON document (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_notifications(draw: st.DrawFn) -> str:
    """A vendor sample with some fields replaced by arbitrary JSON or removed."""
    document = json.loads(json.dumps(draw(st.sampled_from(SEED_NOTIFICATIONS))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return json.dumps(document, ensure_ascii=draw(st.booleans()))


bodies = st.one_of(
    mutated_notifications(),
    json_values.map(json.dumps),
    st.text(max_size=300),
    st.binary(max_size=300),
    st.sampled_from(SEED_NOTIFICATIONS).map(json.dumps).map(lambda text: text[: len(text) // 2]),
    st.just(""),
)

header_names = st.sampled_from(
    ["x-wx-gtrid", "content-type", "user-agent", "x-forwarded-for", "cookie", "x-api-key"]
) | st.text(min_size=0, max_size=20)
headers = st.dictionaries(header_names, st.text(max_size=200), max_size=6)


def _assert_json_error(answer: Answer) -> None:
    error = answer.error
    assert set(error) == {"code", "message", "field"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] is None or isinstance(error["field"], str)


def _quarantined(dynamodb_client: Any, table: str, received_at: datetime, request_id: str) -> Any:
    item = dynamodb_client.get_item(
        TableName=table,
        Key={
            "pk": {
                "S": keys.quarantine_key(received_at.date().isoformat(), keys.shard_of(request_id))
            },
            "sk": {"S": keys.quarantine_sort_key(received_at, request_id)},
        },
    ).get("Item")
    return quarantined_from_item(item) if item else None


def test_fuzzed_bodies_never_get_a_5xx_and_every_refused_body_is_quarantined(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    dynamodb_client: Any,
    events_table: str,
    received_at: datetime,
) -> None:
    request_numbers = itertools.count()
    seen_statuses: set[int] = set()

    @FUZZ_SETTINGS
    @given(body=bodies, base64_encoded=st.booleans(), extra_headers=headers)
    def check(body: str | bytes, base64_encoded: bool, extra_headers: dict[str, str]) -> None:
        raw = body.encode() if isinstance(body, str) else body
        event = http_event("04-sms-failed")
        event["requestContext"]["requestId"] = request_id = f"fuzz-{next(request_numbers)}"
        event["headers"].update(
            {name: value for name, value in extra_headers.items() if name != "x-hub-signature"}
        )
        # Binary bodies reach a Lambda only base64-encoded.
        with_body(event, raw, base64_encoded=base64_encoded or isinstance(body, bytes))
        signed(event)

        answer = invoke(event, dependencies)

        seen_statuses.add(answer.status)
        assert answer.status in {200, 400, 413}, answer.raw_body
        if answer.status == 200:
            transid = answer.json["transid"]
            assert answer.json["status"] in {"accepted", "duplicate"}
            if answer.json["status"] == "accepted":
                stored = event_store.list_events(transid)
                assert raw in [item.event.raw_body for item in stored]
            assert _quarantined(dynamodb_client, events_table, received_at, request_id) is None
        else:
            _assert_json_error(answer)
            kept = _quarantined(dynamodb_client, events_table, received_at, request_id)
            assert kept is not None
            assert kept.body == raw
            assert kept.error_code == answer.error["code"]
            assert kept.field == answer.error["field"]
            assert "x-hub-signature" not in kept.headers

    check()

    # The strategies reach both sides of the contract, not only refusals.
    assert {200, 400} <= seen_statuses


def test_fuzzed_headers_never_get_a_5xx_and_nothing_unauthenticated_is_kept(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    dynamodb_client: Any,
    events_table: str,
) -> None:
    seed = http_event("04-sms-failed")
    valid_signature = hub_signature(seed["body"])
    signature_values = (
        st.text(max_size=140)
        | st.sampled_from(["sha256=", "sha512=", "sha1=", "=", "sha256==" + "a" * 64])
        | st.builds(lambda prefix, digits: prefix + digits,
                    st.sampled_from(["", "sha256=", "sha512=", "SHA256="]),
                    st.text(alphabet="0123456789abcdefABCDEF", min_size=60, max_size=130))
        | st.just(valid_signature)
    )  # fmt: skip

    @FUZZ_SETTINGS
    @given(extra_headers=headers, signature=st.none() | signature_values)
    def check(extra_headers: dict[str, str], signature: str | None) -> None:
        event = http_event("04-sms-failed")
        event["headers"].update(extra_headers)
        event["headers"].pop("x-hub-signature", None)
        if signature is not None:
            event["headers"]["x-hub-signature"] = signature

        answer = invoke(event, dependencies)

        if signature is not None and signature == valid_signature:
            assert answer.status == 200, answer.raw_body
        else:
            assert answer.status == 401, answer.raw_body
            _assert_json_error(answer)
        items = dynamodb_client.scan(TableName=events_table)["Items"]
        assert all(item["pk"]["S"].startswith("TX#") for item in items)

    check()


def test_fuzzed_http_events_never_get_a_5xx(
    invoke: Callable[..., Answer], make_dependencies: Callable[..., IngestDependencies]
) -> None:
    # The shape of the event itself: missing or odd requestContext, headers, body, flags.
    dependencies = make_dependencies(
        CALLBACK_AUTH_MODE="none", ALLOW_UNAUTHENTICATED_CALLBACKS="true", secrets=()
    )
    events = st.fixed_dictionaries(
        {},
        optional={
            "requestContext": st.fixed_dictionaries(
                {},
                optional={
                    "http": st.fixed_dictionaries(
                        {}, optional={"method": st.sampled_from(["POST", "post", "GET", "PUT"])}
                    )
                    | json_values,
                    "requestId": st.text(max_size=40) | json_values,
                },
            )
            | json_values,
            "headers": headers | json_values,
            "body": st.text(max_size=100) | json_values,
            "isBase64Encoded": st.booleans() | json_values,
        },
    )

    @FUZZ_SETTINGS
    @given(event=events)
    def check(event: dict[str, Any]) -> None:
        answer = invoke(event, dependencies)

        assert answer.status < 500, answer.raw_body
        if answer.status != 200:
            _assert_json_error(answer)

    check()
