from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from receipts.channels import Channel
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus
from receipts.models.status_api import parse_status_response
from receipts.timestamps import format_rfc1123, parse_status_api_date

STATUS_API = Path(__file__).resolve().parents[3] / "events" / "status_api"


def test_rfc1123_dates_become_aware_utc_and_round_trip() -> None:
    parsed = parse_status_api_date("Mon, 16 Aug 2010 03:45:01 UTC")
    assert parsed == datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)
    assert format_rfc1123(parsed) == "Mon, 16 Aug 2010 03:45:01 UTC"


def test_channel_specific_fields_are_read() -> None:
    (voice,) = parse_status_response((STATUS_API / "02-voice.json").read_bytes())
    assert voice.callflowid == "917"
    assert voice.canonical_channel is Channel.VOICE
    (rtm,) = parse_status_response((STATUS_API / "04-rtm.json").read_bytes())
    assert rtm.message == "message"
    assert rtm.appid == "a_123455667"
    assert rtm.canonical_channel is Channel.RTM
    (sms,) = parse_status_response((STATUS_API / "01-sms.json").read_bytes())
    assert sms.body == "request JSON"
    assert sms.from_ == "VM-CONNECT"
    assert sms.canonical_status is DeliveryStatus.SUBMITTED
    assert sms.error_code is None


def test_vendor_shape_round_trips_with_vendor_dates() -> None:
    original = json.loads((STATUS_API / "01-sms.json").read_text(encoding="utf-8"))
    (transaction,) = parse_status_response(original)
    assert transaction.to_vendor_json() == original[0]


def test_unknown_fields_are_kept() -> None:
    (transaction,) = parse_status_response(
        [{"transactionid": "t", "futureField": {"a": 1}, "date_created": None}]
    )
    assert transaction.to_vendor_json()["futureField"] == {"a": 1}


@pytest.mark.parametrize("body", [b"{}", b"[{}]", b"nope", b'[{"transactionid": null}]'])
def test_a_non_transaction_list_is_refused(body: bytes) -> None:
    with pytest.raises(NotificationValidationError):
        parse_status_response(body)
