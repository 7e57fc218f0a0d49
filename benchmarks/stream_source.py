"""The stream consumer's event source and the table stream's readers, from ``template.yaml``.

Shared by ``bench_reports.py`` and ``capacity_reports.py``; no imports with side effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONSUMER = "StreamConsumerFunction"
TABLE = "EventsTable"
# DynamoDB Streams: more than two readers of one shard at a time get throttled.
READERS_PER_SHARD_LIMIT = 2


@dataclass(frozen=True)
class StreamSource:
    batch_size: int
    window_seconds: float
    parallelization: int
    memory_mb: int
    readers: tuple[str, ...]  # resources reading the table's stream

    @classmethod
    def from_template(cls, template: Mapping[str, Any]) -> StreamSource:
        function = template["Resources"][CONSUMER]["Properties"]
        (source,) = _consumer_sources(template)
        memory = function.get(
            "MemorySize", template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
        )
        return cls(
            batch_size=int(source["BatchSize"]),
            window_seconds=float(source.get("MaximumBatchingWindowInSeconds", 0)),
            parallelization=int(source.get("ParallelizationFactor", 1)),
            memory_mb=int(memory),
            readers=stream_readers(template),
        )


def _consumer_sources(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The consumer's stream event source(s): a mapping resource, or a SAM event."""
    sources = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"].get("FunctionName") == {"Ref": CONSUMER}
        and _reads_stream(resource["Properties"].get("EventSourceArn"))
    ]
    function = template["Resources"][CONSUMER]["Properties"]
    sources += [
        event["Properties"]
        for event in function.get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]
    return sources


def _reads_stream(value: Any) -> bool:
    return bool(value == {"Fn::GetAtt": [TABLE, "StreamArn"]})


def _reader(kind: str, properties: Mapping[str, Any]) -> bool:
    if kind == "AWS::Pipes::Pipe":
        return _reads_stream(properties.get("Source"))
    if kind == "AWS::Lambda::EventSourceMapping":
        return _reads_stream(properties.get("EventSourceArn"))
    if kind == "AWS::Serverless::Function":
        return any(
            event.get("Type") == "DynamoDB" and _reads_stream(event["Properties"].get("Stream"))
            for event in properties.get("Events", {}).values()
        )
    return False


def stream_readers(template: Mapping[str, Any]) -> tuple[str, ...]:
    """Pipes whose source and functions with an event source on the table's stream."""
    found = []
    for name, resource in template["Resources"].items():
        if _reader(resource["Type"], resource.get("Properties", {})):
            found.append(name)
    return tuple(sorted(found))
