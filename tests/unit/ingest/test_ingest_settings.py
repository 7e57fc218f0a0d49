"""The ingest settings: the template's variables, their defaults, and what is refused."""

from __future__ import annotations

import dataclasses

import pytest
from tests.fresh_interpreter import output_of

from ingest.errors import ConfigurationError
from ingest.settings import VARIABLES, AuthMode, IngestSettings, get_settings, settings_from
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

    # Then every one but the Powertools service name is a setting
    assert set(variables) - {"POWERTOOLS_SERVICE_NAME"} <= set(VARIABLES)
    assert len(VARIABLES) == len(set(VARIABLES)) == len(dataclasses.fields(IngestSettings))


def test_reading_the_settings_never_imports_pydantic() -> None:
    # pydantic would cost every cold start its import
    output = output_of(
        "import sys\n"
        "from ingest.settings import settings_from\n"
        "settings_from({'EVENTS_TABLE_NAME': 'events', 'CALLBACK_SECRET_REFERENCE': 'ssm:/s'})\n"
        "print('pydantic loaded:', 'pydantic' in sys.modules)\n"
    )

    assert "pydantic loaded: False" in output, output


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


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True), ("t", True),
     ("y", True), ("false", False), ("False", False), ("0", False), ("no", False),
     ("OFF", False), ("f", False), ("n", False)],
)  # fmt: skip
def test_a_boolean_takes_the_usual_spellings_in_any_case(spelling: str, expected: bool) -> None:
    settings = settings_from({**BASE, STRIPS_WHITESPACE: spelling})

    assert settings.signature_strips_whitespace is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2048", 2048), (" 2048 ", 2048), ("+2048", 2048), ("2_048", 2048), ("2048.0", 2048),
     ("02048", 2048)],
)  # fmt: skip
def test_a_whole_number_may_have_spaces_a_sign_underscores_or_a_zero_fraction(
    text: str, expected: int
) -> None:
    assert settings_from({**BASE, "MAX_CALLBACK_BYTES": text}).max_callback_bytes == expected


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"MAX_CALLBACK_BYTES": "6291457"}, "MAX_CALLBACK_BYTES: must be at most 6291456"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS: must be at least 1"),
        ({"RETENTION_DAYS": "2.5"}, "RETENTION_DAYS: must be a whole number"),
        ({"ACCEPTED_LOG_SAMPLE_RATE": "nan"}, "ACCEPTED_LOG_SAMPLE_RATE: must be a finite number"),
        ({"EVENTS_TABLE_NAME": "ab"}, "EVENTS_TABLE_NAME: must be at least 3 characters long"),
        ({"CALLBACK_AUTH_MODE": "digest"},
         "CALLBACK_AUTH_MODE: must be one of 'hub-signature', 'basic', 'api-key', 'none'"),
        ({STRIPS_WHITESPACE: " true"}, f"{STRIPS_WHITESPACE}: must be true or false"),
    ],
)  # fmt: skip
def test_the_message_names_the_variable_and_the_rule(
    override: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from({**BASE, **override})

    assert refused.value.message.startswith(message)


def test_the_first_broken_variable_is_reported_before_the_rules_across_variables() -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from(
            {
                "CALLBACK_AUTH_MODE": "none",  # without the opt-in: refused, but only later
                "RETENTION_DAYS": "0",
                "ACCEPTED_LOG_SAMPLE_RATE": "2",
            }
        )

    # EVENTS_TABLE_NAME is missing, and comes before RETENTION_DAYS
    assert refused.value.field == "EVENTS_TABLE_NAME"
    assert refused.value.message == "EVENTS_TABLE_NAME: must be set"


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
