"""Callback bodies the tests build by hand: the platform's JSON shape, one failure of SMS."""

from __future__ import annotations

import json
import uuid


def sms_failure(
    transid: str | None = None,
    *,
    destination: str = "918886661353",
    occurred: str = "2026-12-03T10:00:00.000",
    description: str = "Message expired",
) -> bytes:
    """A delivery notification of a failed SMS (code 7208), as the platform sends it."""
    return json.dumps(
        {
            "deliveryInfoNotification": {
                "deliveryInfo": {
                    "deliveryChannel": "SMS",
                    "deliveryStatus": "Failed",
                    "code": "7208",
                    "timeStamp": occurred,
                    "destination": destination,
                    "destinationType": "msisdn",
                    "Description": description,
                },
                "transid": transid or str(uuid.uuid4()),
                "correlationid": "cli-replay",
                "callbackData": "",
            }
        }
    ).encode()
