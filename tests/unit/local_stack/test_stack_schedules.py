"""Schedules locally: rate expressions from the template, and the worker that runs them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from local_stack.__main__ import build_parser, options_from_arguments
from local_stack.functions import (
    FunctionSpec,
    ScheduleTrigger,
    function_specs,
    schedule_interval_seconds,
)
from local_stack.intrinsics import Evaluator, TemplateError, resolve_parameters
from local_stack.lambda_runtime import LocalFunction
from local_stack.scheduler import ScheduleWorker, console_event, scheduled_event
from local_stack.stack import LocalStack, StackOptions
from local_stack.template import load_template

TEMPLATE = load_template()
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/reconcile-schedule"


# ---- rate expressions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(3 days)", 259200),
        (" rate( 10 minutes ) ", 600),
    ],
)
def test_a_rate_expression_gives_its_interval(expression: str, seconds: int) -> None:
    assert schedule_interval_seconds(expression) == seconds


def test_a_cron_expression_is_refused_clearly_for_now() -> None:
    with pytest.raises(TemplateError, match=r"cron\(\) expressions do not run locally"):
        schedule_interval_seconds("cron(0/5 * * * ? *)")


@pytest.mark.parametrize(
    "expression",
    ["rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(5 seconds)", "every 5m", ""],
)
def test_what_eventbridge_would_refuse_is_refused(expression: str) -> None:
    with pytest.raises(TemplateError):
        schedule_interval_seconds(expression)


def _specs(overrides: dict[str, str] | None = None) -> dict[str, FunctionSpec]:
    evaluator = Evaluator(
        TEMPLATE,
        resolve_parameters(TEMPLATE, overrides),
        resolve_resource=lambda logical_id, attribute: f"{logical_id}.{attribute}",
    )
    return function_specs(TEMPLATE, evaluator)


@pytest.mark.parametrize(
    ("minutes", "expression", "seconds"),
    [(None, "rate(5 minutes)", 300), ("1", "rate(1 minute)", 60)],
)
def test_the_templates_schedules_become_triggers_of_the_reconcile_functions(
    minutes: str | None, expression: str, seconds: int
) -> None:
    overrides = {"ReconcileIntervalMinutes": minutes} if minutes else None
    specs = _specs(overrides)

    assert specs["ReconcileFunction"].schedules == (
        ScheduleTrigger("ReconcileFunction", expression, seconds, name="Sweep"),
    )
    # Discovery: a schedule per part, its constant input naming the part
    assert specs["ReconcileDiscoveryFunction"].schedules == tuple(
        ScheduleTrigger(
            "ReconcileDiscoveryFunction",
            expression,
            seconds,
            input={"part": part, "parts": 4},
            name=f"Part{part}",
        )
        for part in range(4)
    )
    scheduled = {"ReconcileFunction", "ReconcileDiscoveryFunction"}
    assert all(not spec.schedules for name, spec in specs.items() if name not in scheduled)


def _template_with_schedule(properties: dict[str, Any], event_type: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Sweep": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "sweep.handler.lambda_handler",
                    "Events": {"Tick": {"Type": event_type, "Properties": properties}},
                },
            }
        }
    }


def test_a_schedule_v2_event_and_a_disabled_schedule() -> None:
    v2 = _template_with_schedule({"ScheduleExpression": "rate(2 hours)"}, "ScheduleV2")
    disabled = _template_with_schedule({"Schedule": "rate(1 day)", "State": "DISABLED"}, "Schedule")

    (trigger,) = function_specs(v2, Evaluator(v2, {}))["Sweep"].schedules
    assert trigger == ScheduleTrigger("Sweep", "rate(2 hours)", 7200, name="Tick")
    assert function_specs(disabled, Evaluator(disabled, {}))["Sweep"].schedules == ()


def test_a_schedules_input_must_be_json_text() -> None:
    broken = _template_with_schedule({"Schedule": "rate(1 day)", "Input": "{part: 0"}, "Schedule")

    with pytest.raises(TemplateError, match="Input is not JSON"):
        function_specs(broken, Evaluator(broken, {}))


# ---- events ------------------------------------------------------------------------------


def test_the_scheduled_event_has_eventbridges_shape() -> None:
    event = scheduled_event(rule_arn=RULE_ARN, region="us-east-1", account_id="123456789012")

    assert event["version"] == "0"
    assert event["id"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [RULE_ARN]
    assert event["detail"] == {}
    assert event["time"].endswith("Z")


def test_the_console_event_carries_the_asked_instant() -> None:
    at = "2026-12-03T10:00:00Z"

    event = console_event({"at": at}, region="us-east-1", account_id="1")

    assert (event["source"], event["detail-type"]) == ("local.console", "Manual reconcile")
    assert event["detail"] == {"at": at}


# ---- the worker --------------------------------------------------------------------------

Handler = Callable[[Any, Any], Any]


def _worker(
    handler: Handler, interval: float | None, *, template_interval: float = 300
) -> ScheduleWorker:
    spec = FunctionSpec(
        "ReconcileFunction", "reconcile.handler.lambda_handler", "functions", 300, 512
    )
    function = LocalFunction(
        spec, function_name="reconcile", region="us-east-1", account_id="1", handler=handler
    )
    trigger = ScheduleTrigger("ReconcileFunction", "rate(5 minutes)", template_interval)
    return ScheduleWorker(
        trigger,
        function,
        lambda: scheduled_event(rule_arn=RULE_ARN, region="us-east-1", account_id="1"),
        interval_seconds=interval,
    )


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_worker_runs_the_function_every_interval_and_keeps_its_summary() -> None:
    events: list[Any] = []

    def handler(event: Any, context: Any) -> dict[str, int]:
        events.append(event)
        return {"checked": len(events)}

    worker = _worker(handler, 0.05)
    started = time.monotonic()
    worker.start()
    try:
        _wait_until(lambda: worker.runs >= 4)
    finally:
        worker.stop()

    elapsed = time.monotonic() - started
    # The first run comes one interval after the start, then one each interval.
    assert elapsed >= 4 * 0.05
    assert worker.runs <= elapsed / 0.05 + 1
    assert {event["detail-type"] for event in events} == {"Scheduled Event"}
    assert worker.last_summary == {"checked": len(events)}
    assert (worker.failures, worker.last_error) == (0, None)


def test_the_template_interval_applies_unless_overridden() -> None:
    def handler(event: Any, context: Any) -> None:
        return None

    assert _worker(handler, None, template_interval=300).interval_seconds == 300
    assert _worker(handler, 10.0).interval_seconds == 10.0


def test_runs_never_overlap_and_ticks_missed_during_a_long_run_are_skipped() -> None:
    running = 0
    most_at_once = 0
    count_lock = threading.Lock()

    def slow_handler(event: Any, context: Any) -> dict[str, str]:
        nonlocal running, most_at_once
        with count_lock:
            running += 1
            most_at_once = max(most_at_once, running)
        time.sleep(0.12)
        with count_lock:
            running -= 1
        return {"source": event["source"]}

    worker = _worker(slow_handler, 0.03)
    worker.start()
    try:
        manual = threading.Thread(
            target=worker.run_now,
            args=(console_event({}, region="us-east-1", account_id="1"),),
        )
        _wait_until(lambda: worker.runs >= 1)
        manual.start()
        _wait_until(lambda: worker.runs >= 3)
        manual.join(timeout=5)
    finally:
        worker.stop()

    assert most_at_once == 1
    assert worker.skipped >= 2
    assert worker.manual_runs == 1


def test_a_handler_that_raises_is_counted_and_the_next_run_goes_ahead() -> None:
    calls = 0

    def handler(event: Any, context: Any) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("vendor down")
        return {"reconciled": calls}

    worker = _worker(handler, 0.03)
    worker.start()
    try:
        _wait_until(lambda: worker.runs >= 3 and worker.last_summary is not None)
    finally:
        worker.stop()

    assert worker.failures == 1
    assert worker.last_summary is not None
    assert worker.last_error is None  # cleared by the run that succeeded after it
    assert worker.snapshot()["failures"] == 1


def test_a_handler_that_cannot_be_loaded_is_a_failure_not_a_dead_thread() -> None:
    spec = FunctionSpec("ReconcileFunction", "no_such_module.handler", "functions", 300, 512)
    function = LocalFunction(spec, function_name="reconcile", region="us-east-1", account_id="1")
    trigger = ScheduleTrigger("ReconcileFunction", "rate(5 minutes)", 300)
    worker = ScheduleWorker(trigger, function, dict, interval_seconds=0.02)
    worker.start()
    try:
        _wait_until(lambda: worker.failures >= 2)
    finally:
        worker.stop()

    assert worker.last_error is not None and "cannot load handler" in worker.last_error


def test_the_worker_stops_promptly_between_runs() -> None:
    worker = _worker(lambda event, context: None, 60.0)
    worker.start()

    started = time.monotonic()
    worker.stop()

    assert time.monotonic() - started < 1.0
    assert worker.runs == 0
    assert not any(thread.name == "schedule-ReconcileFunction" for thread in threading.enumerate())


# ---- local settings ----------------------------------------------------------------------


def test_the_sweep_waits_fifteen_seconds_locally_unless_told_otherwise() -> None:
    def local_environment(options: StackOptions) -> dict[str, str]:
        return LocalStack(options)._local_environment("http://api", "http://simulator")

    assert local_environment(StackOptions())["RECONCILE_AFTER_MINUTES"] == "0.25"
    slower = local_environment(StackOptions(reconcile_after_seconds=90))
    assert slower["RECONCILE_AFTER_MINUTES"] == "1.5"
    assert "RECONCILE_AFTER_MINUTES" not in local_environment(
        StackOptions(reconcile_after_seconds=None)
    )


def test_the_command_line_sets_the_local_interval_and_wait() -> None:
    defaults = options_from_arguments(build_parser().parse_args([]))
    chosen = options_from_arguments(
        build_parser().parse_args(["--reconcile-interval", "3", "--reconcile-after", "0"])
    )

    assert (defaults.reconcile_interval_seconds, defaults.reconcile_after_seconds) == (10.0, 15.0)
    # 0 keeps the template's own setting.
    assert (chosen.reconcile_interval_seconds, chosen.reconcile_after_seconds) == (3.0, None)


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_the_command_line_refuses_a_wait_that_is_not_seconds(value: str) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--reconcile-interval", value])
