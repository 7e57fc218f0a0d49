"""A presented credential checked against the active ones, with nothing shown by the timing.

Both sides are reduced to SHA-256 digests before ``hmac.compare_digest``, so every comparison
is between two 32-byte values: neither a credential's length nor how much of it matches a
valid one changes the time a check takes. Every candidate is compared, with no early exit,
so the timing does not tell which one matched either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def credential_digest(value: str | bytes) -> bytes:
    # surrogatepass: a header holding a lone surrogate must fail the comparison, not crash it.
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).digest()


def matches_any(presented: str | bytes, candidates: Iterable[str | bytes]) -> bool:
    """True when ``presented`` is exactly one of ``candidates``."""
    presented_digest = credential_digest(presented)
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(presented_digest, credential_digest(candidate))
    return matched
