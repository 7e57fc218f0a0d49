"""The settings model against the environment template.yaml gives the function."""

from __future__ import annotations

import re
from typing import Any

import pytest

from alerts.errors import AlertConfigurationError
from alerts.settings import DEFAULT_ALERT_STATUSES, AlertSettings
from local_stack.template import load_template, parameter_defaults, resource
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus

BASE = {"EVENTS_TABLE_NAME": "events", "ALERTS_QUEUE_URL": "https://sqs.test/alerts"}


def _resolve(value: Any, parameters: dict[str, str]) -> str:
    """Enough of CloudFormation to turn the template's variables into deployed strings."""
    if isinstance(value, (str, int, float)):
        return str(value)
    if "Ref" in value:
        name = str(value["Ref"])
        return parameters.get(name, f"resolved-{name}")
    if "Fn::Join" in value:
        separator, items = value["Fn::Join"]
        if isinstance(items, dict):  # a list parameter: its default is already joined by ","
            return _resolve(items, parameters).replace(",", str(separator))
        return str(separator).join(_resolve(item, parameters) for item in items)
    if "Fn::Sub" in value:
        return re.sub(
            r"\$\{([^}]+)\}",
            lambda match: parameters.get(match.group(1), f"resolved-{match.group(1)}"),
            value["Fn::Sub"],
        )
    raise AssertionError(f"unexpected intrinsic {value}")


def template_environment() -> dict[str, str]:
    parameters = parameter_defaults()
    variables = {
        **load_template()["Globals"]["Function"]["Environment"]["Variables"],
        **resource("AlertsFunction")["Properties"]["Environment"]["Variables"],
    }
    return {name: _resolve(value, parameters) for name, value in variables.items()}


def test_the_template_sets_every_setting_and_its_defaults_are_valid() -> None:
    environment = template_environment()

    settings = AlertSettings.from_environment(environment)

    assert {name.upper() for name in AlertSettings.model_fields} - {"PARAMETERS_MAX_AGE"} <= set(
        environment
    )
    assert settings.alert_statuses == DEFAULT_ALERT_STATUSES
    assert settings.alert_channels == frozenset()
    assert settings.alert_codes == frozenset()
    assert settings.storm_threshold == 20
    assert settings.storm_window_seconds == 300
    assert settings.chat_webhooks_enabled is False
    assert settings.chat_webhooks_reference == "ssm:/imiconnect-receipts/dev/alert-webhooks"
    assert settings.parameters_max_age == 300
    assert settings.lookup_base_url.startswith("https://")
    assert settings.operations_topic_arn == "resolved-OpsTopic"


def test_lists_accept_vendor_spellings_and_numbers() -> None:
    settings = AlertSettings.from_environment(
        {
            **BASE,
            "ALERT_STATUSES": "failed, Un-Delivered ,bounce",
            "ALERT_CHANNELS": "SMS,fb,rt",
            "ALERT_CODES": "7208, 7520",
            "CHAT_WEBHOOKS_ENABLED": "true",
            "LOOKUP_BASE_URL": "https://api.example.com/",
        }
    )

    assert settings.alert_statuses == {
        DeliveryStatus.FAILED,
        DeliveryStatus.UNDELIVERED,
        DeliveryStatus.BOUNCED,
    }
    assert settings.alert_channels == {Channel.SMS, Channel.FACEBOOK, Channel.RTM}
    assert settings.alert_codes == {7208, 7520}
    assert settings.chat_webhooks_enabled is True
    assert settings.lookup_base_url == "https://api.example.com"


def test_an_empty_status_list_means_the_final_failures() -> None:
    settings = AlertSettings.from_environment({**BASE, "ALERT_STATUSES": " , "})

    assert settings.alert_statuses == DEFAULT_ALERT_STATUSES


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"ALERT_STATUSES": "failed,exploded"},
            "ALERT_STATUSES: Value error, unknown status 'exploded'",
        ),
        (
            {"ALERT_STATUSES": "failed,Delivered"},
            "ALERT_STATUSES: Value error, status 'Delivered' is not a failure",
        ),
        ({"ALERT_CHANNELS": "pigeon"}, "ALERT_CHANNELS: Value error, unknown channel 'pigeon'"),
        ({"ALERT_CODES": "7208,x1"}, "ALERT_CODES: Value error, alert code 'x1' is not a number"),
        ({"STORM_THRESHOLD": "0"}, "STORM_THRESHOLD"),
        ({"STORM_WINDOW_SECONDS": "5"}, "STORM_WINDOW_SECONDS"),
        ({"ALERTS_QUEUE_URL": ""}, "ALERTS_QUEUE_URL"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(variables: dict[str, str], message: str) -> None:
    with pytest.raises(AlertConfigurationError, match="invalid alerts settings") as raised:
        AlertSettings.from_environment({**BASE, **variables})
    assert message in str(raised.value)


def test_the_table_name_is_required() -> None:
    with pytest.raises(AlertConfigurationError, match="EVENTS_TABLE_NAME"):
        AlertSettings.from_environment({"ALERTS_QUEUE_URL": "https://sqs.test/alerts"})
