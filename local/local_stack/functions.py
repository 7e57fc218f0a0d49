"""The template's functions as the local stack runs them: handler, settings and triggers.

Everything here is read from ``template.yaml``: the handler string, memory and timeout
(function over ``Globals``), the environment variables (``Globals`` then the function's own),
the HTTP API routes, the SQS and DynamoDB stream event sources and the schedules. Nothing
about the functions is hard-coded.

An event source is read in either of its two forms: a SAM event of the function (``Type: SQS``,
``Type: DynamoDB``) or an ``AWS::Lambda::EventSourceMapping`` resource naming the function.
The template uses the resource form (SAM's events attach AWS managed policies to the role);
both become the same triggers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_stack.event_patterns import PatternError, validate_pattern
from local_stack.intrinsics import Evaluator, TemplateError

FUNCTION_TYPE = "AWS::Serverless::Function"
EVENT_SOURCE_MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"
QUEUE_TYPE = "AWS::SQS::Queue"
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")
# Lambda's defaults for a DynamoDB event source mapping (-1 retries: until the records expire).
DEFAULT_STREAM_BATCH_SIZE = 100
UNLIMITED_RETRY_ATTEMPTS = -1
STREAM_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
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


@dataclass(frozen=True)
class StreamTrigger:
    """A ``Type: DynamoDB`` event or an event source mapping on a table's stream: Lambda
    reading the stream into the function."""

    function: str
    # The event's name in the template (a function may read several streams); for a mapping
    # resource, see ``_mapping_name``.
    name: str
    # The table whose stream is read, from ``!GetAtt Table.StreamArn``; None when the
    # template gives the stream's ARN itself, which is then ``stream_arn``.
    table_logical_id: str | None
    stream_arn: str | None
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = DEFAULT_STREAM_BATCH_SIZE
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = UNLIMITED_RETRY_ATTEMPTS
    # FilterCriteria's patterns, parsed; empty keeps every record.
    filter_patterns: tuple[dict[str, Any], ...] = ()
    # The queue of DestinationConfig.OnFailure; None discards what exhausts its retries.
    on_failure_queue_logical_id: str | None = None


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


def _is_disabled(properties: Mapping[str, Any], evaluator: Evaluator) -> bool:
    return str(evaluator.evaluate(properties.get("Enabled", True))).lower() == "false"


def _sqs_trigger(
    function: str, queue: Any, properties: Mapping[str, Any], evaluator: Evaluator
) -> SqsTrigger | None:
    """The trigger of an SQS event (``queue`` is its ``Queue``) or of a mapping on a queue
    (its ``EventSourceArn``), or None if it is disabled."""
    if _is_disabled(properties, evaluator):
        return None
    concurrency = properties.get("ScalingConfig", {}).get("MaximumConcurrency")
    return SqsTrigger(
        function=function,
        queue_logical_id=_queue_logical_id(queue),
        batch_size=int(evaluator.evaluate(properties.get("BatchSize", 10))),
        batching_window_seconds=int(
            evaluator.evaluate(properties.get("MaximumBatchingWindowInSeconds", 0))
        ),
        report_batch_item_failures="ReportBatchItemFailures"
        in properties.get("FunctionResponseTypes", []),
        maximum_concurrency=int(evaluator.evaluate(concurrency)) if concurrency else None,
    )


def _stream_trigger(
    function: str, name: str, event_properties: Mapping[str, Any], evaluator: Evaluator
) -> StreamTrigger | None:
    """The trigger of a DynamoDB event, or None if the mapping is disabled."""
    if _is_disabled(event_properties, evaluator):
        return None
    where = f"DynamoDB event {name} of {function}"
    table_logical_id = _get_att_logical_id(event_properties.get("Stream"), "StreamArn")
    stream_arn = None
    if table_logical_id is None:
        # Not a table of this template: the stream as the template gives it (an ARN).
        stream_arn = str(evaluator.evaluate(event_properties.get("Stream", "")))
        if not stream_arn.startswith("arn:"):
            raise TemplateError(f"{where}: Stream must be a stream ARN or !GetAtt T.StreamArn")
    starting_position = str(evaluator.evaluate(event_properties.get("StartingPosition", "")))
    if starting_position not in STREAM_STARTING_POSITIONS:
        raise TemplateError(
            f"{where}: StartingPosition {starting_position!r} is not one of "
            f"{', '.join(STREAM_STARTING_POSITIONS)}"
        )

    def number(key: str, default: int) -> int:
        return int(evaluator.evaluate(event_properties.get(key, default)))

    return StreamTrigger(
        function=function,
        name=name,
        table_logical_id=table_logical_id,
        stream_arn=stream_arn,
        starting_position=starting_position,
        batch_size=number("BatchSize", DEFAULT_STREAM_BATCH_SIZE),
        batching_window_seconds=number("MaximumBatchingWindowInSeconds", 0),
        report_batch_item_failures="ReportBatchItemFailures"
        in evaluator.evaluate(event_properties.get("FunctionResponseTypes", [])),
        bisect_batch_on_function_error=str(
            evaluator.evaluate(event_properties.get("BisectBatchOnFunctionError", False))
        ).lower()
        == "true",
        maximum_retry_attempts=number("MaximumRetryAttempts", UNLIMITED_RETRY_ATTEMPTS),
        filter_patterns=_filter_patterns(where, event_properties, evaluator),
        on_failure_queue_logical_id=_on_failure_queue(where, event_properties),
    )


def _filter_patterns(
    where: str, event_properties: Mapping[str, Any], evaluator: Evaluator
) -> tuple[dict[str, Any], ...]:
    criteria = evaluator.evaluate(event_properties.get("FilterCriteria", {})) or {}
    patterns: list[dict[str, Any]] = []
    for index, item in enumerate(criteria.get("Filters", [])):
        text = item.get("Pattern") if isinstance(item, dict) else None
        try:
            # SAM takes the pattern as JSON text; a YAML mapping is accepted as well.
            pattern: Any = json.loads(text) if isinstance(text, str) else text
            validate_pattern(pattern)
        except (json.JSONDecodeError, PatternError) as error:
            raise TemplateError(f"{where}: filter {index} is not usable ({error})") from None
        patterns.append(dict(pattern))
    return tuple(patterns)


def _on_failure_queue(where: str, event_properties: Mapping[str, Any]) -> str | None:
    on_failure = event_properties.get("DestinationConfig", {}).get("OnFailure")
    if not on_failure:
        return None
    if str(on_failure.get("Type", "SQS")).upper() != "SQS":
        # SNS and S3 destinations have nothing local to receive them yet.
        raise TemplateError(f"{where}: only SQS on-failure destinations run locally")
    try:
        return _queue_logical_id(on_failure.get("Destination"))
    except ValueError as error:
        raise TemplateError(f"{where}: {error}") from None


def _get_att_logical_id(value: Any, attribute: str) -> str | None:
    """The logical id of ``!GetAtt X.<attribute>``, or None for anything else."""
    if not isinstance(value, dict) or set(value) != {"Fn::GetAtt"}:
        return None
    target = value["Fn::GetAtt"]
    parts = target.split(".", 1) if isinstance(target, str) else list(target)
    if len(parts) == 2 and parts[1] == attribute:
        return str(parts[0])
    return None


@dataclass(frozen=True)
class MappingTriggers:
    """The triggers the template's event source mapping resources give one function."""

    sqs: list[SqsTrigger] = field(default_factory=list)
    streams: list[StreamTrigger] = field(default_factory=list)


