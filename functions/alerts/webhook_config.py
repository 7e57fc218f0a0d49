"""The chat-webhook secret: one JSON document naming each webhook and the signing secret.

::

    {
      "slack":   "https://hooks.slack.com/services/T000/B000/XXXX",
      "teams":   {"url": "https://prod-00.westeurope.logic.azure.com/workflows/..."},
      "generic": {"url": "https://ops.example.com/hooks/imiconnect",
                  "secret": "whsec_<base64 of 32 random bytes>"}
    }

Every key is optional. ``slack`` and ``teams`` take a URL or ``{"url": ...}``; ``generic``
needs a ``secret`` (or a list of them while rotating). URLs must be https; plain http is
accepted only on the loopback interface, for local runs.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from alerts.errors import AlertConfigurationError
from alerts.webhook_signing import decode_secret

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if not parts.hostname:
        raise ValueError("must be an absolute URL")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
        return value.strip()
    raise ValueError("must use https (plain http only on the loopback interface)")


class WebhookEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str

    @model_validator(mode="before")
    @classmethod
    def _from_plain_url(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)


class SignedWebhookEndpoint(WebhookEndpoint):
    secret: str | list[str]

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | list[str]) -> str | list[str]:
        secrets = [value] if isinstance(value, str) else value
        if not secrets:
            raise ValueError("needs at least one signing secret")
        for secret in secrets:
            decode_secret(secret)
        return value

    @property
    def signing_keys(self) -> tuple[bytes, ...]:
        secrets = [self.secret] if isinstance(self.secret, str) else self.secret
        return tuple(decode_secret(secret) for secret in secrets)


class ChatWebhooks(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slack: WebhookEndpoint | None = None
    teams: WebhookEndpoint | None = None
    generic: SignedWebhookEndpoint | None = None


@lru_cache(maxsize=4)
def parse_chat_webhooks(document: str) -> ChatWebhooks:
    """Validate the secret's JSON. Errors name the field, never echo a value (it is secret)."""
    try:
        return ChatWebhooks.model_validate_json(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'document'}: "
            f"{problem['msg'].removeprefix('Value error, ')}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        raise AlertConfigurationError(f"the chat-webhook secret is invalid: {problems}") from None
