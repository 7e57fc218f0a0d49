"""The operations dashboard in template.yaml: what it shows, and that each metric it names
exists. A metric of this product's namespace must be emitted by a function (each function's
suite checks its own service against what the real code prints: ``*_dashboard_metrics``
tests); a metric of AWS's must name a resource of this template."""

from __future__ import annotations

import re
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


# Every namespace the dashboard may name, and the AWS metrics it shows in each.
AWS_METRICS = {
    "AWS/ApiGateway": {"5xx", "Latency"},
    "AWS/SQS": {"ApproximateNumberOfMessagesVisible"},
    "AWS/Lambda": {"IteratorAge"},
}
_METRIC_ID = re.compile(r"[a-z][A-Za-z0-9_]*")


def test_every_namespace_is_the_products_or_a_known_aws_one() -> None:
    namespaces = {metric.namespace for metric in dashboard_metrics()}

    assert namespaces == {NAMESPACE, *AWS_METRICS}
    for namespace, names in AWS_METRICS.items():
        assert {m.name for m in _named(namespace)} == names


def test_the_functions_emit_into_the_namespace_the_dashboard_reads() -> None:
    # The suites emit into NAMESPACE by setting it; this ties it to what Lambda sets.
    globals_ = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert globals_["POWERTOOLS_METRICS_NAMESPACE"] == {"Fn::Sub": "imiconnect-receipts/${Stage}"}
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert "POWERTOOLS_METRICS_NAMESPACE" not in variables


def test_every_metric_math_id_is_valid_and_defined_in_its_widget() -> None:
    for widget in dashboard_body()["widgets"]:
        options = [
            part
            for row in widget["properties"]["metrics"]
            for part in row
            if isinstance(part, dict)
        ]
        ids = {option["id"] for option in options if "id" in option}
        assert all(_METRIC_ID.fullmatch(identifier) for identifier in ids), ids
        for option in options:
            expression = option.get("expression", "")
            if expression.startswith("SEARCH("):
                continue
            used = set(re.findall(r"\b[a-z][A-Za-z0-9_]*\b", expression))
            assert used <= ids, (expression, ids)


def test_every_metric_of_the_product_belongs_to_a_checked_service() -> None:
    ours = _named(NAMESPACE)

    assert ours
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
