"""The callback model is as lenient as the vendor asks, and strict about what is not one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

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
