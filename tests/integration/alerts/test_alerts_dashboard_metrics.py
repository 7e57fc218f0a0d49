"""The operations dashboard's alerts metrics are the ones the real handler emits.

The dashboard searches ``AlertsSentToTarget`` and ``AlertTargetFailures`` by name, one series
per ``target``: a renamed metric or dimension would leave its graph empty without any error.
So one alert is delivered through the handler while one webhook fails, and every alerts
metric the dashboard names must be among the EMF lines printed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest
from tests.dashboard_metrics import NAMESPACE, emitted, missing, of_service
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.alerts.conftest import webhooks_document
from tests.unit.alerts.doubles import FakeLambdaContext, alert_body, failed_ids, sqs_event

from alerts.handler import lambda_handler
from alerts.http_client import Urllib3Poster
from alerts.observability import metrics
from alerts.service import AlertService
from alerts.targets import SnsTarget, chat_targets
from alerts.webhook_config import parse_chat_webhooks

ServiceFactory = Callable[..., AlertService]
FAILING_TARGET = "teams"


@pytest.fixture
def dashboard_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The namespace the dashboard names (STAGE "test"), not the suite's own.

    Powertools keeps the namespace its ``Metrics`` read at import (the suite's conftest sets
    its own there), so the object is set too; monkeypatch restores both."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setattr(metrics, "namespace", NAMESPACE)


@pytest.fixture
def printed_by_a_partial_delivery(
    dashboard_namespace: None,
    make_service: ServiceFactory,
    receiver: WebhookReceiver,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """What the handler printed delivering one alert that every target but one takes."""
    # As many 503s as the poster's attempts: the target fails for this delivery.
    receiver.fail_next(3, status=503, path=f"/{FAILING_TARGET}")
    capsys.readouterr()

    response = lambda_handler(
        sqs_event(alert_body("36-email-bounce")), FakeLambdaContext(), service=make_service()
    )

    # The record comes back for the failed target: both outcomes happened.
    assert failed_ids(response) == ["m-1"]
    return capsys.readouterr().out


def _configured_target_names(receiver: WebhookReceiver) -> set[str]:
    """The targets make_service configures: the topic and the chat webhooks of its document."""
    webhooks = chat_targets(parse_chat_webhooks(webhooks_document(receiver)), Urllib3Poster())
    return {SnsTarget.name, *(target.name for target in webhooks)}


def _targets_per_metric(output: str) -> dict[str, set[str | None]]:
    targets: defaultdict[str, set[str | None]] = defaultdict(set)
    for metric in emitted(output):
        if metric.namespace != NAMESPACE:
            continue
        dimensions = dict(metric.dimensions)
        if "target" in dimensions:
            targets[metric.name].add(dimensions["target"])
    return dict(targets)


def test_the_dashboard_names_alerts_metrics() -> None:
    # Otherwise the next test would pass by checking nothing.
    assert {metric.name for metric in of_service("alerts")} == {
        "AlertsSentToTarget",
        "AlertTargetFailures",
    }


def test_every_alerts_metric_on_the_dashboard_is_emitted(
    printed_by_a_partial_delivery: str,
) -> None:
    assert missing(of_service("alerts"), printed_by_a_partial_delivery) == []


def test_each_target_metric_names_a_configured_target(
    printed_by_a_partial_delivery: str, receiver: WebhookReceiver
) -> None:
    configured = _configured_target_names(receiver)
    assert FAILING_TARGET in configured and len(configured) > 1  # both metrics have a target

    # One series per configured target: what took the alert, and the one that did not.
    assert _targets_per_metric(printed_by_a_partial_delivery) == {
        "AlertsSentToTarget": configured - {FAILING_TARGET},
        "AlertTargetFailures": {FAILING_TARGET},
    }
