"""The lookup function's settings, read from the environment the template sets.

Validated on first use, never at import time; a missing or malformed variable fails the
invocation with an error that names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from receipts.settings_rules import (
    SECRET_REFERENCE_PATTERN,
    check_vendor_base_url,
    first_problem,
)

# Reaching DynamoDB takes milliseconds; a dead endpoint should not eat the read timeout.
TABLE_CONNECT_CEILING_SECONDS = 0.5


class LookupConfigurationError(RuntimeError):
    """A setting is missing or malformed; ``variable`` names the environment variable."""

    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class LookupSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    vendor_base_url: str = Field(alias="VENDOR_BASE_URL", min_length=8)
    vendor_timeout_seconds: float = Field(4.0, alias="VENDOR_TIMEOUT_SECONDS", gt=0, le=10)
    vendor_max_attempts: int = Field(3, alias="VENDOR_MAX_ATTEMPTS", ge=1, le=5)
    # Every attempt and back-off together stay inside this, far from API Gateway's 30 s
    # integration timeout and the function's own 25 s.
    vendor_budget_seconds: float = Field(12.0, alias="VENDOR_BUDGET_SECONDS", gt=0, le=20)
    vendor_service_key_reference: str = Field(
        alias="VENDOR_SERVICE_KEY_REFERENCE", pattern=SECRET_REFERENCE_PATTERN
    )
    lookup_api_keys_reference: str = Field(
        alias="LOOKUP_API_KEYS_REFERENCE", pattern=SECRET_REFERENCE_PATTERN
    )
    non_final_cache_seconds: int = Field(30, alias="NON_FINAL_CACHE_SECONDS", ge=0, le=3600)
    final_cache_seconds: int = Field(86400, alias="FINAL_CACHE_SECONDS", ge=0, le=2592000)
    stale_serving_seconds: int = Field(86400, alias="STALE_SERVING_SECONDS", ge=0, le=2592000)
    # Short: long enough that a client retrying a wrong id cannot spend the vendor's rate
    # limit, short enough that an id the vendor had not indexed yet soon resolves.
    not_found_cache_seconds: int = Field(60, alias="NOT_FOUND_CACHE_SECONDS", ge=0, le=3600)
    # Kept back from the function's remaining time so that an answer (stale, or a 504) is
    # still written before the platform's timeout; the function's timeout is 25 s.
    deadline_margin_seconds: float = Field(2.0, alias="LOOKUP_DEADLINE_MARGIN_SECONDS", gt=0, le=10)
    # The deadline when the invocation has no clock of its own (a script, a test).
    request_budget_seconds: float = Field(22.0, alias="LOOKUP_REQUEST_BUDGET_SECONDS", gt=0, le=28)
    # One table call: attempts of connect + read, bounded so the deadline can tell in
    # advance whether a read still fits.
    table_timeout_seconds: float = Field(1.0, alias="TABLE_TIMEOUT_SECONDS", gt=0, le=5)
    table_max_attempts: int = Field(2, alias="TABLE_MAX_ATTEMPTS", ge=1, le=3)
    memory_cache_entries: int = Field(5000, alias="LOOKUP_MEMORY_CACHE_ENTRIES", ge=1, le=1000000)
    events_table_name: str = Field(alias="EVENTS_TABLE_NAME", min_length=3, max_length=255)
    secrets_max_age_seconds: int = Field(300, alias="POWERTOOLS_PARAMETERS_MAX_AGE", ge=0)
    # POST /v1/reconcile: a registered id is first asked about this long after it was
    # posted (its callbacks usually come first), and given up at the horizon. The same
    # variables, with the same bounds, as the reconcile function's.
    reconcile_after_minutes: float = Field(15.0, alias="RECONCILE_AFTER_MINUTES", gt=0, le=1440)
    reconcile_horizon_hours: float = Field(72.0, alias="RECONCILE_HORIZON_HOURS", gt=0, le=720)
    # How long a registered watch's record is kept past its horizon (the table's TTL).
    retention_days: int = Field(90, alias="RETENTION_DAYS", ge=1, le=3650)

    @model_validator(mode="after")
    def _vendor_url_is_safe(self) -> Self:
        check_vendor_base_url(self.vendor_base_url)
        return self

    @property
    def final_fresh_for(self) -> timedelta:
        return timedelta(seconds=self.final_cache_seconds)

    @property
    def non_final_fresh_for(self) -> timedelta:
        return timedelta(seconds=self.non_final_cache_seconds)

    @property
    def stale_for(self) -> timedelta:
        return timedelta(seconds=self.stale_serving_seconds)

    @property
    def not_found_fresh_for(self) -> timedelta:
        return timedelta(seconds=self.not_found_cache_seconds)

    @property
    def reconcile_after(self) -> timedelta:
        return timedelta(minutes=self.reconcile_after_minutes)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)

    @property
    def reconcile_horizon(self) -> timedelta:
        return timedelta(hours=self.reconcile_horizon_hours)

    @property
    def table_connect_timeout_seconds(self) -> float:
        return min(TABLE_CONNECT_CEILING_SECONDS, self.table_timeout_seconds)

    @property
    def table_call_seconds(self) -> float:
        """The longest one table call can take: every attempt, and the pauses between them."""
        attempt = self.table_connect_timeout_seconds + self.table_timeout_seconds
        # botocore's standard mode pauses at most 2**i s (throttling) before retry i+1.
        pauses = sum(2.0**retry for retry in range(self.table_max_attempts - 1))
        return self.table_max_attempts * attempt + pauses


def settings_from(environment: Mapping[str, str]) -> LookupSettings:
    """Validate settings from a mapping; raises :class:`LookupConfigurationError`."""
    try:
        return LookupSettings.model_validate(dict(environment))
    except ValidationError as error:
        # Only the vendor URL has a rule of its own (the model validator), which has no field.
        variable, message = first_problem(error, unnamed="VENDOR_BASE_URL")
        raise LookupConfigurationError(message, variable=variable) from None


@cache
def get_settings() -> LookupSettings:
    return settings_from(os.environ)
