"""API keys: one per line in a secret, any of them accepted, compared in constant time."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lookup.auth import ApiKeyVerifier
from lookup.errors import AuthenticationUnavailableError, UnauthorizedError


class RotatingKeys:
    """A secret whose value an operator changes: the verifier sees each change."""

    def __init__(self, *keys: str) -> None:
        self.keys: Sequence[str] = keys
        self.reads = 0

    def __call__(self) -> Sequence[str]:
        self.reads += 1
        return self.keys


def test_an_active_key_passes() -> None:
    keys = RotatingKeys("key-one", "key-two")

    ApiKeyVerifier(keys).verify("key-two")

    assert keys.reads == 1


def test_a_missing_key_is_refused_without_reading_the_secret() -> None:
    keys = RotatingKeys("key-one")

    with pytest.raises(UnauthorizedError) as refused:
        ApiKeyVerifier(keys).verify(None)

    assert refused.value.missing
    assert keys.reads == 0


@pytest.mark.parametrize("presented", ["key-on", "key-one ", "KEY-ONE", "x" * 500, "key-one\n"])
def test_anything_but_an_active_key_is_refused(presented: str) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        ApiKeyVerifier(RotatingKeys("key-one")).verify(presented)

    assert not refused.value.missing


def test_a_rotation_accepts_both_keys_then_only_the_new_one() -> None:
    # Given both keys active during the rotation
    keys = RotatingKeys("new-key", "old-key")
    verifier = ApiKeyVerifier(keys)
    verifier.verify("new-key")
    verifier.verify("old-key")

    # When the old key is removed from the secret
    keys.keys = ("new-key",)

    # Then it stops working and the new one goes on working
    verifier.verify("new-key")
    with pytest.raises(UnauthorizedError):
        verifier.verify("old-key")


def test_keys_that_cannot_be_read_refuse_every_request() -> None:
    def broken() -> Sequence[str]:
        raise RuntimeError("throttled")

    with pytest.raises(AuthenticationUnavailableError):
        ApiKeyVerifier(broken).verify("key-one")


def test_an_empty_secret_refuses_every_request() -> None:
    with pytest.raises(AuthenticationUnavailableError):
        ApiKeyVerifier(RotatingKeys()).verify("key-one")
