"""The messaging (send) API's request, validated the way the platform answers it.

``POST /resources/v1/messaging`` with the service key in the ``key`` header::

    {"deliverychannel": "sms",
     "channels": {"sms": {"text": "Hello"}},
     "destination": [{"msisdn": ["919999999999"], "correlationid": "order-42"}],
     "correlationid": "campaign-7", "callbackData": "anything", "notifyurl": "https://..."}

A destination object carries one key (``msisdn``, ``customerid``, ``email``, ``pushid``,
``psid``, ``twitterid``, ``wechatid`` ...) with a list of values (or a single value); its
``correlationid`` overrides the request's. The answer has one entry per destination value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.channels import ChannelProfile, profile_for

DESTINATION_KEYS = (
    "msisdn",
    "customerid",
    "email",
    "userid",
    "pushid",
    "psid",
    "fbid",
    "twitterid",
    "wechatid",
)
_MANDATORY_DESTINATION = (
    "any one of [customerid,msisdn,email, userid,pushid,psid, twitterid, wechatid] is mandatory"
)
MAX_CORRELATION_BYTES = 50


class VendorError(Exception):
    """A request the platform refuses, with its return code."""

    def __init__(self, code: str, description: str, http_status: int) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.http_status = http_status

    def body(self) -> dict[str, Any]:
        return {"response": [{"code": self.code, "description": self.description}]}


def authentication_failed() -> VendorError:
    return VendorError("7001", "Authentication failed", 401)


def key_missing() -> VendorError:
    return VendorError("7002", "Service Key Missing", 401)


def _invalid(code: str, description: str) -> VendorError:
    return VendorError(code, description, 400)


@dataclass(frozen=True)
class Recipient:
    key: str  # the destination key it came under (msisdn, customerid, pushid ...)
    value: str
    correlationid: str


@dataclass(frozen=True)
class SendRequest:
    profile: ChannelProfile
    recipients: tuple[Recipient, ...]
    callback_data: str
    notify_url: str | None
    content: Mapping[str, Any]


def authenticate(key: str | None, service_keys: Mapping[str, str]) -> str:
    """The service the key belongs to."""
    if not key:
        raise key_missing()
    service = service_keys.get(key)
    if service is None:
        raise authentication_failed()
    return service


def _content(request: Mapping[str, Any], profile: ChannelProfile) -> Mapping[str, Any]:
    node: Any = request.get("channels")
    if not isinstance(node, dict):
        node = {}
    for index, part in enumerate(profile.content.path):
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            if index == 0 and len(profile.content.path) > 1:
                raise _invalid("7003", f"param '{part}' missing for channel {profile.name}")
            raise _invalid("7003", profile.content.missing_message)
    rule = profile.content
    if rule.text_fields and not any(node.get(name) for name in rule.text_fields):
        raise _invalid("7003", rule.missing_text_message)
    content: Mapping[str, Any] = node
    return content


def _recipients(
    destinations: Any, profile: ChannelProfile, default_correlation: str
) -> list[Recipient]:
    if not isinstance(destinations, list) or not destinations:
        raise _invalid("7003", _MANDATORY_DESTINATION)
    recipients: list[Recipient] = []
    for destination in destinations:
        if not isinstance(destination, dict):
            raise _invalid("7003", _MANDATORY_DESTINATION)
        keys = [key for key in profile.destination_keys if destination.get(key)]
        if not keys:
            raise _invalid("7003", _MANDATORY_DESTINATION)
        correlationid = str(destination.get("correlationid") or default_correlation)
        if len(correlationid.encode()) > MAX_CORRELATION_BYTES:
            raise _invalid("7004", "invalid value for param 'correlationid', max 50 bytes")
        for key in keys:
            values = destination[key]
            for value in values if isinstance(values, list) else [values]:
                if str(value).strip():
                    recipients.append(Recipient(key, str(value).strip(), correlationid))
    if not recipients:
        raise _invalid("7003", _MANDATORY_DESTINATION)
    return recipients


def parse_send_request(body: bytes, *, max_destinations: int = 1000) -> SendRequest:
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("7000", "Invalid JSON") from None
    if not isinstance(request, dict):
        raise _invalid("7000", "Invalid JSON")
    channel = request.get("deliverychannel")
    if channel is None:
        raise _invalid("7003", "param 'deliverychannel' missing")
    if not str(channel).strip():
        raise _invalid("7003", "No destination channel information found in request")
    profile = profile_for(str(channel))
    if profile is None:
        raise _invalid("7004", "invalid delivery channel")
    content = _content(request, profile)
    default_correlation = str(request.get("correlationid") or "")
    if len(default_correlation.encode()) > MAX_CORRELATION_BYTES:
        raise _invalid("7004", "invalid value for param 'correlationid', max 50 bytes")
    recipients = _recipients(request.get("destination"), profile, default_correlation)
    if len(recipients) > max_destinations:
        raise _invalid("7009", "Maximum number of destination address")
    notify_url = request.get("notifyurl")
    return SendRequest(
        profile=profile,
        recipients=tuple(recipients),
        callback_data=str(request.get("callbackData") or ""),
        notify_url=str(notify_url) if notify_url else None,
        content=content,
    )


def queued_entry(transid: str, correlationid: str) -> dict[str, str]:
    entry = {"code": "1001", "transid": transid, "description": "Queued"}
    if correlationid:
        entry["correlationid"] = correlationid
    return entry
