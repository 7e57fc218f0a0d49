"""Campaign capacity in template.yaml: throttles, pre-warming, and the alarms that catch a
campaign's callbacks being lost."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from ingest.observability import SERVICE, Metric
from local_stack.intrinsics import Evaluator, resolve_parameters
from local_stack.template import load_template, resource, table_definition

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
METRICS_NAMESPACE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][
    "POWERTOOLS_METRICS_NAMESPACE"
]
OPS_TOPIC = [{"Ref": "OpsTopic"}]

# The campaign the defaults are sized for, and API Gateway's regional account defaults.
CAMPAIGN_CALLBACKS_PER_HOUR = 10_000_000
PEAK_TO_AVERAGE = 3
ACCOUNT_THROTTLE_RATE = 10_000
ACCOUNT_THROTTLE_BURST = 5_000
WEBHOOK_ROUTE_KEY = "POST /callbacks"


def _default(parameter: str) -> float:
    return float(PARAMETERS[parameter]["Default"])


def _route_keys(function: str) -> set[str]:
    events = resource(function)["Properties"]["Events"]
    return {
        f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
        for event in events.values()
        if event["Type"] == "HttpApi"
    }


# ---- throttles ---------------------------------------------------------------------------


def test_the_webhook_route_has_its_own_throttle_from_parameters() -> None:
    route_settings = resource("HttpApi")["Properties"]["RouteSettings"]

    assert WEBHOOK_ROUTE_KEY in _route_keys("IngestFunction")
    assert route_settings == {
        WEBHOOK_ROUTE_KEY: {
            "ThrottlingRateLimit": {"Ref": "WebhookThrottleRate"},
            "ThrottlingBurstLimit": {"Ref": "WebhookThrottleBurst"},
            # The operations dashboard's route-level 5xx and latency.
            "DetailedMetricsEnabled": True,
        }
    }


def test_every_other_route_keeps_the_lookup_throttle() -> None:
    defaults = resource("HttpApi")["Properties"]["DefaultRouteSettings"]

    assert defaults == {
        "ThrottlingRateLimit": {"Ref": "LookupThrottleRate"},
        "ThrottlingBurstLimit": {"Ref": "LookupThrottleBurst"},
    }
    assert (_default("LookupThrottleRate"), _default("LookupThrottleBurst")) == (1000, 500)


def test_the_webhook_defaults_take_a_campaign_peak_within_the_account_limit() -> None:
    peak_per_second = math.ceil(CAMPAIGN_CALLBACKS_PER_HOUR / 3600 * PEAK_TO_AVERAGE)
    rate = _default("WebhookThrottleRate")
    burst = _default("WebhookThrottleBurst")

    assert peak_per_second == 8334
    assert peak_per_second <= rate <= ACCOUNT_THROTTLE_RATE
    # The bucket absorbs half a second of the peak; more than the account's burst is unusable.
    assert peak_per_second / 2 <= burst <= ACCOUNT_THROTTLE_BURST


@pytest.mark.parametrize(
    "parameter",
    ["WebhookThrottleRate", "WebhookThrottleBurst", "LookupThrottleRate", "LookupThrottleBurst"],
)
def test_throttle_parameters_are_positive_numbers(parameter: str) -> None:
    assert PARAMETERS[parameter]["Type"] == "Number"
    assert PARAMETERS[parameter]["MinValue"] >= 1


# ---- table pre-warming -------------------------------------------------------------------


def _warm_throughputs(overrides: dict[str, str] | None = None) -> Iterator[tuple[str, Any]]:
    """(table or index name, resolved WarmThroughput or None) as CloudFormation would deploy."""
    evaluator = Evaluator(TEMPLATE, resolve_parameters(TEMPLATE, overrides))
    table = resource("EventsTable")["Properties"]
    assert "WarmThroughput" in table
    yield "EventsTable", evaluator.evaluate(table["WarmThroughput"])
    for index in table["GlobalSecondaryIndexes"]:
        assert "WarmThroughput" in index, f"{index['IndexName']} is never pre-warmed"
        yield index["IndexName"], evaluator.evaluate(index["WarmThroughput"])


def test_the_table_is_not_pre_warmed_by_default() -> None:
    assert _default("TableWarmWriteUnitsPerSecond") == 0

    resolved = dict(_warm_throughputs())

    # AWS::NoValue resolves to None: the property is left out of the deployed table.
    assert len(resolved) == 1 + len(resource("EventsTable")["Properties"]["GlobalSecondaryIndexes"])
    assert all(value is None for value in resolved.values()), resolved


def test_a_warm_write_rate_pre_warms_the_table_and_every_index() -> None:
    resolved = dict(_warm_throughputs({"TableWarmWriteUnitsPerSecond": "25000"}))

    assert all(value == {"WriteUnitsPerSecond": "25000"} for value in resolved.values()), resolved


def test_local_tables_are_created_without_the_deploy_time_warm_throughput() -> None:
    definition = table_definition()

    for index in definition["GlobalSecondaryIndexes"]:
        assert set(index) == {"IndexName", "KeySchema", "Projection"}
    assert "WarmThroughput" not in definition


# ---- alarms ------------------------------------------------------------------------------


def _alarm(name: str) -> dict[str, Any]:
    alarm = resource(name)
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    properties: dict[str, Any] = alarm["Properties"]
    assert properties["AlarmActions"] == OPS_TOPIC
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmDescription"].strip()
    return properties


def _metric_queries(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Query id -> metric of an alarm over metric math."""
    return {
        query["Id"]: query["MetricStat"]["Metric"]
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }


