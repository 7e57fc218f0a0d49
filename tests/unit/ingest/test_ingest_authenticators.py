"""The three ways a callback proves where it comes from, checked without any AWS."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.authentication import (
    ApiKeyAuthenticator,
    BasicAuthenticator,
    HubSignatureAuthenticator,
    NoAuthentication,
    build_authenticator,
    credential_headers,
)
from ingest.errors import AuthenticationFailedError, ConfigurationError
from ingest.settings import IngestSettings, settings_from

BODY = b'{"deliveryInfoNotification":{"deliveryInfo":{"deliveryStatus":"Failed"},"transid":"t"}}'


def _sign(body: bytes, secret: str, algorithm: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def _secrets(*values: str) -> object:
    calls: list[int] = []

    def source() -> tuple[str, ...]:
        calls.append(1)
        return values

    source.calls = calls  # type: ignore[attr-defined]
    return source


def _settings(**environment: str) -> IngestSettings:
    return settings_from(
        {
            "EVENTS_TABLE_NAME": "events",
            "CALLBACK_SECRET_REFERENCE": "ssm:/callback-secret",
            **environment,
        }
    )


# ---- hub signature -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=2000),
    secret=st.text(min_size=1, max_size=64),
    algorithm=st.sampled_from(["sha256", "sha512"]),
    prefix=st.booleans(),
    upper=st.booleans(),
)
def test_any_body_signed_with_an_active_secret_verifies(
    body: bytes, secret: str, algorithm: str, prefix: bool, upper: bool
) -> None:
    digest = _sign(body, secret, algorithm)
    digest = digest.upper() if upper else digest
    header = f"{algorithm}={digest}" if prefix else digest

    HubSignatureAuthenticator(lambda: ("other", secret)).verify(body, {"x-hub-signature": header})


@settings(max_examples=150, deadline=None)
@given(body=st.binary(min_size=1, max_size=500), flip=st.integers(min_value=0))
def test_any_changed_byte_fails_the_signature(body: bytes, flip: int) -> None:
    header = "sha256=" + _sign(body, "secret")
    position = flip % len(body)
    tampered = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]

    # By default even a whitespace-only change fails: only the body as received is signed.
    with pytest.raises(AuthenticationFailedError) as refused:
        HubSignatureAuthenticator(lambda: ("secret",)).verify(tampered, {"x-hub-signature": header})

    assert refused.value.reason == "mismatch"


SPACED = b'{ "deliveryInfoNotification": {\n  "transid": "a bc" } }'
STRIPPED = b'{"deliveryInfoNotification":{"transid":"abc"}}'


def test_a_signature_over_the_body_without_whitespace_is_refused_by_default() -> None:
    # Accepting it would let a captured body be re-sent with spaces inside its values.
    with pytest.raises(AuthenticationFailedError) as refused:
        HubSignatureAuthenticator(lambda: ("s",)).verify(
            SPACED, {"x-hub-signature": "sha512=" + _sign(STRIPPED, "s", "sha512")}
        )

    assert refused.value.reason == "mismatch"


def test_with_the_variant_enabled_the_body_that_was_signed_is_the_one_returned() -> None:
    authenticator = HubSignatureAuthenticator(lambda: ("s",), accepts_stripped_body=True)

    over_stripped = authenticator.verify(
        SPACED, {"x-hub-signature": "sha512=" + _sign(STRIPPED, "s", "sha512")}
    )
    over_raw = authenticator.verify(SPACED, {"x-hub-signature": _sign(SPACED, "s")})

    assert over_stripped == STRIPPED
    assert over_raw == SPACED


@pytest.mark.parametrize("mode", ["basic", "api-key", "none"])
def test_other_modes_return_the_body_as_received(mode: str) -> None:
    settings = _settings(CALLBACK_AUTH_MODE=mode, ALLOW_UNAUTHENTICATED_CALLBACKS="true")
    authenticator = build_authenticator(settings, lambda: ("u:p",))
    headers = {**_basic("u:p"), "x-api-key": "u:p"}

    assert authenticator.verify(SPACED, headers) == SPACED


@pytest.mark.parametrize(
    ("variable", "accepted"), [(None, False), ("false", False), ("true", True)]
)
def test_the_whitespace_variant_follows_its_setting(variable: str | None, accepted: bool) -> None:
    environment = {"CALLBACK_SIGNATURE_STRIPS_WHITESPACE": variable} if variable else {}
    authenticator = build_authenticator(_settings(**environment), lambda: ("s",))
    headers = {"x-hub-signature": _sign(STRIPPED, "s")}

    if accepted:
        assert authenticator.verify(SPACED, headers) == STRIPPED
    else:
        with pytest.raises(AuthenticationFailedError):
            authenticator.verify(SPACED, headers)


def test_a_retired_secret_no_longer_verifies() -> None:
    header = "sha256=" + _sign(BODY, "retired")

    with pytest.raises(AuthenticationFailedError):
        HubSignatureAuthenticator(lambda: ("current", "next")).verify(
            BODY, {"x-hub-signature": header}
        )


def test_every_active_secret_is_compared_even_after_a_match() -> None:
    compared: list[str] = []

    class Recording(tuple[str, ...]):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for secret in super().__iter__():
                compared.append(secret)
                yield secret

    HubSignatureAuthenticator(lambda: Recording(("first", "second"))).verify(
        BODY, {"x-hub-signature": _sign(BODY, "first")}
    )

    assert compared == ["first", "second"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("sha256=", "malformed"),
        ("sha256=xyz", "malformed"),
        ("a" * 63, "malformed"),
        ("a" * 40, "malformed"),
        ("sha1=" + "a" * 40, "unsupported algorithm"),
        ("SHA384=" + "a" * 96, "unsupported algorithm"),
        ("sha256=" + "a" * 128, "mismatch"),
    ],
)
def test_signature_refusal_reasons(header: str, reason: str) -> None:
    with pytest.raises(AuthenticationFailedError) as refused:
        HubSignatureAuthenticator(lambda: ("s",)).verify(BODY, {"x-hub-signature": header})

    assert refused.value.reason == reason
    assert refused.value.field == "x-hub-signature"
    assert refused.value.status_code == 401


def test_a_missing_signature_does_not_even_read_the_secret() -> None:
    source = _secrets("s")

    with pytest.raises(AuthenticationFailedError):
        HubSignatureAuthenticator(source).verify(BODY, {})  # type: ignore[arg-type]

    assert source.calls == []  # type: ignore[attr-defined]


def test_a_non_ascii_signature_fails_cleanly() -> None:
    with pytest.raises(AuthenticationFailedError):
        HubSignatureAuthenticator(lambda: ("s",)).verify(BODY, {"x-hub-signature": "sha256=é"})


# ---- basic ---------------------------------------------------------------------------------


def _basic(credentials: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.mark.parametrize("credentials", ["platform:pässword", "platform:with:colons"])
def test_basic_accepts_each_active_account(credentials: str) -> None:
    authenticator = BasicAuthenticator(lambda: ("platform:pässword", "platform:with:colons"))

    authenticator.verify(BODY, _basic(credentials))


def test_basic_scheme_name_is_case_insensitive() -> None:
    headers = {"authorization": _basic("u:p")["authorization"].replace("Basic", "bAsIc")}

    BasicAuthenticator(lambda: ("u:p",)).verify(BODY, headers)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"authorization": "Digest username=u"}, "not basic"),
        ({"authorization": "Basic ***"}, "malformed"),
        (_basic("u:wrong"), "mismatch"),
        (_basic("u"), "mismatch"),
    ],
)
def test_basic_refusals_challenge_the_caller(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(AuthenticationFailedError) as refused:
        BasicAuthenticator(lambda: ("u:p",)).verify(BODY, headers)

    assert refused.value.reason == reason
    assert refused.value.challenge is not None
    assert refused.value.challenge.startswith("Basic realm=")


def test_basic_with_secrets_that_are_not_accounts_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        BasicAuthenticator(lambda: ("just-a-password",)).verify(BODY, _basic("u:p"))


# ---- api key -------------------------------------------------------------------------------


def test_api_key_reads_the_configured_header_only() -> None:
    authenticator = ApiKeyAuthenticator(lambda: ("k1", "k2"), "X-Callback-Key")

    authenticator.verify(BODY, {"x-callback-key": "k2"})
    with pytest.raises(AuthenticationFailedError) as refused:
        authenticator.verify(BODY, {"x-api-key": "k1"})

    assert refused.value.field == "x-callback-key"
    assert refused.value.reason == "missing"


@pytest.mark.parametrize("presented", ["k", "k1 k1", "K1", "k1\u0000"])
def test_api_key_must_match_exactly(presented: str) -> None:
    with pytest.raises(AuthenticationFailedError) as refused:
        ApiKeyAuthenticator(lambda: ("k1",), "x-api-key").verify(BODY, {"x-api-key": presented})

    assert refused.value.reason == "mismatch"


# ---- fixed-length comparisons --------------------------------------------------------------


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The lengths of both sides of every hmac.compare_digest call."""
    recorded: list[tuple[int, int]] = []
    compare = hmac.compare_digest

    def recording(left: bytes, right: bytes) -> bool:
        recorded.append((len(left), len(right)))
        return compare(left, right)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return recorded


