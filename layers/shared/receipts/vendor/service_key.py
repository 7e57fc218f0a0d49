"""The vendor service key, read from the secret store on demand and cached by the loader."""

from __future__ import annotations

from collections.abc import Callable

from receipts.secret_values import load_secrets
from receipts.vendor.errors import ServiceKeyUnavailableError

SecretsLoader = Callable[..., tuple[str, ...]]


def service_key_loader(
    reference: str, *, max_age: int, load: SecretsLoader = load_secrets
) -> Callable[[], str]:
    """The vendor service key (the first value behind ``reference``), cached by the loader."""

    def service_key() -> str:
        try:
            return load(reference, max_age=max_age)[0]
        except Exception as error:
            # The key's value must never reach a log or an answer: only the error's type does.
            raise ServiceKeyUnavailableError(type(error).__name__) from None

    return service_key
