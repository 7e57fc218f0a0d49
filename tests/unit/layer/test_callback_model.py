"""The callback model is as lenient as the vendor asks, and strict about what is not one."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus
from receipts.models.callback import parse_callback
from receipts.timestamps import UNKNOWN_INSTANT

CALLBACKS = Path(__file__).resolve().parents[3] / "events" / "callbacks"


def sample(name_fragment: str) -> dict[str, Any]:
    (path,) = [p for p in CALLBACKS.glob("*.json") if name_fragment in p.name]
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def body_with(**info: Any) -> bytes:
    payload = sample("01-sms-submitted")
    payload["deliveryInfoNotification"]["deliveryInfo"].update(info)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-07-20T17:13:17.908", datetime(2016, 7, 20, 17, 13, 17, 908000, tzinfo=UTC)),
        ("2017-08-29T23:00:22.961Z", datetime(2017, 8, 29, 23, 0, 22, 961000, tzinfo=UTC)),
        ("2016-07-22 15:26:34", datetime(2016, 7, 22, 15, 26, 34, tzinfo=UTC)),
        ("2024-03-01T10:00:00.000+01:00", datetime(2024, 3, 1, 9, 0, 0, tzinfo=UTC)),
        ("1469035997908", datetime(2016, 7, 20, 17, 33, 17, 908000, tzinfo=UTC)),
    ],
)
def test_every_timestamp_format_becomes_aware_utc(raw: str, expected: datetime) -> None:
    event = parse_callback(body_with(timeStamp=raw))
    assert event.occurred_at == expected
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.raw_timestamp == raw


def test_unreadable_timestamp_is_kept_and_sorts_first() -> None:
    event = parse_callback(body_with(timeStamp="yesterday-ish"))
    assert event.occurred_at == UNKNOWN_INSTANT
    assert event.raw_timestamp == "yesterday-ish"


@pytest.mark.parametrize("additional", [{"error": {"code": 190}}, [1, "two"], "", "text", None])
def test_additional_info_may_be_object_array_or_string(additional: Any) -> None:
    event = parse_callback(body_with(additional_info=additional, additionalInfo=additional))
    assert event.payload["deliveryInfoNotification"]["deliveryInfo"]["additional_info"] == (
        additional
    )


def test_unknown_fields_are_kept_in_the_untouched_payload() -> None:
    payload = sample("01-sms-submitted")
    payload["brandNewTopLevel"] = {"nested": [1, 2]}
    payload["deliveryInfoNotification"]["deliveryInfo"]["identityKeyHash"] = "abc"
    raw = json.dumps(payload, indent=3).encode()
    event = parse_callback(raw)
    assert event.raw_body == raw
    assert event.payload == payload


def test_code_as_number_is_accepted() -> None:
    event = parse_callback(body_with(code=7500, deliveryStatus="Delivered"))
    assert event.code == 7500
    assert event.raw_code == "7500"


def test_normalised_view_of_the_sms_sample() -> None:
    event = parse_callback(json.dumps(sample("01-sms-submitted")))
    assert event.transid == "262895e4-2217-4eef-92ca-79fd0250c4a3"
    assert event.channel is Channel.SMS
    assert event.status is DeliveryStatus.SUBMITTED
    assert event.code == 7501
    assert event.destination == "918886661353"
    assert event.destination_type == "msisdn"
    assert event.correlationid == "4eef-92ca-79fd0250c4a3-262895e4-2217"
    assert event.callback_data == "return callbackdata"
    assert event.classification is Classification.IN_PROGRESS


def test_sms_message_expired_is_a_permanent_failure() -> None:
    event = parse_callback(json.dumps(sample("sms-un-delivered")))
    assert event.status is DeliveryStatus.UNDELIVERED
    assert event.code == 7208
    assert event.classification is Classification.FAILED_PERMANENT


def test_voice_sample_keeps_delivery_trans_info_and_reads_answered() -> None:
    event = parse_callback(json.dumps(sample("voice")))
    assert event.channel is Channel.VOICE
    assert event.status is DeliveryStatus.ANSWERED
    assert event.classification is Classification.DELIVERED
    assert event.payload["deliveryTransInfo"] == "<voice release event xml data>"


def test_rtm_spellings_and_interaction() -> None:
    read = parse_callback(json.dumps(sample("appmessaging")))
    assert read.channel is Channel.RTM
    assert read.payload["deliveryInfoNotification"]["deliveryInfo"]["interaction"] == {
        "Button_Pressed": "SUBSCRIBE",
        "MessageRef": "123252445",
    }
    submitted = parse_callback(json.dumps(sample("rt-submited")))
    assert submitted.status is DeliveryStatus.SUBMITTED


def test_suffixed_transid_is_its_own_delivery() -> None:
    event = parse_callback(json.dumps(sample("push-android_pushid-submitted")))
    assert event.transid.endswith("_5854_13218_1")


def test_email_subtid_and_destination_type_email() -> None:
    event = parse_callback(json.dumps(sample("email-failed")))
    assert event.subtid == "f06b174e-8830-475f-898f-dd9e893cc147"
    assert event.destination_type == "email"
    assert event.code == 7241
    assert event.is_failure


def test_unknown_channel_status_and_code_are_kept_and_classified_unknown() -> None:
    event = parse_callback(
        body_with(deliveryChannel="carrier-pigeon", deliveryStatus="Teleported", code="9999")
    )
    assert event.channel is Channel.UNKNOWN
    assert event.raw_channel == "carrier-pigeon"
    assert event.status is DeliveryStatus.UNKNOWN
    assert event.raw_status == "Teleported"
    assert event.code == 9999
    assert event.classification is Classification.UNKNOWN


def test_missing_status_falls_back_on_the_code() -> None:
    payload = sample("02-sms-delivered")
    del payload["deliveryInfoNotification"]["deliveryInfo"]["deliveryStatus"]
    event = parse_callback(json.dumps(payload))
    assert event.status is DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b"not json", None, "invalid_json"),
        (b"", None, "invalid_json"),
        (b"[1, 2]", None, "invalid_shape"),
        (b'"text"', None, "invalid_shape"),
        (b"{}", "deliveryInfoNotification", "missing_field"),
        (b'{"deliveryInfoNotification": {}}', "deliveryInfoNotification.deliveryInfo", None),
        (
            b'{"deliveryInfoNotification": {"deliveryInfo": {}}}',
            "deliveryInfoNotification.transid",
            "missing_field",
        ),
        (
            b'{"deliveryInfoNotification": {"deliveryInfo": {}, "transid": "  "}}',
            "deliveryInfoNotification.transid",
            "missing_field",
        ),
        (
            b'{"deliveryInfoNotification": {"deliveryInfo": "x", "transid": "t"}}',
            "deliveryInfoNotification.deliveryInfo",
            "invalid_shape",
        ),
    ],
)
def test_a_body_that_is_not_a_notification_names_the_offending_field(
    body: bytes, field: str | None, code: str | None
) -> None:
    with pytest.raises(NotificationValidationError) as raised:
        parse_callback(body)
    assert raised.value.field == field
    if code is not None:
        assert raised.value.code == code
    assert raised.value.message


def test_offset_timestamps_convert_to_utc() -> None:
    event = parse_callback(body_with(timeStamp="2016-07-20T17:13:17.908-05:00"))
    assert event.occurred_at == datetime(
        2016, 7, 20, 17, 13, 17, 908000, tzinfo=timezone(timedelta(hours=-5))
    )
    assert event.occurred_at.tzinfo is UTC


def _nested(depth: int) -> bytes:
    """A callback whose deepest value sits ``depth`` arrays and objects down."""
    inner = "[" * (depth - 3) + "]" * (depth - 3)
    return (
        '{"deliveryInfoNotification": {"deliveryInfo": {"additional_info": '
        + inner
        + '}, "transid": "t"}}'
    ).encode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # A lone surrogate half parses in Python but cannot be encoded for DynamoDB.
        (body_with(destination="@").replace(b"@", b"\\ud800"), "invalid_json"),
        (body_with(destination="@").replace(b"@", b"\\uDC00"), "invalid_json"),
        # json.loads would guess UTF-16 from the bytes; the webhook reads UTF-8 only.
        (body_with().decode().encode("utf-16"), "invalid_json"),
        (b"\xef\xbb\xbf" + body_with(), "invalid_json"),
        (_nested(202), "invalid_json"),
        (b"[" * 100_000, "invalid_json"),
    ],
)
def test_what_python_would_read_but_no_notification_holds_is_refused(
    body: bytes, code: str
) -> None:
    with pytest.raises(NotificationValidationError) as raised:
        parse_callback(body)
    assert raised.value.code == code


def test_a_surrogate_pair_and_the_deepest_accepted_body_are_read() -> None:
    paired = parse_callback(body_with(destination="@").replace(b"@", b"\\ud83d\\ude00"))
    assert paired.destination == "\U0001f600"
    assert parse_callback(_nested(201)).transid == "t"


@pytest.mark.parametrize(
    ("code", "raw_code"),
    [(7501, "7501"), (7501.0, "7501"), (1e-7, "0.0000001"), (0.5, "0.5"), (10**20, str(10**20))],
)
def test_a_numeric_code_is_kept_in_one_positional_spelling(code: Any, raw_code: str) -> None:
    assert parse_callback(body_with(code=code)).raw_code == raw_code


@pytest.mark.parametrize("value", [True, [], {}, ["7501"]])
def test_text_fields_refuse_booleans_arrays_and_objects_naming_the_spelling_used(
    value: Any,
) -> None:
    with pytest.raises(NotificationValidationError) as raised:
        parse_callback(body_with(pushid=value))
    assert raised.value.field == "deliveryInfoNotification.deliveryInfo.pushid"
    assert raised.value.code == "invalid_shape"


def test_the_first_spelling_present_wins_even_when_null() -> None:
    event = parse_callback(body_with(deliveryChannel=None, channel="sms"))
    assert event.raw_channel == ""


_SPELLINGS = [
    "deliveryInfoNotification", "deliveryInfo", "transid", "transId", "correlationid",
    "deliveryChannel", "channel", "deliveryStatus", "status", "code", "timeStamp",
    "destination", "pushId", "deviceid", "additional_info", "deliveryTransInfo", "subtid",
]  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_SPELLINGS) | st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(payload=_JSON)
def test_any_json_is_an_event_or_a_refusal_never_another_error(payload: Any) -> None:
    body = json.dumps(payload).encode()
    refusal: NotificationValidationError | None = None
    try:
        event = parse_callback(body)
    except NotificationValidationError as refused:
        refusal = refused
    if refusal is not None:
        assert refusal.code in {"invalid_json", "invalid_shape", "missing_field"}
    else:
        assert event.transid and event.transid == event.transid.strip()
        assert event.raw_body == body


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64))
def test_any_bytes_are_an_event_or_a_refusal_never_another_error(body: bytes) -> None:
    with contextlib.suppress(NotificationValidationError):
        parse_callback(body)
