"""API keys for the lookup routes, checked inside the function.

Keys come from one secret value, one per line, so that a new key can be added before the
old one is removed (rotation without downtime). The comparison takes the same time whatever
key is presented and however many characters it shares with a valid one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lookup.errors import AuthenticationUnavailableError, UnauthorizedError
from receipts.credentials import matches_any
from receipts.secret_values import SecretConfigurationError

API_KEY_HEADER = "x-api-key"
# The header the vendor's own clients send their key in: accepted on the vendor's path so
# that moving a client to this proxy changes only its base URL.
VENDOR_KEY_HEADER = "key"

KeysLoader = Callable[[], Sequence[str]]


class ApiKeyVerifier:
    def __init__(self, load_keys: KeysLoader) -> None:
        self._load_keys = load_keys

    def verify(self, presented: str | None) -> None:
        """Return when ``presented`` is an active key; raise :class:`UnauthorizedError` if not."""
        if not presented:
            raise UnauthorizedError(missing=True)
        if not matches_any(presented, self._keys()):
            raise UnauthorizedError(missing=False)

    def _keys(self) -> Sequence[str]:
        try:
            keys = self._load_keys()
        except AuthenticationUnavailableError:
            raise
        except SecretConfigurationError as error:
            # It names the secret and the entry at fault, never a value: what an operator
            # must fix, in the log line of every refused request.
            raise AuthenticationUnavailableError(f"{type(error).__name__}: {error}") from None
        except Exception as error:
            # Whatever the secret store raised, no request may pass unchecked (fail closed).
            raise AuthenticationUnavailableError(type(error).__name__) from None
        if not keys:
            raise AuthenticationUnavailableError("no API key is configured")
        return keys
