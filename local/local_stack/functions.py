"""The template's functions as the local stack runs them: handler, settings and triggers.

Everything here is read from ``template.yaml``: the handler string, memory and timeout
(function over ``Globals``), the environment variables (``Globals`` then the function's own),
the HTTP API routes, the SQS event sources and the schedules. Nothing about the functions is
hard-coded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_stack.intrinsics import Evaluator, TemplateError

FUNCTION_TYPE = "AWS::Serverless::Function"
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str
    path: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsTrigger:
    function: str
    queue_logical_id: str
    batch_size: int
    batching_window_seconds: int
    report_batch_item_failures: bool
    maximum_concurrency: int | None


@dataclass(frozen=True)
class ScheduleTrigger:
    function: str
    expression: str
    interval_seconds: float
    # The event's constant ``Input`` (parsed JSON): EventBridge gives it to the target as
    # the event itself, in place of the scheduled event.
    input: Any = None
    # The event's name in the template (a function may have several schedules).
    name: str = ""


def schedule_interval_seconds(expression: str) -> float:
    """Seconds between runs of an EventBridge ``rate(...)`` expression.

    ``cron(...)`` is refused: nothing in the template uses it, and running it faithfully
    needs a cron evaluator the local stack does not have.
    """
    text = expression.strip()
    if text.startswith("cron("):
        raise TemplateError(
            f"schedule {expression!r}: cron() expressions do not run locally yet; use rate()"
        )
    match = _RATE.fullmatch(text)
    if match is None:
        raise TemplateError(f"schedule {expression!r} is not a rate() expression")
    count, unit = int(match.group(1)), match.group(2)
    if count < 1:
        raise TemplateError(f"schedule {expression!r}: the rate must be at least 1")
    # EventBridge refuses "rate(1 minutes)" and "rate(5 minute)": so does this.
    if (count == 1) != (not unit.endswith("s")):
        raise TemplateError(f"schedule {expression!r}: use the singular unit for 1 only")
    return float(count * _UNIT_SECONDS[unit.rstrip("s")])


def _schedule_trigger(
    function: str, name: str, event_properties: Mapping[str, Any], evaluator: Evaluator
) -> ScheduleTrigger | None:
    """The trigger of a Schedule / ScheduleV2 event, or None if the schedule is disabled."""
    enabled = evaluator.evaluate(event_properties.get("Enabled", True))
    state = evaluator.evaluate(event_properties.get("State", "ENABLED"))
    if str(enabled).lower() == "false" or str(state).upper() == "DISABLED":
        return None
    # Schedule names it Schedule; ScheduleV2 (EventBridge Scheduler) ScheduleExpression.
    expression = str(
        evaluator.evaluate(
            event_properties.get("Schedule", event_properties.get("ScheduleExpression", ""))
        )
    )
    constant = evaluator.evaluate(event_properties.get("Input"))
    try:
        parsed = json.loads(constant) if constant is not None else None
    except (TypeError, json.JSONDecodeError) as error:
        raise TemplateError(f"schedule of {function}: Input is not JSON text ({error})") from None
    return ScheduleTrigger(
        function, expression, schedule_interval_seconds(expression), input=parsed, name=name
    )


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    code_uri: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)
    routes: tuple[HttpRoute, ...] = ()
    sqs_triggers: tuple[SqsTrigger, ...] = ()
    schedules: tuple[ScheduleTrigger, ...] = ()

    @property
    def module_name(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def _globals(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict(template.get("Globals", {}).get("Function", {}))


def _environment(
    evaluator: Evaluator, global_properties: Mapping[str, Any], properties: Mapping[str, Any]
) -> dict[str, str]:
    merged: dict[str, Any] = {}
    for source in (global_properties, properties):
        merged.update(source.get("Environment", {}).get("Variables", {}))
    environment: dict[str, str] = {}
    for name, value in merged.items():
        resolved = evaluator.evaluate(value)
        if resolved is None:
            continue
        if isinstance(resolved, bool):
            resolved = "true" if resolved else "false"
        environment[name] = str(resolved)
    return environment


def _queue_logical_id(queue: Any) -> str:
    # SAM takes the queue as !GetAtt Queue.Arn (or a plain ARN we cannot map locally).
    if isinstance(queue, dict) and "Fn::GetAtt" in queue:
        target = queue["Fn::GetAtt"]
        return str(target.split(".", 1)[0] if isinstance(target, str) else target[0])
    if isinstance(queue, dict) and "Ref" in queue:
        return str(queue["Ref"])
    raise ValueError(f"SQS event source {queue!r} does not name a queue of the template")


def function_specs(template: Mapping[str, Any], evaluator: Evaluator) -> dict[str, FunctionSpec]:
    """Every serverless function of the template, keyed by logical id."""
    global_properties = _globals(template)
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        if "Condition" in resource and not evaluator.condition(resource["Condition"]):
            continue
        properties = resource.get("Properties", {})
        routes: list[HttpRoute] = []
        triggers: list[SqsTrigger] = []
        schedules: list[ScheduleTrigger] = []
        for event_name, event in properties.get("Events", {}).items():
            event_properties = event.get("Properties", {})
            if event.get("Type") == "HttpApi":
                routes.append(
                    HttpRoute(
                        function=logical_id,
                        method=str(event_properties.get("Method", "ANY")).upper(),
                        path=str(event_properties.get("Path", "$default")),
                    )
                )
            elif event.get("Type") == "SQS":
                scaling = event_properties.get("ScalingConfig", {})
                concurrency = scaling.get("MaximumConcurrency")
                triggers.append(
                    SqsTrigger(
                        function=logical_id,
                        queue_logical_id=_queue_logical_id(event_properties["Queue"]),
                        batch_size=int(evaluator.evaluate(event_properties.get("BatchSize", 10))),
                        batching_window_seconds=int(
                            evaluator.evaluate(
                                event_properties.get("MaximumBatchingWindowInSeconds", 0)
                            )
                        ),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in event_properties.get("FunctionResponseTypes", []),
                        maximum_concurrency=(
                            int(evaluator.evaluate(concurrency)) if concurrency else None
                        ),
                    )
                )
            elif event.get("Type") in SCHEDULE_EVENT_TYPES:
                schedule = _schedule_trigger(logical_id, event_name, event_properties, evaluator)
                if schedule is not None:
                    schedules.append(schedule)
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            handler=str(properties.get("Handler", global_properties.get("Handler", ""))),
            code_uri=str(properties.get("CodeUri", global_properties.get("CodeUri", "."))),
            timeout_seconds=int(
                properties.get("Timeout", global_properties.get("Timeout", DEFAULT_TIMEOUT_SECONDS))
            ),
            memory_mb=int(
                properties.get("MemorySize", global_properties.get("MemorySize", DEFAULT_MEMORY_MB))
            ),
            environment=_environment(evaluator, global_properties, properties),
            routes=tuple(routes),
            sqs_triggers=tuple(triggers),
            schedules=tuple(schedules),
        )
    return specs


def layer_content_uris(template: Mapping[str, Any]) -> list[str]:
    """Where the layers the functions use live in the repository (``ContentUri``)."""
    uris: list[str] = []
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            uri = resource.get("Properties", {}).get("ContentUri")
            if isinstance(uri, str):
                uris.append(uri)
    return uris


def shared_environment(specs: Mapping[str, FunctionSpec]) -> tuple[dict[str, str], set[str]]:
    """The variables every function can see in one process, and those they disagree on.

    The functions run in one process, so they share ``os.environ``. A variable set by one
    function only, or to the same value by several, is shared as is; one set to different
    values (the Powertools service name) is left out, since no single value is right.
    """
    merged: dict[str, str] = {}
    conflicting: set[str] = set()
    for spec in specs.values():
        for name, value in spec.environment.items():
            if name in merged and merged[name] != value:
                conflicting.add(name)
            merged.setdefault(name, value)
    for name in conflicting:
        merged.pop(name, None)
    return merged, conflicting
