"""Rules the functions' settings share, and how a settings error names its variable."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from receipts.secret_values import SECRETS_MANAGER_PREFIX, SSM_PREFIX

if TYPE_CHECKING:
    from pydantic import ValidationError

# Plain HTTP is only for a vendor simulator on this machine; anything else must be HTTPS so
# the service key never crosses a network in clear.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECRET_REFERENCE_PATTERN = rf"^({SSM_PREFIX}|{SECRETS_MANAGER_PREFIX})\S+$"


def check_vendor_base_url(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` is a base URL the service key may be sent to."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ValueError("VENDOR_BASE_URL must be an absolute https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError("VENDOR_BASE_URL must use https:// (http is for 127.0.0.1 only)")
    if parts.query or parts.fragment:
        raise ValueError("VENDOR_BASE_URL must not carry a query or a fragment")


def first_problem(error: ValidationError, *, unnamed: str) -> tuple[str, str]:
    """The variable and message of a settings model's first error, as "VARIABLE: rule".

    ``unnamed`` names the variable of an error raised by a model validator, which has no
    field of its own.
    """
    first = error.errors(include_url=False)[0]
    variable = ".".join(str(part) for part in first["loc"]) or unnamed
    message = str(first["msg"]).removeprefix("Value error, ")
    if not message.startswith(variable):
        message = f"{variable}: {message}"
    return variable, message
