"""Proof that a callback comes from the platform: hub signature, Basic auth or an API key.

Every check compares fixed-length digests in constant time, against every active secret (two
during a rotation), and never puts a secret or a presented credential into an error or a log
line. ``verify`` returns the body that was authenticated: from then on it is the only body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from ingest.errors import AuthenticationFailedError, ConfigurationError, SecretMisconfiguredError
from ingest.settings import AuthMode, IngestSettings
from receipts.credentials import matches_any

SecretSource = Callable[[], tuple[str, ...]]

HUB_SIGNATURE_HEADER = "x-hub-signature"
AUTHORIZATION_HEADER = "authorization"

# Digest name by hex length, for signatures sent without a "sha256=" / "sha512=" prefix.
_ALGORITHM_BY_HEX_LENGTH = {64: "sha256", 128: "sha512"}
_HEX_LENGTH_BY_ALGORITHM = {name: length for length, name in _ALGORITHM_BY_HEX_LENGTH.items()}
_HEX = re.compile(r"[0-9a-fA-F]+")
# What the vendor's sample strips from a body before hashing (bytes.translate deletes them).
_JSON_WHITESPACE = b" \t\n\r\f\v"


class Authenticator(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        """The body the credential covers; raise AuthenticationFailedError if none does."""


def _to_bytes(value: str) -> bytes:
    # Header values are text; a lone surrogate must fail the comparison, not crash it.
    return value.encode("utf-8", "surrogatepass")


class HubSignatureAuthenticator:
    """``x-hub-signature``: hex HMAC-SHA256/512 of the raw body, with or without a prefix.

    Whether the header carries a ``sha256=`` prefix is not documented, so both forms are
    accepted. The vendor's sample also strips whitespace from the body before hashing; a
    signature over the stripped body is accepted only when ``accepts_stripped_body`` says
    so, and then the stripped body is the one returned: whitespace inside values is not
    signed, so a captured body re-sent with spaces inside its values must be read, stored
    and de-duplicated exactly as the body that was signed.
    """

    def __init__(self, secrets: SecretSource, *, accepts_stripped_body: bool = False) -> None:
        self._secrets = secrets
        self._accepts_stripped_body = accepts_stripped_body

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        presented = headers.get(HUB_SIGNATURE_HEADER, "").strip()
        if not presented:
            raise AuthenticationFailedError("missing", field=HUB_SIGNATURE_HEADER)
        algorithm, digest = self._parse(presented)
        secrets = self._secrets()
        if self._signed_by_any(secrets, body, algorithm, digest):
            return body
        if self._accepts_stripped_body:
            stripped = body.translate(None, _JSON_WHITESPACE)
            if stripped != body and self._signed_by_any(secrets, stripped, algorithm, digest):
                return stripped
        raise AuthenticationFailedError("mismatch", field=HUB_SIGNATURE_HEADER)

    @staticmethod
    def _signed_by_any(
        secrets: tuple[str, ...], signed: bytes, algorithm: str, digest: bytes
    ) -> bool:
        """Constant time per secret, and every secret is compared: no early exit."""
        matched = False
        for secret in secrets:
            expected = hmac.new(_to_bytes(secret), signed, getattr(hashlib, algorithm)).digest()
            matched |= hmac.compare_digest(expected, digest)
        return matched

    @staticmethod
    def _parse(presented: str) -> tuple[str, bytes]:
        """The algorithm and the presented digest's bytes, always of the algorithm's length."""
        prefix, separator, rest = presented.partition("=")
        if separator:
            algorithm, hex_digest = prefix.strip().lower(), rest.strip()
            if algorithm not in _HEX_LENGTH_BY_ALGORITHM:
                raise AuthenticationFailedError("unsupported algorithm", field=HUB_SIGNATURE_HEADER)
        else:
            hex_digest = presented
            algorithm = _ALGORITHM_BY_HEX_LENGTH.get(len(hex_digest), "")
        if not algorithm or not _HEX.fullmatch(hex_digest):
            raise AuthenticationFailedError("malformed", field=HUB_SIGNATURE_HEADER)
        if len(hex_digest) != _HEX_LENGTH_BY_ALGORITHM[algorithm]:
            # A digest of another length cannot match; the length of a digest is no secret.
            raise AuthenticationFailedError("mismatch", field=HUB_SIGNATURE_HEADER)
        return algorithm, bytes.fromhex(hex_digest)


class BasicAuthenticator:
    """``Authorization: Basic base64(user:password)``; the secret holds ``user:password`` lines."""

    _CHALLENGE = 'Basic realm="imiconnect-receipts callbacks", charset="UTF-8"'

    def __init__(self, secrets: SecretSource) -> None:
        self._secrets = secrets

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        presented = headers.get(AUTHORIZATION_HEADER, "").strip()
        if not presented:
            raise self._failure("missing")
        scheme, _, token = presented.partition(" ")
        if scheme.lower() != "basic":
            raise self._failure("not basic")
        try:
            credentials = base64.b64decode(_to_bytes(token.strip()), validate=True)
        except (binascii.Error, ValueError):
            raise self._failure("malformed") from None
        accounts = [secret for secret in self._secrets() if ":" in secret]
        if not accounts:
            raise SecretMisconfiguredError(
                "the callback secret must hold 'user:password' lines in basic mode",
                field="CALLBACK_SECRET_REFERENCE",
            )
        if not matches_any(credentials, accounts):
            raise self._failure("mismatch")
        return body

    def _failure(self, reason: str) -> AuthenticationFailedError:
        return AuthenticationFailedError(
            reason, field=AUTHORIZATION_HEADER, challenge=self._CHALLENGE
        )


class ApiKeyAuthenticator:
    """A key in a header whose name the console lets the user choose."""

    def __init__(self, secrets: SecretSource, header: str) -> None:
        self._secrets = secrets
        self._header = header.lower()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        presented = headers.get(self._header, "").strip()
        if not presented:
            raise AuthenticationFailedError("missing", field=self._header)
        if not matches_any(presented, self._secrets()):
            raise AuthenticationFailedError("mismatch", field=self._header)
        return body


class NoAuthentication:
    """Only reachable when ALLOW_UNAUTHENTICATED_CALLBACKS says so explicitly."""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        return body


def build_authenticator(settings: IngestSettings, secrets: SecretSource) -> Authenticator:
    if settings.auth_mode is AuthMode.HUB_SIGNATURE:
        return HubSignatureAuthenticator(
            secrets, accepts_stripped_body=settings.signature_strips_whitespace
        )
    if settings.auth_mode is AuthMode.BASIC:
        return BasicAuthenticator(secrets)
    if settings.auth_mode is AuthMode.API_KEY:
        return ApiKeyAuthenticator(secrets, settings.api_key_header_name)
    # The settings model refuses mode "none" without the explicit opt-in; checked again here
    # because letting unauthenticated callbacks in by mistake is the one unacceptable failure.
    if not settings.allow_unauthenticated:
        raise ConfigurationError(
            "authentication mode 'none' needs ALLOW_UNAUTHENTICATED_CALLBACKS=true",
            field="CALLBACK_AUTH_MODE",
        )
    return NoAuthentication()


def credential_headers(settings: IngestSettings) -> frozenset[str]:
    """Headers that carry a credential in any mode: never stored, never logged."""
    return frozenset(
        {
            AUTHORIZATION_HEADER,
            "proxy-authorization",
            HUB_SIGNATURE_HEADER,
            "cookie",
            settings.api_key_header_name,
        }
    )
