"""Secrets from SSM Parameter Store or Secrets Manager, cached, never logged.

A setting names where a secret lives, never the secret itself:

- ``ssm:/imiconnect-receipts/prod/callback-secret`` (a SecureString parameter), or
- ``secretsmanager:imiconnect-receipts/prod/callback-secret`` (a secret's name or ARN).

A value may hold several secrets, one per line, so two can be active during a rotation. A
Secrets Manager value may also be a JSON list, or an object whose values are the secrets;
every one of them must be a string, since ``str(None)`` would make the text "None" a key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

SSM_PREFIX = "ssm:"
SECRETS_MANAGER_PREFIX = "secretsmanager:"

Fetcher = Callable[[str], str]


class SecretConfigurationError(RuntimeError):
    """A secret reference that names no supported store, or a value that holds no secrets."""


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _only_strings(entries: Iterable[tuple[str, object]]) -> tuple[str, ...]:
    """The non-blank strings of a JSON list or object; anything else is refused, not coerced.

    The message names the entry and its JSON type, never a value: a wrong value may still
    be a real secret.
    """
    secrets = []
    for entry, item in entries:
        if not isinstance(item, str):
            raise SecretConfigurationError(
                f"{entry} holds {_json_kind(item)}, not a string: only strings are secrets"
            )
        if item.strip():
            secrets.append(item)
    return tuple(secrets)


def split_secret_value(value: str) -> tuple[str, ...]:
    """The active secrets held in one stored value (newline-separated, a JSON list/object).

    Raises :class:`SecretConfigurationError` for a JSON list or object holding anything but
    strings (null, a number, a boolean, a nested list or object).
    """
    stripped = value.strip()
    if stripped.startswith(("[", "{")):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return _only_strings((f"item {index}", item) for index, item in enumerate(decoded, 1))
        if isinstance(decoded, dict):
            return _only_strings((f"key {name!r}", item) for name, item in decoded.items())
    return tuple(line.strip() for line in stripped.splitlines() if line.strip())


def _install_default_provider(kind: str) -> None:
    """Put a provider on a client of boto3's default session in Powertools' own registry.

    Left alone, Powertools builds its provider on a boto3 session of its own, which costs
    ~45 ms of cold start; a client of the default session reuses what the function's other
    clients already loaded. Kept in Powertools' registry, ``parameters.clear_caches()``
    still resets it.
    """
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from receipts.aws_clients import new_client

    if kind in DEFAULT_PROVIDERS:
        return
    if kind == "ssm":
        DEFAULT_PROVIDERS[kind] = parameters.SSMProvider(boto3_client=new_client("ssm"))
    else:
        DEFAULT_PROVIDERS[kind] = parameters.SecretsProvider(
            boto3_client=new_client("secretsmanager")
        )


def _fetch_from_ssm(name: str, max_age: int) -> str:
    from aws_lambda_powertools.utilities import parameters

    _install_default_provider("ssm")
    return str(parameters.get_parameter(name, decrypt=True, max_age=max_age))


def _fetch_from_secrets_manager(name: str, max_age: int) -> str:
    from aws_lambda_powertools.utilities import parameters

    _install_default_provider("secrets")
    return str(parameters.get_secret(name, max_age=max_age))


def load_secret_document(reference: str, *, max_age: int = 300) -> str:
    """The whole value behind ``reference``, unsplit: for a secret that is one JSON document."""
    if reference.startswith(SSM_PREFIX):
        value = _fetch_from_ssm(reference.removeprefix(SSM_PREFIX), max_age)
    elif reference.startswith(SECRETS_MANAGER_PREFIX):
        value = _fetch_from_secrets_manager(reference.removeprefix(SECRETS_MANAGER_PREFIX), max_age)
    else:
        raise SecretConfigurationError(
            "a secret reference must start with 'ssm:' or 'secretsmanager:'"
        )
    if not value.strip():
        raise SecretConfigurationError(f"secret {reference} holds no value")
    return value


def load_secrets(reference: str, *, max_age: int = 300) -> tuple[str, ...]:
    """Every active secret behind ``reference``, cached for ``max_age`` seconds.

    A value that holds no secret, or anything but strings in JSON, is a
    :class:`SecretConfigurationError` naming ``reference`` (a location, never the value).
    """
    value = load_secret_document(reference, max_age=max_age)
    try:
        secrets = split_secret_value(value)
    except SecretConfigurationError as error:
        raise SecretConfigurationError(f"secret {reference}: {error}") from None
    if not secrets:
        raise SecretConfigurationError(f"secret {reference} holds no value")
    return secrets
