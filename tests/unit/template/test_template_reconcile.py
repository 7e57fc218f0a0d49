"""The reconcile sweep in template.yaml: its schedule, settings, one-at-a-time runs and alarms,
and the lookup's route that registers transactions for it to watch."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.intrinsics import Evaluator, TemplateError, resolve_parameters
from local_stack.template import load_template, resource

TEMPLATE = load_template()
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
METRICS_NAMESPACE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][
    "POWERTOOLS_METRICS_NAMESPACE"
]
RECONCILE = resource("ReconcileFunction")["Properties"]
RECONCILE_VARIABLES: dict[str, Any] = RECONCILE["Environment"]["Variables"]
LOOKUP_VARIABLES: dict[str, Any] = resource("LookupFunction")["Properties"]["Environment"][
    "Variables"
]
# Every counter the sweep emits, as EMF metrics under its service dimension.
RECONCILE_METRICS = {
    "VendorCalls",
    "VendorFailures",
    "TransactionsChecked",
    "TransactionsReconciled",
    "FailuresFound",
    "StillOpen",
    "ClosedAtHorizon",
}


def _evaluate(value: Any, overrides: dict[str, str] | None = None) -> Any:
    return Evaluator(TEMPLATE, resolve_parameters(TEMPLATE, overrides)).evaluate(value)


# ---- the schedule ------------------------------------------------------------------------


def _schedule() -> dict[str, Any]:
    (event,) = RECONCILE["Events"].values()
    assert event["Type"] == "Schedule"
    properties: dict[str, Any] = event["Properties"]
    return properties


@pytest.mark.parametrize(
    ("minutes", "expression"),
    [("1", "rate(1 minute)"), ("5", "rate(5 minutes)"), ("60", "rate(60 minutes)")],
)
def test_the_sweep_runs_at_the_interval_in_a_rate_expression_eventbridge_accepts(
    minutes: str, expression: str
) -> None:
    schedule = _evaluate(_schedule()["Schedule"], {"ReconcileIntervalMinutes": minutes})

    assert schedule == expression


def test_the_default_interval_is_five_minutes() -> None:
    assert _evaluate(_schedule()["Schedule"]) == "rate(5 minutes)"


@pytest.mark.parametrize("minutes", ["0", "61"])
def test_an_interval_outside_one_to_sixty_minutes_is_refused(minutes: str) -> None:
    with pytest.raises(TemplateError):
        resolve_parameters(TEMPLATE, {"ReconcileIntervalMinutes": minutes})


# ---- the function ------------------------------------------------------------------------


def test_the_sweep_runs_one_at_a_time_for_up_to_five_minutes() -> None:
    assert RECONCILE["Handler"] == "reconcile.handler.lambda_handler"
    assert RECONCILE["ReservedConcurrentExecutions"] == 1
    assert RECONCILE["Timeout"] == 300


def test_a_failed_run_is_not_retried_behind_the_next_scheduled_one() -> None:
    assert RECONCILE["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    # A run that could not start within one timeout is dropped, not queued for hours.
    assert RECONCILE["EventInvokeConfig"]["MaximumEventAgeInSeconds"] <= RECONCILE["Timeout"]


def test_the_sweep_takes_its_settings_from_the_parameters() -> None:
    assert RECONCILE_VARIABLES["POWERTOOLS_SERVICE_NAME"] == "reconcile"
    assert {
        name: value for name, value in RECONCILE_VARIABLES.items() if name.startswith("RECONCILE_")
    } == {
        "RECONCILE_AFTER_MINUTES": {"Ref": "ReconcileAfterMinutes"},
        "RECONCILE_MAX_PER_RUN": {"Ref": "ReconcileMaxPerRun"},
        "RECONCILE_MAX_CALLS_PER_SECOND": {"Ref": "ReconcileMaxCallsPerSecond"},
        "RECONCILE_HORIZON_HOURS": {"Ref": "ReconcileHorizonHours"},
    }
    assert RECONCILE_VARIABLES["ALERT_ON_NO_RECEIPT"] == {"Ref": "AlertOnNoReceipt"}


def test_the_sweep_asks_the_same_vendor_with_the_same_key_as_the_lookup() -> None:
    for name in ("VENDOR_BASE_URL", "VENDOR_TIMEOUT_SECONDS", "VENDOR_SERVICE_KEY_REFERENCE"):
        assert RECONCILE_VARIABLES[name] == LOOKUP_VARIABLES[name], name


@pytest.mark.parametrize(
    ("parameter", "default", "bounds"),
    [
        ("ReconcileIntervalMinutes", 5, (1, 60)),
        ("ReconcileAfterMinutes", 15, (1, 1440)),
        ("ReconcileMaxPerRun", 2000, (1, 100000)),
        ("ReconcileMaxCallsPerSecond", 5, (1, 100)),
        ("ReconcileHorizonHours", 72, (1, 720)),
    ],
)
def test_the_sweeps_numbers_are_bounded_parameters(
    parameter: str, default: int, bounds: tuple[int, int]
) -> None:
    spec = PARAMETERS[parameter]

    assert spec["Type"] == "Number"
    assert spec["Default"] == default
    assert (spec["MinValue"], spec["MaxValue"]) == bounds
    assert spec["Description"].strip()


def test_a_transaction_closed_with_no_receipt_alerts_unless_switched_off() -> None:
    spec = PARAMETERS["AlertOnNoReceipt"]

    assert spec["Default"] == "true"
    assert set(spec["AllowedValues"]) == {"true", "false"}


def test_the_call_rate_is_documented_as_sparing_the_tenants_quota() -> None:
    assert "quota" in PARAMETERS["ReconcileMaxCallsPerSecond"]["Description"]


# ---- the lookup's route ------------------------------------------------------------------


def test_the_lookup_registers_watches_on_post_v1_reconcile() -> None:
    event = resource("LookupFunction")["Properties"]["Events"]["Reconcile"]

    assert event["Type"] == "HttpApi"
    assert event["Properties"] == {
        "ApiId": {"Ref": "HttpApi"},
        "Path": "/v1/reconcile",
        "Method": "POST",
    }


def test_the_lookup_schedules_a_registered_watch_with_the_sweeps_settings() -> None:
    for name in ("RECONCILE_AFTER_MINUTES", "RECONCILE_HORIZON_HOURS"):
        assert LOOKUP_VARIABLES[name] == RECONCILE_VARIABLES[name], name


# ---- alarms ------------------------------------------------------------------------------


def _alarm(name: str) -> dict[str, Any]:
    alarm = resource(name)
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    properties: dict[str, Any] = alarm["Properties"]
    assert properties["AlarmActions"] == [{"Ref": "OpsTopic"}]
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmDescription"].strip()
    return properties


def test_the_sweep_crashing_or_timing_out_alarms() -> None:
    alarm = _alarm("ReconcileErrorsAlarm")

    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ReconcileFunction"}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_an_hour_of_failing_status_api_calls_alarms() -> None:
    alarm = _alarm("ReconcileVendorFailingAlarm")
    queries = {
        query["Id"]: query["MetricStat"] for query in alarm["Metrics"] if "MetricStat" in query
    }
    by_name = {stat["Metric"]["MetricName"]: query_id for query_id, stat in queries.items()}
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]

    assert set(by_name) == {"VendorFailures", "VendorCalls"}
    assert set(by_name) <= RECONCILE_METRICS
    for stat in queries.values():
        assert stat["Metric"]["Namespace"] == METRICS_NAMESPACE
        assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": "reconcile"}]
        assert (stat["Period"], stat["Stat"]) == (3600, "Sum")
    failures, calls = by_name["VendorFailures"], by_name["VendorCalls"]
    # A period with calls and no failure has no VendorFailures point: it counts as 0.
    assert returned["Expression"] == f"FILL({failures}, 0) / {calls}"
    # One period of an hour: whatever the runs' interval, an hour's calls are in it (a run
    # emits its counters when it ends, so shorter periods can be empty while it fails).
    assert alarm["EvaluationPeriods"] == 1
    assert alarm.get("DatapointsToAlarm", 1) == 1
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        0.5,
        "GreaterThanOrEqualToThreshold",
    )
