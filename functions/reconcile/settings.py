"""The reconcile function's settings, read from the environment the template sets.

Validated on first use, never at import time; a missing or malformed variable fails the
run with an error that names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from receipts.settings_rules import (
    SECRET_REFERENCE_PATTERN,
    check_vendor_base_url,
    first_problem,
)


class ReconcileConfigurationError(RuntimeError):
    """A setting is missing or malformed; ``variable`` names the environment variable."""

    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class DiscoverySettings(BaseModel):
    """What discovery needs: the table, the quiet time and the horizon, the run's length."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    events_table_name: str = Field(alias="EVENTS_TABLE_NAME", min_length=3, max_length=255)
    retention_days: int = Field(90, alias="RETENTION_DAYS", ge=1, le=3650)
    # Fractions of a minute are for the local stack, where a pass comes every few seconds.
    after_minutes: float = Field(15.0, alias="RECONCILE_AFTER_MINUTES", gt=0, le=1440)
    horizon_hours: float = Field(72.0, alias="RECONCILE_HORIZON_HOURS", gt=0, le=720)
    # Kept back from the function's remaining time, so the run saves its position and
    # releases its lease well before the timeout.
    deadline_margin_seconds: float = Field(30.0, alias="RECONCILE_DEADLINE_MARGIN_SECONDS", ge=1)
    # The run's length when the invocation has no clock (a script, the local console).
    run_budget_seconds: float = Field(240.0, alias="RECONCILE_RUN_BUDGET_SECONDS", gt=0, le=900)

    @property
    def after(self) -> timedelta:
        return timedelta(minutes=self.after_minutes)

    @property
    def horizon(self) -> timedelta:
        return timedelta(hours=self.horizon_hours)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)


class ReconcileSettings(DiscoverySettings):
    """The asks': discovery's, and the vendor, the pace and the per-run bound."""

    vendor_base_url: str = Field(alias="VENDOR_BASE_URL", min_length=8)
    vendor_timeout_seconds: float = Field(4.0, alias="VENDOR_TIMEOUT_SECONDS", gt=0, le=10)
    vendor_service_key_reference: str = Field(
        alias="VENDOR_SERVICE_KEY_REFERENCE", pattern=SECRET_REFERENCE_PATTERN
    )
    max_per_run: int = Field(2000, alias="RECONCILE_MAX_PER_RUN", ge=1, le=100000)
    max_calls_per_second: float = Field(5.0, alias="RECONCILE_MAX_CALLS_PER_SECOND", gt=0, le=100)
    # Asks in flight at once: a call waits on the vendor for a fraction of a second, so the
    # pace allowed (up to 100 a second) takes several side by side. The pace is the bound.
    concurrent_asks: int = Field(32, alias="RECONCILE_CONCURRENT_ASKS", ge=1, le=64)
    alert_on_no_receipt: bool = Field(True, alias="ALERT_ON_NO_RECEIPT")
    secrets_max_age_seconds: int = Field(300, alias="POWERTOOLS_PARAMETERS_MAX_AGE", ge=0)

    @model_validator(mode="after")
    def _vendor_url_is_safe(self) -> Self:
        check_vendor_base_url(self.vendor_base_url)
        return self


S = TypeVar("S", bound=DiscoverySettings)


def _validated(environment: Mapping[str, str], model: type[S]) -> S:
    try:
        return model.model_validate(dict(environment))
    except ValidationError as error:
        variable, message = first_problem(error, unnamed="VENDOR_BASE_URL")
        raise ReconcileConfigurationError(message, variable=variable) from None


def settings_from(environment: Mapping[str, str]) -> ReconcileSettings:
    """The asks' settings from a mapping; raises :class:`ReconcileConfigurationError`."""
    return _validated(environment, ReconcileSettings)


def discovery_settings_from(environment: Mapping[str, str]) -> DiscoverySettings:
    """Discovery's settings from a mapping; raises :class:`ReconcileConfigurationError`."""
    return _validated(environment, DiscoverySettings)


@cache
def get_settings() -> ReconcileSettings:
    return settings_from(os.environ)


@cache
def get_discovery_settings() -> DiscoverySettings:
    return discovery_settings_from(os.environ)
