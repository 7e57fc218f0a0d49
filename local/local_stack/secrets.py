"""Local credentials, created fresh at each start and stored where the template says.

The functions read every secret through a reference (``ssm:/<prefix>/<stage>/<name>`` or
``secretsmanager:...``) in an environment variable ending in ``_REFERENCE``; the local
stack stores a value behind each, in the embedded SSM (SecureString) or Secrets Manager.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SSM_PREFIX = "ssm:"
SECRETS_MANAGER_PREFIX = "secretsmanager:"


@dataclass(frozen=True)
class LocalCredentials:
    callback_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    lookup_api_key: str = field(default_factory=lambda: "local-" + secrets.token_urlsafe(24))
    vendor_service_key: str = field(default_factory=lambda: secrets.token_hex(16))
    # Used when CallbackAuthMode is basic or api-key instead of hub-signature.
    callback_basic_user: str = "imiconnect"
    callback_basic_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    callback_api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Signs the generic chat webhook's posts (Standard Webhooks); the receiver checks it.
    webhook_signing_secret: str = field(default_factory=lambda: new_webhook_signing_secret())


# What value each secret reference gets, by the environment variable that names it.
SecretValue = Callable[[LocalCredentials, Mapping[str, str]], str]


def _callback_secret(credentials: LocalCredentials, environment: Mapping[str, str]) -> str:
    mode = environment.get("CALLBACK_AUTH_MODE", "hub-signature")
    if mode == "basic":
        return f"{credentials.callback_basic_user}:{credentials.callback_basic_password}"
    if mode == "api-key":
        return credentials.callback_api_key
    return credentials.callback_secret


SECRET_VALUES: dict[str, SecretValue] = {
    "CALLBACK_SECRET_REFERENCE": _callback_secret,
    "LOOKUP_API_KEYS_REFERENCE": lambda credentials, _: credentials.lookup_api_key,
    "VENDOR_SERVICE_KEY_REFERENCE": lambda credentials, _: credentials.vendor_service_key,
}


def secret_references(environment: Mapping[str, str]) -> dict[str, str]:
    """Environment variables that name a secret, with the reference each holds."""
    return {
        name: value
        for name, value in environment.items()
        if name.endswith("_REFERENCE") and value.startswith((SSM_PREFIX, SECRETS_MANAGER_PREFIX))
    }


def store_secret(reference: str, value: str, clients: Mapping[str, Any]) -> None:
    if reference.startswith(SSM_PREFIX):
        clients["ssm"].put_parameter(
            Name=reference.removeprefix(SSM_PREFIX),
            Value=value,
            Type="SecureString",
            Overwrite=True,
        )
    elif reference.startswith(SECRETS_MANAGER_PREFIX):
        name = reference.removeprefix(SECRETS_MANAGER_PREFIX)
        clients["secretsmanager"].create_secret(Name=name, SecretString=value)
    else:
        raise ValueError(f"unsupported secret reference {reference!r}")


def new_webhook_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def chat_webhooks_value(console_url: str, signing_secret: str) -> str:
    """The alert-webhooks secret pointing every chat target at the local receiver."""
    return json.dumps(
        {
            "slack": f"{console_url}/chat/slack",
            "teams": {"url": f"{console_url}/chat/teams"},
            "generic": {"url": f"{console_url}/chat/generic", "secret": signing_secret},
        }
    )
