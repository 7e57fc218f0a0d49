"""The ingest function's settings, read from the environment the template sets.

Validated on first use, never at import time, so a misconfigured stack answers every call
with a clear configuration error (and logs it) instead of failing to import.

Read without pydantic, which would cost every cold start its import: each setting declares
the variable it comes from and the reader that parses and checks it (:func:`settings_from`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from ingest.errors import ConfigurationError
from receipts.secret_values import SECRETS_MANAGER_PREFIX, SSM_PREFIX

# Lambda refuses invocation payloads above 6 MB, so no larger limit could ever apply.
_LARGEST_POSSIBLE_BODY = 6 * 1024 * 1024


class AuthMode(StrEnum):
    HUB_SIGNATURE = "hub-signature"
    BASIC = "basic"
    API_KEY = "api-key"
    NONE = "none"


# ---- typed environment variables ----------------------------------------------------------

# A reader turns one variable's text into a value, or raises ConfigurationError naming it.
_Reader = Callable[[str, str], Any]
_Choice = TypeVar("_Choice", bound=StrEnum)
_Number = TypeVar("_Number", int, float)

# Surrounding whitespace a number may carry: Unicode White_Space, as pydantic trimmed it.
_WHITESPACE = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# ASCII digits only; underscores only between digits; a whole number may end in ".0".
_DIGITS = r"[0-9](?:_?[0-9])*"
_WHOLE_NUMBER = re.compile(rf"([+-]?{_DIGITS})(?:\.0+)?")
_NUMBER = re.compile(
    rf"[+-]?(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
    r"|inf|infinity|nan)",
    re.IGNORECASE,
)
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


def _refuse(variable: str, rule: str) -> ConfigurationError:
    # The value itself is never echoed: a secret pasted into the wrong variable stays unlogged.
    return ConfigurationError(f"{variable}: {rule}", field=variable)


def _boolean(variable: str, text: str) -> bool:
    """``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``, ``t``/``f``, ``y``/``n``."""
    word = text.lower() if text.isascii() else text
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _refuse(variable, "must be true or false (or 1/0, yes/no, on/off, t/f, y/n)")


def _choice(choices: type[_Choice]) -> _Reader:
    allowed = ", ".join(f"'{choice.value}'" for choice in choices)

    def read(variable: str, text: str) -> _Choice:
        try:
            return choices(text)
        except ValueError:
            raise _refuse(variable, f"must be one of {allowed}") from None

    return read


def _in_range(
    variable: str, value: _Number, at_least: float | None, at_most: float | None
) -> _Number:
    if at_least is not None and value < at_least:
        raise _refuse(variable, f"must be at least {at_least}")
    if at_most is not None and value > at_most:
        raise _refuse(variable, f"must be at most {at_most}")
    return value


def _integer(*, at_least: int | None = None, at_most: int | None = None) -> _Reader:
    def read(variable: str, text: str) -> int:
        whole = _WHOLE_NUMBER.fullmatch(text.strip(_WHITESPACE))
        if whole is None:
            raise _refuse(variable, "must be a whole number")
        try:
            value = int(whole[1])
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise _refuse(variable, "has too many digits") from None
        return _in_range(variable, value, at_least, at_most)

    return read


def _number(*, at_least: float | None = None, at_most: float | None = None) -> _Reader:
    def read(variable: str, text: str) -> float:
        number = text.strip(_WHITESPACE)
        if _NUMBER.fullmatch(number) is None:
            raise _refuse(variable, "must be a number")
        value = float(number)
        if not math.isfinite(value):
            raise _refuse(variable, "must be a finite number")
        return _in_range(variable, value, at_least, at_most)

    return read


def _text(
    *,
    min_length: int = 0,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
    pattern_means: str = "",
) -> _Reader:
    def read(variable: str, text: str) -> str:
        if len(text) < min_length:
            too_short = f"must be at least {min_length} characters long"
            raise _refuse(variable, too_short if min_length > 1 else "must not be empty")
        if max_length is not None and len(text) > max_length:
            raise _refuse(variable, f"must be at most {max_length} characters long")
        if pattern is not None and pattern.fullmatch(text) is None:
            raise _refuse(variable, f"must be {pattern_means}")
        return text

    return read


def _from(variable: str, read: _Reader) -> dict[str, Any]:
    """A field's metadata: the environment variable it is read from, and how."""
    return {"variable": variable, "read": read}


