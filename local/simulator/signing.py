"""The ``x-hub-signature`` header: a hex HMAC of the raw body with the shared secret."""

from __future__ import annotations

import hmac

from simulator.config import Signing

ALGORITHMS = ("sha1", "sha256", "sha512")


def hub_signature(body: bytes, signing: Signing) -> str | None:
    """The header's value for ``body``, or None when callbacks are not signed."""
    if not signing.secret:
        return None
    if signing.algorithm not in ALGORITHMS:
        raise ValueError(f"signature algorithm must be one of {ALGORITHMS}")
    digest = hmac.new(signing.secret.encode(), body, signing.algorithm).hexdigest()
    return f"{signing.algorithm}={digest}" if signing.prefix else digest


def signature_headers(body: bytes, signing: Signing) -> dict[str, str]:
    value = hub_signature(body, signing)
    return {signing.header: value} if value else {}
