"""The operations dashboard's metrics, read from template.yaml, and the metrics code emits,
read from its Embedded Metric Format lines.

The dashboard names metrics by string; nothing stops it naming one the code never emits (a
renamed metric leaves an empty graph). Each function's suite runs the real code, captures
what it printed (``emitted``) and checks that every dashboard metric of its service is
among it (``dashboard_metrics``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from local_stack.template import load_template

STAGE = "test"
NAMESPACE = f"imiconnect-receipts/{STAGE}"
# What the dashboard's ${...} stand for in these tests.
SUBSTITUTIONS = {"Stage": STAGE, "AWS::Region": "us-east-1"}
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
_SEARCH = re.compile(r"SEARCH\('\{(?P<schema>[^}]+)\}(?P<terms>[^']*)'")
_TERM = re.compile(r'(\w+)="([^"]*)"')


class MetricRef(NamedTuple):
    """A metric as CloudWatch knows it: namespace, name, dimensions (a value of None: any)."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str | None]]

    def matches(self, emitted: MetricRef) -> bool:
        if (self.namespace, self.name) != (emitted.namespace, emitted.name):
            return False
        wanted = dict(self.dimensions)
        have = dict(emitted.dimensions)
        return set(wanted) == set(have) and all(
            value is None or have[name] == value for name, value in wanted.items()
        )


def dashboard_body() -> dict[str, Any]:
    """The dashboard's JSON, ``${...}`` replaced (template resources by ``<Resource.Attr>``)."""
    sub = load_template()["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]
    text = sub["Fn::Sub"]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return SUBSTITUTIONS.get(name, f"<{name}>")

    body: dict[str, Any] = json.loads(_REFERENCE.sub(value, text))
    return body


def _rows(body: dict[str, Any]) -> Iterable[list[Any]]:
    for widget in body["widgets"]:
        yield from widget["properties"].get("metrics", [])


def _from_row(row: list[Any], previous: list[Any] | None) -> MetricRef | None:
    parts = [part for part in row if not isinstance(part, dict)]
    if not parts:
        return None
    if parts[0] == "." and previous is not None:  # CloudWatch's "same as above" shorthand
        parts = [previous[i] if part == "." else part for i, part in enumerate(parts)]
    namespace, name, *dimensions = parts
    pairs = zip(dimensions[::2], dimensions[1::2], strict=True)
    return MetricRef(namespace, name, frozenset(pairs))


def _from_search(expression: str) -> MetricRef | None:
    match = _SEARCH.search(expression)
    if match is None:
        return None
    # Names with characters other than letters and digits are quoted in a search schema.
    schema = [part.strip().strip('"') for part in match.group("schema").split(",")]
    namespace, *dimension_names = schema
    terms = dict(_TERM.findall(match.group("terms")))
    name = terms.pop("MetricName")
    dimensions = frozenset((dimension, terms.get(dimension)) for dimension in dimension_names)
    return MetricRef(namespace, name, dimensions)


def dashboard_metrics() -> list[MetricRef]:
    """Every metric the dashboard names: in its rows and in its SEARCH expressions."""
    found: list[MetricRef] = []
    previous: list[Any] | None = None
    for row in _rows(dashboard_body()):
        expression = next((part.get("expression") for part in row if isinstance(part, dict)), None)
        if expression:
            searched = _from_search(expression)
            if searched is not None:
                found.append(searched)
            continue
        reference = _from_row(row, previous)
        if reference is not None:
            found.append(reference)
            previous = [reference.namespace, reference.name]
    return found


def of_service(service: str) -> list[MetricRef]:
    """The dashboard's metrics of this product's namespace and one function's service."""
    return [
        metric
        for metric in dashboard_metrics()
        if metric.namespace == NAMESPACE and dict(metric.dimensions).get("service") == service
    ]


def emitted(output: str) -> list[MetricRef]:
    """The metrics in printed Embedded Metric Format lines (one JSON document a line)."""
    found: list[MetricRef] = []
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, str(document[name])) for name in dimension_set)
                for metric in directive["Metrics"]:
                    found.append(MetricRef(directive["Namespace"], metric["Name"], dimensions))
    return found


def missing(wanted: Iterable[MetricRef], output: str) -> list[MetricRef]:
    """The dashboard metrics among ``wanted`` that nothing in ``output`` emitted."""
    printed = emitted(output)
    return [metric for metric in wanted if not any(metric.matches(one) for one in printed)]
