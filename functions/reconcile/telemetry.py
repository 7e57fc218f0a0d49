"""The function's logger (phones and emails masked in every line) and its metrics."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from receipts.logging import build_logger
from receipts.metrics_namespace import ensure_namespace
from reconcile.summary import METRIC_NAMES, RunSummary

SERVICE = "reconcile"

logger = build_logger(SERVICE)
metrics = Metrics(service=SERVICE)


def record(summary: RunSummary, counters: Iterable[str]) -> None:
    """The run's ``counters`` as metrics, zeros included: an alarm on a ratio needs both
    sides."""
    ensure_namespace(metrics)
    values = summary.as_dict()
    for counter in counters:
        metrics.add_metric(name=METRIC_NAMES[counter], unit=MetricUnit.Count, value=values[counter])