@pytest.mark.parametrize("presented", ["k", "key-one", "a-key-far-longer-than-any-active-one"])
def test_api_keys_are_compared_as_fixed_length_digests(
    presented: str, comparisons: list[tuple[int, int]]
) -> None:
    with pytest.raises(AuthenticationFailedError):
        ApiKeyAuthenticator(lambda: ("key-1", "key-two-22"), "x-api-key").verify(
            BODY, {"x-api-key": presented}
        )

    # Neither the presented key's length nor an active key's shows in what is compared.
    assert comparisons == [(32, 32), (32, 32)]


@pytest.mark.parametrize("credentials", ["u:p", "u:wrong", "someone-else:" + "x" * 200])
def test_basic_credentials_are_compared_as_fixed_length_digests(
    credentials: str, comparisons: list[tuple[int, int]]
) -> None:
    with contextlib.suppress(AuthenticationFailedError):  # the right account passes
        BasicAuthenticator(lambda: ("u:p", "other:secret")).verify(BODY, _basic(credentials))

    assert comparisons == [(32, 32), (32, 32)]


@pytest.mark.parametrize(
    "header",
    ["sha256=" + "a" * 128, "sha512=" + "b" * 64, "sha256=" + "c" * 62, "sha256=" + "d" * 64],
)
def test_signatures_are_compared_only_as_digests_of_the_algorithms_length(
    header: str, comparisons: list[tuple[int, int]]
) -> None:
    with pytest.raises(AuthenticationFailedError) as refused:
        HubSignatureAuthenticator(lambda: ("s", "t")).verify(BODY, {"x-hub-signature": header})

    assert refused.value.reason == "mismatch"
    assert all(left == right for left, right in comparisons)


# ---- choosing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("hub-signature", HubSignatureAuthenticator),
        ("basic", BasicAuthenticator),
        ("api-key", ApiKeyAuthenticator),
    ],
)
def test_the_mode_picks_the_authenticator(mode: str, expected: type) -> None:
    assert isinstance(build_authenticator(_settings(CALLBACK_AUTH_MODE=mode), lambda: ()), expected)


def test_mode_none_is_only_built_with_the_opt_in() -> None:
    allowed = _settings(CALLBACK_AUTH_MODE="none", ALLOW_UNAUTHENTICATED_CALLBACKS="true")
    # A settings object altered after validation must not let callbacks in unnoticed.
    forced = dataclasses.replace(allowed, allow_unauthenticated=False)

    assert isinstance(build_authenticator(allowed, lambda: ()), NoAuthentication)
    with pytest.raises(ConfigurationError):
        build_authenticator(forced, lambda: ())


def test_credential_headers_cover_every_mode() -> None:
    headers = credential_headers(_settings(CALLBACK_API_KEY_HEADER="X-Custom-Key"))

    assert {"authorization", "x-hub-signature", "cookie", "x-custom-key"} <= headers
