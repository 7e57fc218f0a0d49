"""Standard Webhooks signatures, checked against the scheme's published example."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from alerts.webhook_signing import decode_secret, signature, signed_headers

# The example in the Standard Webhooks specification's reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specification_example() -> None:
    key = decode_secret(SPEC_SECRET)

    assert signature(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    old, new = decode_secret(SPEC_SECRET), b"another key of thirty-two bytes!"

    headers = signed_headers([new, old], "msg_1", 1700000000, b"{}")

    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == "1700000000"
    signatures = headers["webhook-signature"].split(" ")
    for key, value in zip([new, old], signatures, strict=True):
        expected = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
        assert value == "v1," + base64.b64encode(expected).decode()


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_c2hvcnQ=", ""])
def test_a_secret_that_is_not_whsec_base64_of_enough_bytes_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="signing secret"):
        decode_secret(secret)
