"""The vendor's transaction status API: ``GET /resources/v1/messaging/status/{transactionid}``.

The answer is a JSON array of transaction objects whose fields vary per channel (voice has
``callflowid``, OTT channels ``appid``, RTM ``message``, SMS ``body``). Errors come as an
object with a ``code`` from the status-API table.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from receipts.channels import Channel, canonical_channel
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus, canonical_status
from receipts.timestamps import format_rfc1123, parse_status_api_date


class VendorTransaction(BaseModel):
    """One transaction object as the status API returns it; unknown fields are kept."""

    # defer_build: only the lookup function validates these; the webhook must not pay for it.
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        frozen=True,
        defer_build=True,
    )

    transactionid: str
    clientid: str | None = None
    api_version: str | None = None
    type: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    channel: str | None = None
    status: str | None = None
    date_created: datetime | None = None
    last_updated: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    body: str | None = None
    message: str | None = None
    appid: str | None = None
    callflowid: str | None = None

    @field_validator("date_created", "last_updated", mode="before")
    @classmethod
    def _parse_vendor_date(cls, value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return parse_status_api_date(str(value))

    @property
    def canonical_channel(self) -> Channel:
        return canonical_channel(self.channel)

    @property
    def canonical_status(self) -> DeliveryStatus:
        return canonical_status(self.status)

    def to_vendor_json(self) -> dict[str, Any]:
        """The object in the vendor's own shape and date format, for drop-in answers."""
        data = self.model_dump(by_alias=True, exclude_unset=True)
        for name in ("date_created", "last_updated"):
            if name in data:
                value = getattr(self, name)
                data[name] = format_rfc1123(value) if value is not None else None
        return data


class VendorError(BaseModel):
    """An error answer of the status API, e.g. ``{"code": "7600", "description": "..."}``."""

    model_config = ConfigDict(
        extra="allow", coerce_numbers_to_str=True, frozen=True, defer_build=True
    )

    code: str
    description: str | None = Field(None, alias="description")


@cache
def _transactions_adapter() -> TypeAdapter[list[VendorTransaction]]:
    return TypeAdapter(list[VendorTransaction])


def parse_status_response(body: bytes | str | list[Any]) -> list[VendorTransaction]:
    """Parse a status-API success answer (a JSON array of transactions)."""
    try:
        if isinstance(body, list):
            return _transactions_adapter().validate_python(body)
        return _transactions_adapter().validate_json(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise NotificationValidationError(
            f"status API answer is not a transaction list: {first['msg']}", field=field
        ) from None
