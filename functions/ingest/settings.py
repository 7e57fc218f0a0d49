"""The ingest function's settings, read from the environment the template sets.

Validated on first use, never at import time, so a misconfigured stack answers every call
with a clear configuration error (and logs it) instead of failing to import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.errors import ConfigurationError
from receipts.secret_values import SECRETS_MANAGER_PREFIX, SSM_PREFIX

# Lambda refuses invocation payloads above 6 MB, so no larger limit could ever apply.
_LARGEST_POSSIBLE_BODY = 6 * 1024 * 1024


class _SettingError(ValueError):
    """A cross-field rule broken; ``variable`` names the environment variable to fix."""

    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class AuthMode(StrEnum):
    HUB_SIGNATURE = "hub-signature"
    BASIC = "basic"
    API_KEY = "api-key"
    NONE = "none"


class IngestSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    auth_mode: AuthMode = Field(AuthMode.HUB_SIGNATURE, alias="CALLBACK_AUTH_MODE")
    allow_unauthenticated: bool = Field(False, alias="ALLOW_UNAUTHENTICATED_CALLBACKS")
    # Off by default: a signature over the whitespace-stripped body leaves the whitespace inside
    # values unsigned, so it is accepted only for a platform known to sign that way.
    signature_strips_whitespace: bool = Field(False, alias="CALLBACK_SIGNATURE_STRIPS_WHITESPACE")
    secret_reference: str = Field("", alias="CALLBACK_SECRET_REFERENCE")
    api_key_header: str = Field(
        "x-api-key", alias="CALLBACK_API_KEY_HEADER", pattern=r"^[A-Za-z0-9-]+$"
    )
    max_callback_bytes: int = Field(
        65536, alias="MAX_CALLBACK_BYTES", ge=1, le=_LARGEST_POSSIBLE_BODY
    )
    events_table_name: str = Field(alias="EVENTS_TABLE_NAME", min_length=3, max_length=255)
    retention_days: int = Field(90, alias="RETENTION_DAYS", ge=1, le=3650)
    secrets_max_age_seconds: int = Field(300, alias="POWERTOOLS_PARAMETERS_MAX_AGE", ge=0)
    metrics_namespace: str = Field(
        "imiconnect-receipts", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1
    )
    # The table holds every callback, so only a sample of the accepted ones is logged at INFO
    # (the rest at DEBUG); warnings and errors are always logged.
    accepted_log_sample_rate: float = Field(
        0.01, alias="ACCEPTED_LOG_SAMPLE_RATE", ge=0, le=1, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _authentication_is_configured(self) -> Self:
        if self.auth_mode is AuthMode.NONE:
            if not self.allow_unauthenticated:
                raise _SettingError(
                    "CALLBACK_AUTH_MODE is 'none' but ALLOW_UNAUTHENTICATED_CALLBACKS is not "
                    "'true': the webhook refuses to accept unauthenticated callbacks. Choose an "
                    "authentication mode, or set AllowUnauthenticatedCallbacks=true on purpose.",
                    variable="CALLBACK_AUTH_MODE",
                )
            return self
        if not self.secret_reference.startswith((SSM_PREFIX, SECRETS_MANAGER_PREFIX)):
            raise _SettingError(
                f"CALLBACK_AUTH_MODE '{self.auth_mode.value}' needs CALLBACK_SECRET_REFERENCE "
                "to name a secret as 'ssm:/path' or 'secretsmanager:name'",
                variable="CALLBACK_SECRET_REFERENCE",
            )
        return self

    @property
    def api_key_header_name(self) -> str:
        """The header as HTTP API delivers it (payload v2 lower-cases every header name)."""
        return self.api_key_header.lower()


def settings_from(environment: Mapping[str, str]) -> IngestSettings:
    """Validate settings from a mapping; raises :class:`ConfigurationError` naming the variable."""
    try:
        return IngestSettings.model_validate(dict(environment))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        broken_rule = first.get("ctx", {}).get("error")
        if isinstance(broken_rule, _SettingError):
            raise ConfigurationError(str(broken_rule), field=broken_rule.variable) from None
        variable = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"{variable}: {first['msg']}", field=variable) from None


@cache
def get_settings() -> IngestSettings:
    return settings_from(os.environ)
