"""The send API refuses what the platform refuses, with the platform's codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.campaign import CHANNELS, send_request
from simulator.send_api import VendorError, authenticate, parse_send_request, queued_entry


def _body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_campaign_requests_are_valid_for_every_channel(channel: str) -> None:
    request = parse_send_request(_body(send_request(channel, 3, correlationid="c")))

    assert request.profile.name == channel
    assert len(request.recipients) == 3
    assert {recipient.correlationid for recipient in request.recipients} == {"c"}


def test_a_destinations_correlationid_overrides_the_requests() -> None:
    payload = send_request("sms", 1, correlationid="campaign")
    payload["destination"].append({"msisdn": ["919000000001"], "correlationid": "own"})

    request = parse_send_request(_body(payload))

    assert [r.correlationid for r in request.recipients] == ["campaign", "own"]


def test_a_single_value_is_accepted_as_well_as_a_list() -> None:
    payload = send_request("email")
    payload["destination"] = [{"email": "one@example.com"}]

    request = parse_send_request(_body(payload))

    assert [r.value for r in request.recipients] == ["one@example.com"]


@pytest.mark.parametrize(
    ("payload", "code", "description"),
    [
        (b"{not json", "7000", "Invalid JSON"),
        ([1, 2], "7000", "Invalid JSON"),
        ({"destination": [{"msisdn": ["1"]}]}, "7003", "param 'deliverychannel' missing"),
        ({**send_request("sms"), "deliverychannel": "fax"}, "7004", "invalid delivery channel"),
        ({**send_request("sms"), "deliverychannel": " "}, "7003", "No destination channel"),
        ({**send_request("sms"), "channels": {}}, "7003", "param 'sms' missing for channel sms"),
        (
            {**send_request("sms"), "channels": {"sms": {"type": "1"}}},
            "7003",
            "param 'text' missing for channel sms",
        ),
        (
            {**send_request("fb"), "channels": {}},
            "7003",
            "param 'OTT-Messaging' missing for channel fb",
        ),
        (
            {**send_request("fb"), "channels": {"OTT-Messaging": {}}},
            "7003",
            "param 'fb' missing for channel fb",
        ),
        (
            {**send_request("voice"), "channels": {"voice": {"cli": "1"}}},
            "7003",
            "either param 'callflowid' or param 'media' is required",
        ),
        ({**send_request("sms"), "destination": []}, "7003", "any one of [customerid,msisdn"),
        ({**send_request("sms"), "destination": [{"email": ["a@b.c"]}]}, "7003", "any one of"),
        ({**send_request("sms"), "correlationid": "x" * 51}, "7004", "max 50 bytes"),
        (send_request("sms", 1001), "7009", "Maximum number of destination address"),
    ],
)
def test_refusals_carry_the_vendors_code(payload: Any, code: str, description: str) -> None:
    body = payload if isinstance(payload, bytes) else _body(payload)

    with pytest.raises(VendorError) as refused:
        parse_send_request(body)

    assert refused.value.code == code
    assert description in refused.value.description
    assert refused.value.http_status == 400
    assert refused.value.body() == {
        "response": [{"code": code, "description": refused.value.description}]
    }


def test_a_thousand_destinations_is_the_limit_not_over_it() -> None:
    request = parse_send_request(_body(send_request("sms", 1000)))

    assert len(request.recipients) == 1000


@pytest.mark.parametrize(("key", "code"), [(None, "7002"), ("", "7002"), ("wrong", "7001")])
def test_the_service_key_is_required_and_checked(key: str | None, code: str) -> None:
    with pytest.raises(VendorError) as refused:
        authenticate(key, {"right": "local"})

    assert refused.value.code == code
    assert refused.value.http_status == 401


def test_a_known_key_names_its_service() -> None:
    assert authenticate("right", {"right": "local", "other": "second"}) == "local"


def test_a_queued_entry_echoes_the_correlationid_when_there_is_one() -> None:
    assert queued_entry("t-1", "") == {"code": "1001", "transid": "t-1", "description": "Queued"}
    assert queued_entry("t-1", "c")["correlationid"] == "c"
