"""The stream consumer's settings, read from the environment the template sets.

Validated on first use, never at import time; a missing or malformed variable fails the
invocation with an error that names it (the stream then delivers the batch again).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from receipts.settings_rules import first_problem


class StreamConsumerConfigurationError(RuntimeError):
    def __init__(self, message: str, *, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class StreamConsumerSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    events_table_name: str = Field(alias="EVENTS_TABLE_NAME", min_length=3, max_length=255)
    # Tallies and counters are kept as long as the events they count.
    retention_days: int = Field(90, alias="RETENTION_DAYS", ge=1, le=3650)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)


def settings_from(environment: Mapping[str, str]) -> StreamConsumerSettings:
    try:
        return StreamConsumerSettings.model_validate(dict(environment))
    except ValidationError as error:
        variable, message = first_problem(error, unnamed="EVENTS_TABLE_NAME")
        raise StreamConsumerConfigurationError(message, variable=variable) from None


@cache
def get_settings() -> StreamConsumerSettings:
    return settings_from(os.environ)
