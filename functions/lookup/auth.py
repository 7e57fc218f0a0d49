"""API keys for the lookup routes, checked inside the function.

Keys come from one secret value, one per line, so that a new key can be added before the
old one is removed (rotation without downtime). The comparison takes the same time whatever
key is presented and however many characters it shares with a valid one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from lookup.errors import AuthenticationUnavailableError, UnauthorizedError

API_KEY_HEADER = "x-api-key"

KeysLoader = Callable[[], Sequence[str]]


def _digest(value: str) -> bytes:
    # Comparing fixed-length digests keeps a key's length from showing in the timing.
    return hashlib.sha256(value.encode("utf-8")).digest()


class ApiKeyVerifier:
    def __init__(self, load_keys: KeysLoader) -> None:
        self._load_keys = load_keys

    def verify(self, presented: str | None) -> None:
        """Return when ``presented`` is an active key; raise :class:`UnauthorizedError` if not."""
        if not presented:
            raise UnauthorizedError(missing=True)
        keys = self._keys()
        candidate = _digest(presented)
        matched = False
        for key in keys:
            # No early exit: every key is compared, so timing does not reveal which matched.
            matched |= hmac.compare_digest(candidate, _digest(key))
        if not matched:
            raise UnauthorizedError(missing=False)

    def _keys(self) -> Sequence[str]:
        try:
            keys = self._load_keys()
        except AuthenticationUnavailableError:
            raise
        except Exception as error:
            # Whatever the secret store raised, no request may pass unchecked (fail closed).
            raise AuthenticationUnavailableError(type(error).__name__) from None
        if not keys:
            raise AuthenticationUnavailableError("no API key is configured")
        return keys
