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


@pytest.mark.parametrize(
    ("value", "entry", "kind"),
    [
        ('{"current": "k1", "previous": null}', "'previous'", "null"),
        ('{"current": "k1", "previous": 12345}', "'previous'", "a number"),
        ('{"current": "k1", "enabled": true}', "'enabled'", "a boolean"),
        ('{"current": "k1", "nested": {"key": "k2"}}', "'nested'", "an object"),
        ('["k1", null]', "item 2", "null"),
        ('["k1", ["k2"]]', "item 2", "a list"),
        ('["k1", 2.5]', "item 2", "a number"),
    ],
)
def test_a_json_value_holding_anything_but_strings_is_a_configuration_error(
    value: str, entry: str, kind: str
) -> None:
    # str(None) used to make the text "None" a valid key, HMAC secret and lookup key.
    with pytest.raises(SecretConfigurationError) as refused:
        split_secret_value(value)

    assert entry in str(refused.value)
    assert kind in str(refused.value)
    assert "k1" not in str(refused.value)


def test_loading_a_json_value_with_a_null_names_the_secret_and_never_its_value(
    mocked_aws: None, clear_parameter_cache: None
) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="/app/dev/lookup-api-keys",
        SecretString='{"current": "proof-current-key", "previous": null}',
    )

    with pytest.raises(SecretConfigurationError) as refused:
        load_secrets("secretsmanager:/app/dev/lookup-api-keys")

    assert "secretsmanager:/app/dev/lookup-api-keys" in str(refused.value)
    assert "'previous'" in str(refused.value)
    assert "proof-current-key" not in str(refused.value)
    assert "None" not in str(refused.value)
