"""The alerts function's settings, read from the environment the template declares."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerts.errors import AlertConfigurationError
from receipts.channels import Channel, canonical_channel
from receipts.lifecycle import FAILURE_STATUSES, DeliveryStatus, canonical_status

# The final failures: what a team wants to hear about when nobody overrides it.
DEFAULT_ALERT_STATUSES = frozenset(
    {
        DeliveryStatus.FAILED,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.COMPLAINT,
        DeliveryStatus.INVALID_ADDRESS,
        DeliveryStatus.NOT_VERIFIED,
        DeliveryStatus.UNSUBSCRIBED,
    }
)


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(item).strip() for item in value if str(item).strip()]
    raise ValueError("expected a comma-separated list")


class AlertSettings(BaseModel):
    """Environment variables of the alerts function (names are the fields, upper-cased)."""

    model_config = ConfigDict(frozen=True)

    events_table_name: str = Field(min_length=1)
    alerts_queue_url: str = Field(min_length=1)
    alert_topic_arn: str = ""
    # Where a target that refuses alerts for good is reported; empty: the log line only.
    operations_topic_arn: str = ""
    alert_statuses: frozenset[DeliveryStatus] = DEFAULT_ALERT_STATUSES
    # Empty: every channel / every code alerts.
    alert_channels: frozenset[Channel] = frozenset()
    alert_codes: frozenset[int] = frozenset()
    storm_threshold: int = Field(20, ge=1)
    storm_window_seconds: int = Field(300, ge=10, le=86400)
    chat_webhooks_enabled: bool = False
    chat_webhooks_reference: str = ""
    lookup_base_url: str = ""
    parameters_max_age: int = Field(300, ge=0)

    @field_validator("alert_statuses", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> frozenset[DeliveryStatus]:
        names = _items(value)
        if not names:
            return DEFAULT_ALERT_STATUSES
        statuses = set()
        for name in names:
            status = canonical_status(name)
            if status is DeliveryStatus.UNKNOWN and name.lower() != "unknown":
                valid = ", ".join(sorted(member.value for member in DeliveryStatus))
                raise ValueError(f"unknown status {name!r}; use one of: {valid}")
            if not status.is_failure:
                # The table's stream reaches this function through a pipe that forwards
                # failures only: any other status listed here would silently never alert.
                failures = ", ".join(sorted(member.value for member in FAILURE_STATUSES))
                raise ValueError(
                    f"status {name!r} is not a failure; only these can alert: {failures}"
                )
            statuses.add(status)
        return frozenset(statuses)

    @field_validator("alert_channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> frozenset[Channel]:
        channels = set()
        for name in _items(value):
            channel = canonical_channel(name)
            if channel is Channel.UNKNOWN and name.lower() != "unknown":
                valid = ", ".join(member.value for member in Channel)
                raise ValueError(f"unknown channel {name!r}; use one of: {valid}")
            channels.add(channel)
        return frozenset(channels)

    @field_validator("alert_codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> frozenset[int]:
        codes = set()
        for name in _items(value):
            if not name.isdigit():
                raise ValueError(f"alert code {name!r} is not a number")
            codes.add(int(name))
        return frozenset(codes)

    @field_validator("lookup_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> AlertSettings:
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            if name == "parameters_max_age":
                continue
            variable = name.upper()
            if variable in environ:
                values[name] = environ[variable]
        # Powertools' own variable sets how long parameters and secrets are cached.
        if "POWERTOOLS_PARAMETERS_MAX_AGE" in environ:
            values["parameters_max_age"] = environ["POWERTOOLS_PARAMETERS_MAX_AGE"]
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
                for problem in error.errors(include_url=False)
            )
            raise AlertConfigurationError(f"invalid alerts settings: {problems}") from None


@cache
def load_settings() -> AlertSettings:
    """The settings, validated on first use and then kept for the container's life."""
    return AlertSettings.from_environment(os.environ)
