"""Delivery and read notifications: the vendor's callback as sent, and the normalised event.

The vendor tells receivers to be lenient: fields come and go per channel, spellings drift,
``code`` is a string and ``additional_info`` may be an object, an array or a string. The
reader accepts all of that: each field under any of its spellings (the first present
wins), numbers where text is expected, unknown fields kept in the untouched body. Only a
body that is not a notification at all (not JSON, no ``deliveryInfoNotification``, no
``transid``, a field holding an object, an array or a boolean where text belongs) is refused.

Read by hand rather than by a pydantic model: this runs on the webhook's cold start, where
importing pydantic and building the models cost about 100 ms (``make bench``), two thirds of
what the function added over boto3. The status API's answer, read by the lookup, stays a
pydantic model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from receipts.channels import Channel, canonical_channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import classify, resolve_code
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus, EventOrigin, canonical_status
from receipts.models.identity import event_identity
from receipts.timestamps import UNKNOWN_INSTANT, parse_callback_timestamp

# Each field's spellings, the one the documents use first: it names the field in errors.
_NOTIFICATION = ("deliveryInfoNotification", "deliveryinfonotification", "notification")
_DELIVERY_TRANS_INFO = ("deliveryTransInfo", "deliverytransinfo", "delivery_trans_info")
_DELIVERY_INFO = ("deliveryInfo", "deliveryinfo", "delivery_info")
_TRANSID = ("transid", "transId")
_CORRELATIONID = ("correlationid", "correlationId")
_CALLBACK_DATA = ("callbackData", "callbackdata", "callback_data")
_SUBTID = ("subtid",)
_CHANNEL = ("deliveryChannel", "deliverychannel", "channel", "delivery_channel")
_STATUS = ("deliveryStatus", "deliverystatus", "status", "delivery_status")
_DESCRIPTION = ("Description", "description")
_CODE = ("code",)
_TIMESTAMP = ("timeStamp", "timestamp", "TimeStamp", "time_stamp")
_DESTINATION = ("destination",)
_DESTINATION_TYPE = ("destinationType", "destinationtype", "destination_type")
# Not part of the event, but a body where they hold an object is not a notification.
_CHECKED_ONLY = (
    ("pushId", "pushid", "push_id"),
    ("deviceid", "deviceId", "device_id"),
)

# DynamoDB keys are built from the transid, so its length is bounded well under the key limit.
_TRANSID_MAX_LENGTH = 256
# Deeper bodies are refused before anything walks them. The same bound as pydantic's JSON
# parser, which read bodies before, so no body stored or refused before changes its fate.
_MAX_NESTING = 201
# A surrogate half written as an escape: fine in a pair, unencodable alone.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, kw_only=True)
class DeliveryEvent:
    """One callback, normalised. ``raw_body`` is the payload exactly as it arrived."""

    transid: str
    channel: Channel
    raw_channel: str
    status: DeliveryStatus
    raw_status: str
    occurred_at: datetime
    raw_timestamp: str
    code: int | None
    raw_code: str
    description: str
    classification: Classification
    destination: str
    destination_type: str
    correlationid: str
    callback_data: str
    subtid: str | None = None
    raw_body: bytes = field(repr=False)
    # Not read from the body: the store keeps it beside the event (``origin`` attribute).
    origin: EventOrigin = EventOrigin.CALLBACK

    @property
    def payload(self) -> Any:
        """The original payload, parsed fresh each time so nobody can alter the stored one."""
        return json.loads(self.raw_body)

    @cached_property
    def identity(self) -> str:
        """What tells this event from every other (receipts.models.identity).

        The stored event's sort key ends with it, so a retry is stored once and distinct
        events never merge. Computed when first asked for (by the store, on a write), not
        for every event read back.
        """
        return event_identity(self.raw_body)

    @property
    def is_failure(self) -> bool:
        return self.classification.is_failure


def _invalid(path: str, problem: str) -> NotificationValidationError:
    return NotificationValidationError(
        f"field '{path}' is invalid: {problem}", field=path, code="invalid_shape"
    )


def _missing(path: str) -> NotificationValidationError:
    return NotificationValidationError(
        f"required field '{path}' is missing", field=path, code="missing_field"
    )


def _not_json() -> NotificationValidationError:
    return NotificationValidationError("body is not valid JSON", code="invalid_json")


def _spelled(container: dict[str, Any], spellings: tuple[str, ...]) -> str | None:
    """The first of a field's spellings the body uses, present even if null."""
    for spelling in spellings:
        if spelling in container:
            return spelling
    return None


def _object(
    container: dict[str, Any], spellings: tuple[str, ...], parent: str
) -> tuple[dict[str, Any], str]:
    """The object and the prefix that names its fields in errors, as the body spelled it."""
    spelling = _spelled(container, spellings)
    if spelling is None:
        raise _missing(parent + spellings[0])
    value = container[spelling]
    if not isinstance(value, dict):
        raise _invalid(parent + spelling, "expected an object")
    return value, f"{parent}{spelling}."


def _number_text(number: int | float) -> str:
    """A number where text belongs, written as the earlier model wrote it (``1.0`` is ``1``)."""
    if isinstance(number, int):
        return str(number)
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "inf" if number > 0 else "-inf"
    # Positional, never exponent notation, shortest digits that read back as this float.
    from decimal import Decimal  # only a number-valued text field pays for the import

    return format(Decimal(repr(number)).normalize(), "f")


