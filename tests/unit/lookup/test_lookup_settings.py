"""Settings come from the environment the template sets, and refuse what would be unsafe."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.template import parameter_defaults, resource
from lookup.settings import LookupConfigurationError, LookupSettings, settings_from

ENVIRONMENT = {
    "VENDOR_BASE_URL": "https://api.imiconnect.io",
    "VENDOR_TIMEOUT_SECONDS": "4",
    "VENDOR_SERVICE_KEY_REFERENCE": "ssm:/imiconnect-receipts/dev/vendor-service-key",
    "LOOKUP_API_KEYS_REFERENCE": "ssm:/imiconnect-receipts/dev/lookup-api-keys",
    "NON_FINAL_CACHE_SECONDS": "30",
    "FINAL_CACHE_SECONDS": "86400",
    "EVENTS_TABLE_NAME": "events",
}


def _template_environment() -> dict[str, str]:
    """LookupFunction's variables with every !Ref / !Sub resolved to the parameters' defaults."""
    defaults = {**parameter_defaults(), "EventsTable": "events"}

    def resolve(value: Any) -> str:
        if isinstance(value, dict) and "Ref" in value:
            return defaults[value["Ref"]]
        if isinstance(value, dict) and "Fn::Sub" in value:
            text = value["Fn::Sub"]
            for name, default in defaults.items():
                text = text.replace("${" + name + "}", default)
            return str(text)
        return str(value)

    function = resource("LookupFunction")["Properties"]["Environment"]["Variables"]
    globals_ = {"EVENTS_TABLE_NAME": {"Ref": "EventsTable"}}
    return {name: resolve(value) for name, value in {**globals_, **function}.items()}


def test_the_templates_variables_with_their_defaults_are_valid_settings() -> None:
    settings = settings_from(_template_environment())

    assert settings.vendor_base_url == "https://api.imiconnect.io"
    assert settings.vendor_max_attempts == 3
    assert settings.stale_serving_seconds == 86400
    assert settings.vendor_service_key_reference.startswith("ssm:/")


def test_every_setting_the_function_reads_without_a_default_is_set_by_the_template() -> None:
    template_variables = set(_template_environment())
    required = {
        str(field.alias) for field in LookupSettings.model_fields.values() if field.is_required()
    }

    assert required <= template_variables


def test_defaults_apply_to_what_is_not_set() -> None:
    settings = settings_from(ENVIRONMENT)

    assert settings.vendor_max_attempts == 3
    assert settings.vendor_budget_seconds == 12.0
    assert settings.memory_cache_entries == 5000
    assert settings.final_fresh_for.total_seconds() == 86400
    assert settings.non_final_fresh_for.total_seconds() == 30


@pytest.mark.parametrize(
    "url",
    ["http://api.imiconnect.io", "ftp://api.imiconnect.io", "https://", "https://h/x?q=1"],
)
def test_an_unsafe_or_malformed_vendor_url_is_refused(url: str) -> None:
    with pytest.raises(LookupConfigurationError) as refused:
        settings_from({**ENVIRONMENT, "VENDOR_BASE_URL": url})

    assert refused.value.variable == "VENDOR_BASE_URL"


def test_plain_http_is_allowed_for_a_simulator_on_loopback() -> None:
    settings = settings_from({**ENVIRONMENT, "VENDOR_BASE_URL": "http://127.0.0.1:4010"})

    assert settings.vendor_base_url == "http://127.0.0.1:4010"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VENDOR_SERVICE_KEY_REFERENCE", "plain-secret-value"),
        ("LOOKUP_API_KEYS_REFERENCE", "vault:/keys"),
        ("VENDOR_TIMEOUT_SECONDS", "30"),
        ("VENDOR_MAX_ATTEMPTS", "0"),
        ("NON_FINAL_CACHE_SECONDS", "-1"),
    ],
)
def test_a_bad_variable_is_named(variable: str, value: str) -> None:
    with pytest.raises(LookupConfigurationError) as refused:
        settings_from({**ENVIRONMENT, variable: value})

    assert refused.value.variable == variable


def test_a_missing_variable_is_named() -> None:
    environment = dict(ENVIRONMENT)
    del environment["EVENTS_TABLE_NAME"]

    with pytest.raises(LookupConfigurationError) as refused:
        settings_from(environment)

    assert refused.value.variable == "EVENTS_TABLE_NAME"


def test_the_error_says_what_to_do() -> None:
    with pytest.raises(LookupConfigurationError) as refused:
        settings_from({**ENVIRONMENT, "VENDOR_BASE_URL": "http://api.imiconnect.io"})

    assert str(refused.value) == ("VENDOR_BASE_URL must use https:// (http is for 127.0.0.1 only)")
