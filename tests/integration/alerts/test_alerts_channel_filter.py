"""ALERT_CHANNELS through the handler (DynamoDB, SNS and SQS under moto): a horizon closure
whose channel is not known alerts though the filter names other channels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.alerts.conftest import AlertsEnvironment
from tests.unit.alerts.doubles import (
    FakeLambdaContext,
    failed_ids,
    load_sqs_event,
    sqs_event,
    stored_event_body,
)
from tests.unit.alerts.reconciled_samples import horizon_closure

from alerts.handler import lambda_handler

Inbox = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def only_sms_alerts(alerts_environment: AlertsEnvironment) -> None:
    """The template's variables with AlertChannels=sms and SNS as the only target."""
    alerts_environment(
        ALERT_STATUSES="", ALERT_CHANNELS="sms", ALERT_CODES="", CHAT_WEBHOOKS_ENABLED="false"
    )


@pytest.mark.usefixtures("only_sms_alerts")
def test_the_sample_closure_of_an_unknown_channel_alerts_through_an_sms_only_filter(
    topic_inbox: Inbox,
) -> None:
    response = lambda_handler(
        load_sqs_event("alert-horizon-no-final-receipt.json"), FakeLambdaContext()
    )

    assert failed_ids(response) == []
    (notification,) = topic_inbox()
    assert notification["Subject"] == "No final receipt: Unknown channel after 72 h"
    attributes = notification["MessageAttributes"]
    assert (attributes["channel"]["Value"], attributes["origin"]["Value"]) == (
        "unknown",
        "horizon",
    )


@pytest.mark.usefixtures("only_sms_alerts")
def test_a_closure_on_a_known_channel_the_filter_leaves_out_does_not_alert(
    topic_inbox: Inbox,
) -> None:
    closure = horizon_closure("an-email", channel="email", destination="someone@example.test")

    response = lambda_handler(sqs_event(stored_event_body(closure)), FakeLambdaContext())

    assert failed_ids(response) == []
    assert topic_inbox() == []
