"""The simulator signs callbacks the way the webhook verifies them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ingest.authentication import HubSignatureAuthenticator
from ingest.errors import AuthenticationFailedError
from simulator.config import Signing
from simulator.signing import hub_signature, signature_headers

BODY = b'{"deliveryInfoNotification":{"transid":"t"}}'


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
@pytest.mark.parametrize("prefix", [False, True])
def test_the_webhook_accepts_what_the_simulator_signs(algorithm: str, prefix: bool) -> None:
    signing = Signing(secret="s3cret", algorithm=algorithm, prefix=prefix)
    authenticator = HubSignatureAuthenticator(lambda: ("s3cret",))

    authenticator.verify(BODY, signature_headers(BODY, signing))


def test_the_webhook_refuses_a_signature_made_with_another_secret() -> None:
    authenticator = HubSignatureAuthenticator(lambda: ("s3cret",))

    with pytest.raises(AuthenticationFailedError):
        authenticator.verify(BODY, signature_headers(BODY, Signing(secret="other")))


def test_the_signature_is_the_hex_hmac_of_the_raw_body() -> None:
    expected = hmac.new(b"k", BODY, hashlib.sha256).hexdigest()

    assert hub_signature(BODY, Signing(secret="k")) == expected
    assert hub_signature(BODY, Signing(secret="k", prefix=True)) == f"sha256={expected}"


def test_without_a_secret_callbacks_are_unsigned() -> None:
    assert signature_headers(BODY, Signing(secret=None)) == {}


def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="algorithm"):
        hub_signature(BODY, Signing(secret="k", algorithm="md5"))
