"""Delivery and read notifications: the vendor's callback as sent, and the normalised event.

The vendor tells receivers to be lenient: fields come and go per channel, spellings drift,
``code`` is a string and ``additional_info`` may be an object, an array or a string. The
vendor model accepts all of that and keeps unknown fields; only a body that is not a
notification at all (no ``deliveryInfoNotification``, no ``transid``) is refused.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from receipts.channels import Channel, canonical_channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import classify, resolve_code
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus, canonical_status
from receipts.models.identity import event_identity
from receipts.timestamps import UNKNOWN_INSTANT, parse_callback_timestamp

_LENIENT = ConfigDict(
    extra="allow",
    populate_by_name=True,
    coerce_numbers_to_str=True,
    frozen=True,
)

Scalar = str | int | float | bool | None


class VendorDeliveryInfo(BaseModel):
    model_config = _LENIENT

    delivery_channel: str | None = Field(
        None, validation_alias=AliasChoices("deliveryChannel", "deliverychannel", "channel")
    )
    delivery_status: str | None = Field(
        None, validation_alias=AliasChoices("deliveryStatus", "deliverystatus", "status")
    )
    description: str | None = Field(
        None, validation_alias=AliasChoices("Description", "description")
    )
    code: str | None = None
    time_stamp: str | None = Field(
        None, validation_alias=AliasChoices("timeStamp", "timestamp", "TimeStamp")
    )
    destination: str | None = None
    destination_type: str | None = Field(
        None, validation_alias=AliasChoices("destinationType", "destinationtype")
    )
    push_id: str | None = Field(None, validation_alias=AliasChoices("pushId", "pushid"))
    device_id: str | None = Field(None, validation_alias=AliasChoices("deviceid", "deviceId"))
    interaction: dict[str, Any] | list[Any] | Scalar = None
    additional_info: dict[str, Any] | list[Any] | Scalar = Field(
        None, validation_alias=AliasChoices("additional_info", "additionalInfo")
    )


class VendorNotification(BaseModel):
    model_config = _LENIENT

    delivery_info: VendorDeliveryInfo = Field(
        validation_alias=AliasChoices("deliveryInfo", "deliveryinfo")
    )
    # DynamoDB keys are built from it, so its length is bounded well under the key limit.
    transid: str = Field(
        min_length=1, max_length=256, validation_alias=AliasChoices("transid", "transId")
    )
    correlationid: str | None = Field(
        None, validation_alias=AliasChoices("correlationid", "correlationId")
    )
    callback_data: str | None = Field(
        None, validation_alias=AliasChoices("callbackData", "callbackdata")
    )
    subtid: str | None = None


class VendorCallback(BaseModel):
    """The body the platform POSTs to the webhook."""

    model_config = _LENIENT

    notification: VendorNotification = Field(
        validation_alias=AliasChoices("deliveryInfoNotification", "deliveryinfonotification")
    )
    # Voice only: the raw release-event XML, outside deliveryInfo.
    delivery_trans_info: str | None = Field(
        None, validation_alias=AliasChoices("deliveryTransInfo", "deliverytransinfo")
    )


class DeliveryEvent(BaseModel):
    """One callback, normalised. ``raw_body`` is the payload exactly as it arrived."""

    # Built with model_construct from already validated data, so its validation schema is
    # only built if someone validates one directly: that keeps it off the cold start.
    model_config = ConfigDict(frozen=True, defer_build=True)

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
    raw_body: bytes

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


def _validation_error(error: ValidationError) -> NotificationValidationError:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    if first["type"] == "missing":
        return NotificationValidationError(
            f"required field '{field}' is missing", field=field, code="missing_field"
        )
    if first["type"] == "json_invalid":
        return NotificationValidationError("body is not valid JSON", code="invalid_json")
    return NotificationValidationError(
        f"field '{field}' is invalid: {first['msg']}", field=field, code="invalid_shape"
    )


def parse_callback(body: bytes | str) -> DeliveryEvent:
    """Parse and normalise one callback body.

    Raises :class:`NotificationValidationError` for a body that is not a notification;
    anything merely unfamiliar (channel, status, code, timestamp) is kept and classified.
    """
    raw_body = body.encode() if isinstance(body, str) else body
    try:
        vendor = VendorCallback.model_validate_json(raw_body)
    except ValidationError as error:
        raise _validation_error(error) from None
    return normalise(vendor.notification, raw_body)


def normalise(notification: VendorNotification, raw_body: bytes) -> DeliveryEvent:
    transid = notification.transid.strip()
    if not transid:
        raise NotificationValidationError(
            "field 'deliveryInfoNotification.transid' is blank",
            field="deliveryInfoNotification.transid",
            code="missing_field",
        )
    info = notification.delivery_info
    channel = canonical_channel(info.delivery_channel)
    code = _integer_code(info.code)
    status = canonical_status(info.delivery_status)
    if status is DeliveryStatus.UNKNOWN and not info.delivery_status:
        status = _status_from_code(channel, code)
    occurred_at = parse_callback_timestamp(info.time_stamp) or UNKNOWN_INSTANT
    return DeliveryEvent.model_construct(
        transid=transid,
        channel=channel,
        raw_channel=info.delivery_channel or "",
        status=status,
        raw_status=info.delivery_status or "",
        occurred_at=occurred_at,
        raw_timestamp=info.time_stamp or "",
        code=code,
        raw_code=info.code or "",
        description=info.description or "",
        classification=classify(channel, code, status),
        destination=info.destination or "",
        destination_type=info.destination_type or "",
        correlationid=notification.correlationid or "",
        callback_data=notification.callback_data or "",
        subtid=notification.subtid,
        raw_body=raw_body,
    )
