"""Well-formed send requests for every channel, with made-up destinations.

Used by ``make demo`` and the tests to drive the simulator the way a customer's code
drives the real send API.
"""

from __future__ import annotations

from typing import Any

CHANNELS = ("sms", "voice", "rt", "push", "fb", "twitter", "wechat", "email")

_CONTENT: dict[str, dict[str, Any]] = {
    "sms": {"sms": {"type": "1", "text": "Your parcel is out for delivery"}},
    "voice": {"voice": {"callflowid": "917"}},
    "rt": {"rt": {"text": "Your parcel is out for delivery"}},
    "push": {
        "push": {
            "android": {"text": "Your parcel is out for delivery"},
            "ios": {"text": "Your parcel is out for delivery"},
        }
    },
    "fb": {"OTT-Messaging": {"fb": {"text": "Your parcel is out for delivery"}}},
    "twitter": {"OTT-Messaging": {"twitter": {"text": "Your parcel is out for delivery"}}},
    "wechat": {"OTT-Messaging": {"wechat": {"text": "Your parcel is out for delivery"}}},
    "email": {"email": {"subject": "Your parcel", "body": "It is out for delivery."}},
}

_DESTINATION_KEY = {
    "sms": "msisdn",
    "voice": "msisdn",
    "rt": "customerid",
    "push": "customerid",
    "fb": "psid",
    "twitter": "twitterid",
    "wechat": "wechatid",
    "email": "email",
}


def destination_value(channel: str, index: int) -> str:
    """A made-up destination of the channel's kind (never a real subscriber)."""
    if channel in ("sms", "voice"):
        return f"9199990{index:05d}"
    if channel in ("rt", "push"):
        return f"customer-{index:04d}"
    if channel == "fb":
        return f"13680284565{index:05d}"
    if channel == "twitter":
        return f"75565292608{index:07d}"
    if channel == "wechat":
        return f"o8E7mwaZqY3Q9eaxeftj{index:08d}"
    return f"user{index:04d}@example.com"


def send_request(
    channel: str,
    count: int = 1,
    *,
    first_index: int = 0,
    correlationid: str = "",
    callback_data: str = "",
    notify_url: str | None = None,
) -> dict[str, Any]:
    """A send request for ``count`` destinations of ``channel``."""
    request: dict[str, Any] = {
        "deliverychannel": channel,
        "channels": _CONTENT[channel],
        "destination": [
            {
                _DESTINATION_KEY[channel]: [
                    destination_value(channel, index)
                    for index in range(first_index, first_index + count)
                ]
            }
        ],
    }
    if correlationid:
        request["correlationid"] = correlationid
    if callback_data:
        request["callbackData"] = callback_data
    if notify_url:
        request["notifyurl"] = notify_url
    return request
