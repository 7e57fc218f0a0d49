"""Events the reconcile sweep writes: the status API's answer, and the horizon's closure.

They are stored exactly like callbacks (same store, identity and lifecycle), so the stream,
the alerts pipe and every reader treat them alike. Their body is therefore a notification
in the callback's own shape, built from what the sweep learned, with what it learned from
kept verbatim beside it (``statusApi``: the vendor's transaction object; ``horizon``: why
it was closed). The identity digests that body, so asking twice and hearing the same
answer stores one event, while a later, different answer is another event. A real callback
never carries ``statusApi`` or ``horizon``, so none shares an identity with these.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from receipts.lifecycle import EventOrigin
from receipts.models.callback import DeliveryEvent, parse_callback
from receipts.timestamps import isoformat_millis, parse_status_api_date

# The status every horizon closure reports: the fate is not known, and never will be.
HORIZON_STATUS = "unknown"
HORIZON_DESCRIPTION = "no final receipt"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _notification(
    transid: str, info: dict[str, str | None], correlationid: str, extra: dict[str, Any]
) -> bytes:
    notification: dict[str, Any] = {
        "deliveryInfo": {name: value for name, value in info.items() if value is not None},
        "transid": transid,
    }
    if correlationid:
        notification["correlationid"] = correlationid
    body = {"deliveryInfoNotification": notification, **extra}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def status_api_event(
    transid: str,
    transaction: dict[str, Any],
    *,
    destination: str = "",
    correlationid: str = "",
) -> DeliveryEvent:
    """The status API's transaction object as an event of ``transid``.

    ``transaction`` is one object of the answer, as the vendor wrote it. Its ``to`` names
    the destination (else ``destination``, what the stored callbacks said); the correlation
    id comes from the stored callbacks, since the status API does not know it.
    """
    updated = parse_status_api_date(_text(transaction.get("last_updated")))
    info = {
        "deliveryChannel": _text(transaction.get("channel")),
        "deliveryStatus": _text(transaction.get("status")) or "",
        "code": _text(transaction.get("error_code")),
        "description": _text(transaction.get("error_message")),
        "timeStamp": isoformat_millis(updated) if updated else None,
        "destination": _text(transaction.get("to")) or destination or None,
    }
    body = _notification(transid, info, correlationid, {"statusApi": transaction})
    return replace(parse_callback(body), origin=EventOrigin.STATUS_API)


def horizon_event(
    transid: str,
    *,
    closed_at: datetime,
    horizon_hours: float,
    reason: str,
    channel: str = "",
    destination: str = "",
    correlationid: str = "",
) -> DeliveryEvent:
    """The closure of a transaction still open at the horizon: final, status ``unknown``."""
    info = {
        "deliveryChannel": channel or None,
        "deliveryStatus": HORIZON_STATUS,
        "description": HORIZON_DESCRIPTION,
        "timeStamp": isoformat_millis(closed_at),
        "destination": destination or None,
    }
    extra = {"horizon": {"hours": horizon_hours, "reason": reason}}
    body = _notification(transid, info, correlationid, extra)
    return replace(parse_callback(body), origin=EventOrigin.HORIZON)