def _expression(alarm: dict[str, Any]) -> str:
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return str(returned["Expression"])


def _assert_ingest_metric(metric: dict[str, Any]) -> None:
    assert metric["Namespace"] == METRICS_NAMESPACE
    assert metric["Dimensions"] == [{"Name": "service", "Value": SERVICE}]


def test_authentication_failing_with_nothing_accepted_alarms() -> None:
    alarm = _alarm("CallbackAuthFailingAlarm")
    queries = _metric_queries(alarm)

    assert {metric["MetricName"] for metric in queries.values()} == {
        Metric.AUTH_FAILURES,
        "Invocations",
    }
    by_name = {metric["MetricName"]: query_id for query_id, metric in queries.items()}
    _assert_ingest_metric(queries[by_name[Metric.AUTH_FAILURES]])
    # Invocations, not CallbacksAccepted: when every callback is refused, the latter has no
    # data at all, and an expression over a series without data yields none (no alarm).
    invocations = queries[by_name["Invocations"]]
    assert invocations["Namespace"] == "AWS/Lambda"
    assert invocations["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "IngestFunction"}}
    ]
    failures, calls = by_name[Metric.AUTH_FAILURES], by_name["Invocations"]
    assert _expression(alarm) == f"IF({failures} > 0 AND {failures} >= {calls}, 1, 0)"
    assert {
        query["MetricStat"]["Period"] for query in alarm["Metrics"] if "MetricStat" in query
    } == {300}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_rejected_callbacks_above_the_threshold_alarm() -> None:
    alarm = _alarm("CallbacksRejectedAlarm")

    assert alarm["MetricName"] == Metric.QUARANTINED
    _assert_ingest_metric(alarm)
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", 300)
    assert alarm["Threshold"] == {"Ref": "RejectedCallbacksAlarmThreshold"}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert _default("RejectedCallbacksAlarmThreshold") > 0


def _dead_letter_targets(value: Any) -> Iterator[Any]:
    """Every ARN the template names as a dead-letter target, wherever it is configured."""
    if isinstance(value, list):
        for item in value:
            yield from _dead_letter_targets(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "RedrivePolicy":
                yield item["deadLetterTargetArn"]
            elif key in ("DeadLetterConfig", "DeadLetterQueue"):
                yield item.get("Arn", item.get("TargetArn"))
            else:
                yield from _dead_letter_targets(item)


def _dead_letter_queues() -> list[str]:
    queues = set()
    for target in _dead_letter_targets(RESOURCES):
        logical_id, attribute = target["Fn::GetAtt"]
        assert attribute == "Arn"
        assert RESOURCES[logical_id]["Type"] == "AWS::SQS::Queue"
        queues.add(logical_id)
    return sorted(queues)


DEAD_LETTER_QUEUES = _dead_letter_queues()


def test_the_dead_letter_queues_are_found() -> None:
    assert {"AlertsDeadLetterQueue", "AlertsPipeDeadLetterQueue"} <= set(DEAD_LETTER_QUEUES)


def _age_alarms_of(queue: str) -> list[dict[str, Any]]:
    age_of_queue = {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateAgeOfOldestMessage",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
    }
    return [
        _alarm(name)
        for name, candidate in RESOURCES.items()
        if candidate["Type"] == "AWS::CloudWatch::Alarm"
        and "Metrics" in candidate["Properties"]
        and age_of_queue in _metric_queries(candidate["Properties"]).values()
    ]


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_every_dead_letter_queue_alarms_on_the_age_of_its_oldest_message(queue: str) -> None:
    (alarm,) = _age_alarms_of(queue)
    (age_seconds,) = _metric_queries(alarm)

    assert alarm["Threshold"] == {"Ref": "DeadLetterMaxAgeMinutes"}
    # The metric is in seconds and the parameter in minutes.
    assert _expression(alarm) == f"{age_seconds} / 60"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    retention_minutes = RESOURCES[queue]["Properties"]["MessageRetentionPeriod"] / 60
    assert _default("DeadLetterMaxAgeMinutes") < retention_minutes