# ---- the settings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestSettings:
    auth_mode: AuthMode = field(
        default=AuthMode.HUB_SIGNATURE, metadata=_from("CALLBACK_AUTH_MODE", _choice(AuthMode))
    )
    allow_unauthenticated: bool = field(
        default=False, metadata=_from("ALLOW_UNAUTHENTICATED_CALLBACKS", _boolean)
    )
    # Off by default: a signature over the whitespace-stripped body leaves the whitespace inside
    # values unsigned, so it is accepted only for a platform known to sign that way.
    signature_strips_whitespace: bool = field(
        default=False, metadata=_from("CALLBACK_SIGNATURE_STRIPS_WHITESPACE", _boolean)
    )
    secret_reference: str = field(default="", metadata=_from("CALLBACK_SECRET_REFERENCE", _text()))
    api_key_header: str = field(
        default="x-api-key",
        metadata=_from(
            "CALLBACK_API_KEY_HEADER",
            _text(
                pattern=re.compile(r"[A-Za-z0-9-]+"),
                pattern_means="a header name of ASCII letters, digits and hyphens",
            ),
        ),
    )
    max_callback_bytes: int = field(
        default=65536,
        metadata=_from("MAX_CALLBACK_BYTES", _integer(at_least=1, at_most=_LARGEST_POSSIBLE_BODY)),
    )
    events_table_name: str = field(
        metadata=_from("EVENTS_TABLE_NAME", _text(min_length=3, max_length=255))
    )
    retention_days: int = field(
        default=90, metadata=_from("RETENTION_DAYS", _integer(at_least=1, at_most=3650))
    )
    secrets_max_age_seconds: int = field(
        default=300, metadata=_from("POWERTOOLS_PARAMETERS_MAX_AGE", _integer(at_least=0))
    )
    metrics_namespace: str = field(
        default="imiconnect-receipts",
        metadata=_from("POWERTOOLS_METRICS_NAMESPACE", _text(min_length=1)),
    )
    # The table holds every callback, so only a sample of the accepted ones is logged at INFO
    # (the rest at DEBUG); warnings and errors are always logged.
    accepted_log_sample_rate: float = field(
        default=0.01,
        metadata=_from("ACCEPTED_LOG_SAMPLE_RATE", _number(at_least=0, at_most=1)),
    )

    @property
    def api_key_header_name(self) -> str:
        """The header as HTTP API delivers it (payload v2 lower-cases every header name)."""
        return self.api_key_header.lower()


# Every environment variable the settings read, in the order they are checked.
VARIABLES: tuple[str, ...] = tuple(
    setting.metadata["variable"] for setting in fields(IngestSettings)
)


def _check_authentication(settings: IngestSettings) -> None:
    """The rules across variables, checked once each variable is valid on its own."""
    if settings.auth_mode is AuthMode.NONE:
        if not settings.allow_unauthenticated:
            raise ConfigurationError(
                "CALLBACK_AUTH_MODE is 'none' but ALLOW_UNAUTHENTICATED_CALLBACKS is not "
                "'true': the webhook refuses to accept unauthenticated callbacks. Choose an "
                "authentication mode, or set AllowUnauthenticatedCallbacks=true on purpose.",
                field="CALLBACK_AUTH_MODE",
            )
        return
    if not settings.secret_reference.startswith((SSM_PREFIX, SECRETS_MANAGER_PREFIX)):
        raise ConfigurationError(
            f"CALLBACK_AUTH_MODE '{settings.auth_mode.value}' needs CALLBACK_SECRET_REFERENCE "
            "to name a secret as 'ssm:/path' or 'secretsmanager:name'",
            field="CALLBACK_SECRET_REFERENCE",
        )


def settings_from(environment: Mapping[str, str]) -> IngestSettings:
    """Validate settings from a mapping; raises :class:`ConfigurationError` naming the variable.

    Only the variables in :data:`VARIABLES` are read; a missing one takes its default. The
    first broken rule is reported, in field order, then the rules across variables.
    """
    values: dict[str, Any] = {}
    for setting in fields(IngestSettings):
        variable = setting.metadata["variable"]
        text = environment.get(variable)
        if text is not None:
            values[setting.name] = setting.metadata["read"](variable, text)
        elif setting.default is MISSING:
            raise _refuse(variable, "must be set")
    settings = IngestSettings(**values)
    _check_authentication(settings)
    return settings


@cache
def get_settings() -> IngestSettings:
    return settings_from(os.environ)
