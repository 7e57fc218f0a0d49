"""The event identity: retries and re-serialised copies are one event, any other change is not.

Both directions are properties over generated callbacks: the identity is a function of the
body's content (not of its bytes), and it tells apart every field of a callback.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from receipts.models.callback import parse_callback
from receipts.models.identity import TRANSPORT_FIELDS
from receipts.storage.event_store import EventStore

_RECEIVED = datetime(2026, 11, 23, tzinfo=UTC)
_TEXT = st.text(alphabet=string.printable + "éü中😀", max_size=20)
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)

# The fields of deliveryInfo that tell two events of one transaction apart.
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "deliveryChannel": st.sampled_from(["SMS", "sms", "voice", "rt", "push", "fb", "email", "x"]),
    "deliveryStatus": st.sampled_from(["Submitted", "Submited", "Delivered", "Clicked", "Bounce"]),
    "code": st.none() | st.sampled_from(["0", "7501", "7528", "E1", " 7501", "abc"]),
    "Description": st.none() | _TEXT,
    "timeStamp": st.none()
    | st.sampled_from(["2026-11-23 10:00:01", "2026-11-23T10:00:01.250Z", "later", ""]),
    "destination": st.sampled_from(["918886661353", "+918886661353", "a@example.com"]),
    "interaction": st.none() | _JSON,
    "additional_info": st.none() | _JSON,
}


@st.composite
def callbacks(draw: st.DrawFn) -> dict[str, Any]:
    info = {name: draw(strategy) for name, strategy in _FIELDS.items()}
    info = {name: value for name, value in info.items() if value is not None or draw(st.booleans())}
    return {
        "deliveryInfoNotification": {
            "deliveryInfo": info,
            "transid": "tx-1",
            "correlationid": draw(st.sampled_from(["", "campaign-1"])),
        }
    }


def _sort_key(payload: dict[str, Any], **dumps: Any) -> str:
    event = parse_callback(json.dumps(payload, **dumps).encode())
    item = EventStore(client=None, table_name="t").event_item(  # type: ignore[arg-type]
        event, received_at=_RECEIVED, gtrid=None
    )
    return str(item["sk"]["S"])


@settings(max_examples=300)
@given(payload=callbacks(), indent=st.none() | st.integers(0, 4), ascii_only=st.booleans())
def test_a_retry_or_a_re_serialised_copy_is_one_event(
    payload: dict[str, Any], indent: int | None, ascii_only: bool
) -> None:
    original = _sort_key(payload)
    assert _sort_key(payload) == original  # the platform's byte-identical retry
    reordered = json.loads(json.dumps(payload, sort_keys=True))
    assert _sort_key(reordered, indent=indent, ensure_ascii=ascii_only) == original


@settings(max_examples=300)
@given(payload=callbacks(), other=callbacks(), field=st.sampled_from(sorted(_FIELDS)))
def test_events_that_differ_in_any_field_are_distinct(
    payload: dict[str, Any], other: dict[str, Any], field: str
) -> None:
    info = payload["deliveryInfoNotification"]["deliveryInfo"]
    other_info = other["deliveryInfoNotification"]["deliveryInfo"]
    changed = json.loads(json.dumps(payload))
    changed_info = changed["deliveryInfoNotification"]["deliveryInfo"]
    if field in other_info:
        changed_info[field] = other_info[field]
    else:
        changed_info.pop(field, None)
    if changed_info == info:
        return  # the draw changed nothing: nothing to tell apart
    assert _sort_key(changed) != _sort_key(payload)


@given(payload=callbacks(), trace=_TEXT, flow=_JSON)
def test_transport_fields_do_not_make_another_event(
    payload: dict[str, Any], trace: str, flow: Any
) -> None:
    # The same receipt through the outbound webhook and through Data Streams (which adds
    # its trace id and flow context) is one event.
    streamed = json.loads(json.dumps(payload))
    streamed["x-wx-gtrid"] = trace
    streamed["dataIntegration"] = flow
    streamed["deliveryInfoNotification"]["x-wx-gtrid"] = trace
    assert set(TRANSPORT_FIELDS) <= set(streamed)
    assert _sort_key(streamed) == _sort_key(payload)


def test_additional_info_in_either_spelling_and_place_tells_events_apart() -> None:
    base = {"deliveryInfo": {"deliveryStatus": "Delivered"}, "transid": "tx-1"}
    first = {"deliveryInfoNotification": {**base, "additionalInfo": "Mozilla/5.0"}}
    second = {"deliveryInfoNotification": {**base, "additionalInfo": "curl/8.0"}}
    assert _sort_key(first) != _sort_key(second)


def test_a_number_re_serialised_in_another_spelling_is_the_same_event() -> None:
    # JavaScript writes 1.0 as 1; other serialisers write 100 as 1e2 or 100.0.
    spellings = [b"1", b"1.0", b"1e0", b"10E-1"]
    keys = set()
    for spelling in spellings:
        body = (
            b'{"deliveryInfoNotification": {"transid": "tx-1", "deliveryInfo":'
            b' {"deliveryStatus": "Delivered", "additional_info": {"segments": '
            + spelling
            + b"}}}}"
        )
        keys.add(parse_callback(body).identity)
    assert len(keys) == 1
    other = b'{"deliveryInfoNotification": {"transid": "tx-1", "deliveryInfo":'
    other += b' {"deliveryStatus": "Delivered", "additional_info": {"segments": 1.5}}}}'
    assert parse_callback(other).identity not in keys
