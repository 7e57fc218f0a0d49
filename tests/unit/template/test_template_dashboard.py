"""The operations dashboard in template.yaml: what it shows, and that each metric it names
exists. A metric of this product's namespace must be emitted by a function (each function's
suite checks its own service against what the real code prints: ``*_dashboard_metrics``
tests); a metric of AWS's must name a resource of this template."""

from __future__ import annotations

from typing import Any

import pytest
from tests.dashboard_metrics import NAMESPACE, MetricRef, dashboard_body, dashboard_metrics

from local_stack.template import load_template
from receipts.channels import Channel

RESOURCES: dict[str, Any] = load_template()["Resources"]
# The functions' services whose suites check the dashboard's metrics against what they emit.
CHECKED_SERVICES = {"ingest", "alerts", "reconcile", "stream-consumer"}


def _titles() -> list[str]:
    return [widget["properties"]["title"] for widget in dashboard_body()["widgets"]]


def _named(namespace: str) -> list[MetricRef]:
    return [metric for metric in dashboard_metrics() if metric.namespace == namespace]


def _resource(reference: str | None) -> tuple[str, str]:
    """``<Logical.Attribute>`` as the dashboard's ${...} left it: (logical id, attribute)."""
    assert reference and reference.startswith("<") and reference.endswith(">"), reference
    logical, _, attribute = reference[1:-1].partition(".")
    assert logical in RESOURCES, f"the dashboard names {logical}, which the template lacks"
    return logical, attribute


def test_every_metric_of_the_product_belongs_to_a_checked_service() -> None:
    ours = [m for m in dashboard_metrics() if m.namespace.startswith("imiconnect-receipts")]

    assert ours
    assert {m.namespace for m in ours} == {NAMESPACE}
    assert {dict(m.dimensions).get("service") for m in ours} <= CHECKED_SERVICES


def test_every_queue_depth_is_a_dead_letter_queue_of_the_template() -> None:
    queues = {_resource(dict(m.dimensions)["QueueName"]) for m in _named("AWS/SQS")}
    dead_letter_queues = {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" in name
    }

    assert {logical for logical, _ in queues} == dead_letter_queues
    assert {attribute for _, attribute in queues} == {"QueueName"}


def test_the_webhooks_errors_and_latency_are_its_own_routes() -> None:
    api = _named("AWS/ApiGateway")
    routes = RESOURCES["HttpApi"]["Properties"]["RouteSettings"]

    assert {m.name for m in api} == {"5xx", "Latency"}
    for metric in api:
        dimensions = dict(metric.dimensions)
        assert _resource(dimensions["ApiId"]) == ("HttpApi", "")
        route = f"{dimensions['Method']} {dimensions['Resource']}"
        # Route-level metrics exist only where detailed metrics are on.
        assert routes[route]["DetailedMetricsEnabled"] is True
        assert dimensions["Stage"] == "$default"
    latency = dashboard_body()["widgets"][1]["properties"]["metrics"][1][-1]
    assert latency["stat"] == "p99"


def test_the_lambda_metrics_name_functions_of_the_template() -> None:
    for metric in _named("AWS/Lambda"):
        logical, _ = _resource(dict(metric.dimensions)["FunctionName"])
        assert RESOURCES[logical]["Type"] == "AWS::Serverless::Function"


@pytest.mark.parametrize(
    ("service", "names"),
    [
        ("ingest", {"CallbacksAccepted", "Duplicates", "Quarantined", "AuthFailures"}),
        ("alerts", {"AlertsSentToTarget", "AlertTargetFailures"}),
        ("reconcile", {"TransactionsWatched", "TransactionsReconciled", "VendorCalls"}),
        ("stream-consumer", {"TransactionsCounted", "TransactionsDelivered"}),
    ],
)
def test_the_dashboard_shows_what_an_operator_needs(service: str, names: set[str]) -> None:
    shown = {m.name for m in _named(NAMESPACE) if dict(m.dimensions)["service"] == service}

    assert names <= shown


def test_alerts_are_shown_per_target() -> None:
    for metric in _named(NAMESPACE):
        if dict(metric.dimensions)["service"] == "alerts":
            assert dict(metric.dimensions) == {"service": "alerts", "target": None}


def test_the_delivery_rate_covers_every_known_channel() -> None:
    channels = {
        dict(m.dimensions)["channel"]
        for m in _named(NAMESPACE)
        if m.name in {"TransactionsCounted", "TransactionsDelivered"}
    }

    assert channels == {channel.value for channel in Channel if channel is not Channel.UNKNOWN}
    assert any("Delivery rate per channel" in title for title in _titles())
