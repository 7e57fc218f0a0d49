from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from receipts.secret_values import SecretConfigurationError, load_secrets, split_secret_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("one", ("one",)),
        ("one\ntwo\n", ("one", "two")),
        ("  one \r\n\r\n two ", ("one", "two")),
        ('["a", "b"]', ("a", "b")),
        ('{"current": "a", "previous": "b"}', ("a", "b")),
        ("[not json", ("[not json",)),
        ("", ()),
    ],
)
def test_a_stored_value_may_hold_several_secrets(value: str, expected: tuple[str, ...]) -> None:
    assert split_secret_value(value) == expected


@pytest.fixture
def clear_parameter_cache() -> Iterator[None]:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    yield
    parameters.clear_caches()


def test_secrets_come_from_ssm_securestring(mocked_aws: None, clear_parameter_cache: None) -> None:
    boto3.client("ssm").put_parameter(
        Name="/app/dev/callback-secret", Value="old\nnew", Type="SecureString"
    )
    assert load_secrets("ssm:/app/dev/callback-secret") == ("old", "new")


def test_secrets_come_from_secrets_manager(mocked_aws: None, clear_parameter_cache: None) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="/app/dev/callback-secret", SecretString='["k1", "k2"]'
    )
    assert load_secrets("secretsmanager:/app/dev/callback-secret") == ("k1", "k2")


def test_a_reference_without_a_store_is_refused() -> None:
    with pytest.raises(SecretConfigurationError):
        load_secrets("plain-secret-value")


def test_an_empty_secret_is_refused(mocked_aws: None, clear_parameter_cache: None) -> None:
    boto3.client("ssm").put_parameter(Name="/app/dev/empty", Value=" ", Type="SecureString")
    with pytest.raises(SecretConfigurationError):
        load_secrets("ssm:/app/dev/empty")