def _mapped_function(logical_id: str, properties: Mapping[str, Any]) -> str:
    """The function a mapping invokes: ``!Ref F`` (or ``!GetAtt F.Arn``) of the template."""
    function = properties.get("FunctionName")
    if isinstance(function, dict) and set(function) == {"Ref"}:
        return str(function["Ref"])
    target = _get_att_logical_id(function, "Arn")
    if target is None:
        raise TemplateError(
            f"event source mapping {logical_id}: FunctionName must be !Ref of a function "
            "of the template"
        )
    return target


def _mapping_name(logical_id: str, function: str) -> str:
    """The trigger's name: the mapping's logical id less the function's.

    SAM names the mapping it generates for an event ``<Function><Event>``; a mapping written
    out under that id keeps the event's name, so the stack's counters (``GET /stats``) keep
    theirs.
    """
    short = logical_id.removeprefix(function)
    return short or logical_id


def _reads_queue(template: Mapping[str, Any], source: Any) -> bool:
    queue = _get_att_logical_id(source, "Arn")
    resources = template.get("Resources", {})
    return queue is not None and resources.get(queue, {}).get("Type") == QUEUE_TYPE


def _reads_stream(source: Any) -> bool:
    if _get_att_logical_id(source, "StreamArn") is not None:
        return True
    # A stream of another stack, by its ARN.
    return isinstance(source, str) and ":dynamodb:" in source