def _text(
    container: dict[str, Any], spellings: tuple[str, ...], parent: str, *, required: bool = False
) -> str | None:
    spelling = _spelled(container, spellings)
    if spelling is None:
        if required:
            raise _missing(parent + spellings[0])
        return None
    value = container[spelling]
    if isinstance(value, str):
        return value
    if value is None and not required:
        return None
    # bool is an int to Python, never a number in the vendor's documents.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_text(value)
    raise _invalid(parent + spelling, "expected text or a number")


def _nesting(payload: Any) -> int:
    """How deep the body's arrays and objects go, without recursion."""
    deepest, pending = 0, [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _json_body(raw_body: bytes) -> Any:
    try:
        # Decoded first: json.loads would otherwise guess UTF-16 or UTF-32 from the bytes.
        payload = json.loads(raw_body.decode())
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _not_json() from None
    # Both are cheap tests that almost every body passes at once: a deep body is refused
    # before anything walks it, and a lone surrogate escape would fail later, when a field
    # holding it is encoded for DynamoDB.
    deep = raw_body.count(b"[") + raw_body.count(b"{") > _MAX_NESTING
    if deep and isinstance(payload, (dict, list)) and _nesting(payload) > _MAX_NESTING:
        raise _not_json()
    if _SURROGATE_ESCAPE.search(raw_body):
        try:
            json.dumps(payload, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise _not_json() from None
    return payload


def _integer_code(raw: str | None) -> int | None:
    if raw is None:
        return None
    stripped = raw.strip()
    # isdecimal, not isdigit: "²" is a digit that int() refuses. A code is a few digits, so a
    # longer number is kept only as raw_code (DynamoDB numbers hold 38 digits at most).
    return int(stripped) if stripped.isdecimal() and len(stripped) <= 18 else None


def _status_from_code(channel: Channel, code: int | None) -> DeliveryStatus:
    """For an unrecognised status spelling, what the code alone implies."""
    by_classification = {
        Classification.IN_PROGRESS: DeliveryStatus.SUBMITTED,
        Classification.DELIVERED: DeliveryStatus.DELIVERED,
        Classification.READ: DeliveryStatus.READ,
    }
    entry = resolve_code(code, channel, None)
    if entry.classification.is_failure:
        return DeliveryStatus.FAILED
    return by_classification.get(entry.classification, DeliveryStatus.UNKNOWN)


def parse_callback(body: bytes | str) -> DeliveryEvent:
    """Parse and normalise one callback body.

    Raises :class:`NotificationValidationError` for a body that is not a notification, naming
    the first offending field in the order the body's fields are documented; anything merely
    unfamiliar (channel, status, code, timestamp) is kept and classified.
    """
    # surrogatepass: a str holding a lone surrogate becomes bytes that are refused as not JSON.
    raw_body = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    payload = _json_body(raw_body)
    if not isinstance(payload, dict):
        raise NotificationValidationError("body is not a JSON object", code="invalid_shape")
    notification, prefix = _object(payload, _NOTIFICATION, "")
    info, info_prefix = _object(notification, _DELIVERY_INFO, prefix)
    raw_channel = _text(info, _CHANNEL, info_prefix)
    raw_status = _text(info, _STATUS, info_prefix)
    description = _text(info, _DESCRIPTION, info_prefix)
    raw_code = _text(info, _CODE, info_prefix)
    raw_timestamp = _text(info, _TIMESTAMP, info_prefix)
    destination = _text(info, _DESTINATION, info_prefix)
    destination_type = _text(info, _DESTINATION_TYPE, info_prefix)
    for spellings in _CHECKED_ONLY:
        _text(info, spellings, info_prefix)
    raw_transid, transid_path = _transid(notification, prefix)
    correlationid = _text(notification, _CORRELATIONID, prefix)
    callback_data = _text(notification, _CALLBACK_DATA, prefix)
    subtid = _text(notification, _SUBTID, prefix)
    # Voice only: the raw release-event XML, outside deliveryInfo; kept in the body.
    _text(payload, _DELIVERY_TRANS_INFO, "")
    # Blank is checked once every field has its shape, so a body's first problem is named.
    transid = raw_transid.strip()
    if not transid:
        raise NotificationValidationError(
            f"field '{transid_path}' is blank", field=transid_path, code="missing_field"
        )

    channel = canonical_channel(raw_channel)
    code = _integer_code(raw_code)
    status = canonical_status(raw_status)
    if status is DeliveryStatus.UNKNOWN and not raw_status:
        status = _status_from_code(channel, code)
    return DeliveryEvent(
        transid=transid,
        channel=channel,
        raw_channel=raw_channel or "",
        status=status,
        raw_status=raw_status or "",
        occurred_at=parse_callback_timestamp(raw_timestamp) or UNKNOWN_INSTANT,
        raw_timestamp=raw_timestamp or "",
        code=code,
        raw_code=raw_code or "",
        description=description or "",
        classification=classify(channel, code, status),
        destination=destination or "",
        destination_type=destination_type or "",
        correlationid=correlationid or "",
        callback_data=callback_data or "",
        subtid=subtid,
        raw_body=raw_body,
    )


def _transid(notification: dict[str, Any], prefix: str) -> tuple[str, str]:
    """The transid as sent, length checked, and the path that names it in errors."""
    raw = _text(notification, _TRANSID, prefix, required=True)
    path = prefix + (_spelled(notification, _TRANSID) or _TRANSID[0])
    if not raw:
        raise _invalid(path, "expected at least 1 character")
    if len(raw) > _TRANSID_MAX_LENGTH:
        raise _invalid(path, f"expected at most {_TRANSID_MAX_LENGTH} characters")
    return raw, path
