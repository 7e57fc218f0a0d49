"""The ingest settings: the template's variables, their defaults, and what is refused."""

from __future__ import annotations

import pytest

from ingest.errors import ConfigurationError
from ingest.settings import AuthMode, get_settings, settings_from
from local_stack.template import load_template, resource

BASE = {
    "EVENTS_TABLE_NAME": "imiconnect-receipts-events",
    "CALLBACK_SECRET_REFERENCE": "ssm:/imiconnect-receipts/dev/callback-secret",
}
STRIPS_WHITESPACE = "CALLBACK_SIGNATURE_STRIPS_WHITESPACE"
NONE_WITH_OPT_IN_SAID_NO = {"CALLBACK_AUTH_MODE": "none", "ALLOW_UNAUTHENTICATED_CALLBACKS": "no"}


def test_defaults_match_the_template_parameters() -> None:
    settings = settings_from(BASE)

    assert settings.auth_mode is AuthMode.HUB_SIGNATURE
    assert settings.allow_unauthenticated is False
    assert settings.api_key_header == "x-api-key"
    assert settings.max_callback_bytes == 65536
    assert settings.retention_days == 90
    assert settings.secrets_max_age_seconds == 300
    assert settings.signature_strips_whitespace is False


def test_the_template_offers_the_whitespace_stripped_signature_off_by_default() -> None:
    parameter = load_template()["Parameters"]["CallbackSignatureStripsWhitespace"]
    variables = resource("IngestFunction")["Properties"]["Environment"]["Variables"]

    assert parameter["Default"] == "false"
    assert sorted(parameter["AllowedValues"]) == ["false", "true"]
    assert variables["CALLBACK_SIGNATURE_STRIPS_WHITESPACE"] == {
        "Ref": "CallbackSignatureStripsWhitespace"
    }
    on = settings_from({**BASE, "CALLBACK_SIGNATURE_STRIPS_WHITESPACE": "true"})
    assert on.signature_strips_whitespace is True


def test_the_accepted_log_sample_rate_comes_from_the_template_with_the_same_default() -> None:
    parameter = load_template()["Parameters"]["AcceptedLogSampleRate"]
    variables = resource("IngestFunction")["Properties"]["Environment"]["Variables"]

    assert variables["ACCEPTED_LOG_SAMPLE_RATE"] == {"Ref": "AcceptedLogSampleRate"}
    assert (parameter["Type"], parameter["MinValue"], parameter["MaxValue"]) == ("Number", 0, 1)
    assert settings_from(BASE).accepted_log_sample_rate == parameter["Default"] == 0.01
    # CloudFormation hands a Number parameter to the environment as its text.
    quarter = settings_from({**BASE, "ACCEPTED_LOG_SAMPLE_RATE": "0.25"})
    assert quarter.accepted_log_sample_rate == 0.25


@pytest.mark.parametrize("rate", ["-0.01", "1.5", "nan", "inf", "often"])
def test_a_sample_rate_outside_0_to_1_is_refused_naming_the_variable(rate: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        settings_from({**BASE, "ACCEPTED_LOG_SAMPLE_RATE": rate})

    assert raised.value.field == "ACCEPTED_LOG_SAMPLE_RATE"


def test_every_variable_the_template_sets_is_read() -> None:
    # Given the variables exactly as template.yaml names them for the function
    variables = resource("IngestFunction")["Properties"]["Environment"]["Variables"]
    readable = {field.alias for field in type(settings_from(BASE)).model_fields.values()}

    # Then every one but the Powertools service name is a setting
    assert set(variables) - {"POWERTOOLS_SERVICE_NAME"} <= readable


def test_environment_strings_are_parsed() -> None:
    settings = settings_from(
        {
            **BASE,
            "CALLBACK_AUTH_MODE": "api-key",
            "CALLBACK_API_KEY_HEADER": "X-Imi-Key",
            "MAX_CALLBACK_BYTES": "2048",
            "RETENTION_DAYS": "7",
            "ALLOW_UNAUTHENTICATED_CALLBACKS": "false",
            "POWERTOOLS_PARAMETERS_MAX_AGE": "60",
            "UNRELATED": "ignored",
        }
    )

    assert settings.auth_mode is AuthMode.API_KEY
    assert settings.api_key_header_name == "x-imi-key"
    assert (settings.max_callback_bytes, settings.retention_days) == (2048, 7)
    assert settings.secrets_max_age_seconds == 60


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"CALLBACK_AUTH_MODE": "digest"}, "CALLBACK_AUTH_MODE"),
        ({"CALLBACK_AUTH_MODE": "none"}, "CALLBACK_AUTH_MODE"),
        (NONE_WITH_OPT_IN_SAID_NO, "CALLBACK_AUTH_MODE"),
        ({"CALLBACK_SECRET_REFERENCE": ""}, "CALLBACK_SECRET_REFERENCE"),
        ({"CALLBACK_SECRET_REFERENCE": "plain-secret-value"}, "CALLBACK_SECRET_REFERENCE"),
        ({"CALLBACK_API_KEY_HEADER": "x api key"}, "CALLBACK_API_KEY_HEADER"),
        ({"MAX_CALLBACK_BYTES": "0"}, "MAX_CALLBACK_BYTES"),
        ({"MAX_CALLBACK_BYTES": "lots"}, "MAX_CALLBACK_BYTES"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS"),
        ({"EVENTS_TABLE_NAME": ""}, "EVENTS_TABLE_NAME"),
        ({STRIPS_WHITESPACE: "sometimes"}, STRIPS_WHITESPACE),
    ],
)  # fmt: skip
def test_misconfiguration_names_the_variable_to_fix(
    override: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from({**BASE, **override})

    assert refused.value.field == variable
    assert refused.value.status_code == 500
    assert refused.value.code == "configuration_error"


def test_a_missing_table_name_is_reported() -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from({"CALLBACK_SECRET_REFERENCE": BASE["CALLBACK_SECRET_REFERENCE"]})

    assert refused.value.field == "EVENTS_TABLE_NAME"


def test_a_plain_secret_in_the_reference_is_never_echoed_back() -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from({**BASE, "CALLBACK_SECRET_REFERENCE": "hunter2-the-actual-secret"})

    assert "hunter2" not in refused.value.message


def test_mode_none_needs_the_explicit_opt_in() -> None:
    settings = settings_from(
        {**BASE, "CALLBACK_AUTH_MODE": "none", "ALLOW_UNAUTHENTICATED_CALLBACKS": "true"}
    )

    assert settings.auth_mode is AuthMode.NONE
    assert settings.allow_unauthenticated is True


def test_settings_are_read_from_the_environment_on_first_use_and_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    get_settings.cache_clear()
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    try:
        first = get_settings()
        monkeypatch.setenv("RETENTION_DAYS", "3")
        assert get_settings() is first
        get_settings.cache_clear()
        assert get_settings().retention_days == 3
    finally:
        get_settings.cache_clear()


def test_a_failed_validation_is_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.delenv("EVENTS_TABLE_NAME", raising=False)
    monkeypatch.setenv("CALLBACK_SECRET_REFERENCE", BASE["CALLBACK_SECRET_REFERENCE"])
    try:
        with pytest.raises(ConfigurationError):
            get_settings()
        monkeypatch.setenv("EVENTS_TABLE_NAME", "fixed-now")
        assert get_settings().events_table_name == "fixed-now"
    finally:
        get_settings.cache_clear()