def _mapping_triggers(
    template: Mapping[str, Any], evaluator: Evaluator
) -> dict[str, MappingTriggers]:
    """The SQS and stream triggers of every event source mapping resource, by function.

    A mapping's properties are those of the SAM event less ``Queue``/``Stream``, which is
    ``EventSourceArn``; they are read by the same code. Sources the local stack has nothing
    to run for (Kinesis, Kafka, MQ) are left out, as the SAM events of those types are.
    """
    found: dict[str, MappingTriggers] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != EVENT_SOURCE_MAPPING_TYPE:
            continue
        if "Condition" in resource and not evaluator.condition(resource["Condition"]):
            continue
        properties = resource.get("Properties", {})
        function = _mapped_function(logical_id, properties)
        source = properties.get("EventSourceArn")
        if _reads_queue(template, source):
            queue = _sqs_trigger(function, source, properties, evaluator)
            found.setdefault(function, MappingTriggers()).sqs.extend([queue] if queue else [])
        elif _reads_stream(source):
            name = _mapping_name(logical_id, function)
            event_properties = {**properties, "Stream": source}
            stream = _stream_trigger(function, name, event_properties, evaluator)
            found.setdefault(function, MappingTriggers()).streams.extend([stream] if stream else [])
    return found


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
    stream_triggers: tuple[StreamTrigger, ...] = ()

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
    mapped = _mapping_triggers(template, evaluator)
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        if "Condition" in resource and not evaluator.condition(resource["Condition"]):
            continue
        properties = resource.get("Properties", {})
        mapping = mapped.pop(logical_id, MappingTriggers())
        routes: list[HttpRoute] = []
        triggers: list[SqsTrigger] = list(mapping.sqs)
        schedules: list[ScheduleTrigger] = []
        stream_triggers: list[StreamTrigger] = list(mapping.streams)
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
                queue = _sqs_trigger(
                    logical_id, event_properties["Queue"], event_properties, evaluator
                )
                if queue is not None:
                    triggers.append(queue)
            elif event.get("Type") in SCHEDULE_EVENT_TYPES:
                schedule = _schedule_trigger(logical_id, event_name, event_properties, evaluator)
                if schedule is not None:
                    schedules.append(schedule)
            elif event.get("Type") == "DynamoDB":
                stream = _stream_trigger(logical_id, event_name, event_properties, evaluator)
                if stream is not None:
                    stream_triggers.append(stream)
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
            stream_triggers=tuple(stream_triggers),
        )
    _refuse_unmapped_functions(mapped)
    return specs


def _refuse_unmapped_functions(left: Mapping[str, MappingTriggers]) -> None:
    """A mapping onto no function the stack runs would silently never fire: refuse it."""
    for function, mapping in left.items():
        if mapping.sqs or mapping.streams:
            raise TemplateError(
                f"an event source mapping invokes {function}, which is not a serverless "
                "function of the template (or its condition is false)"
            )


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
