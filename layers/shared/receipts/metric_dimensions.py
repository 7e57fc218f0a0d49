"""A metric with a dimension beyond the function's ``service``: per alert target, per channel.

Powertools' ``Metrics`` gives every metric of one flush the same dimensions, so a metric
split by a value (one series per target) is written on its own, at once, as its own EMF
line. Each (name, value) pair is a custom metric CloudWatch bills monthly: only for small,
fixed sets of values (the configured targets, the channels).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from receipts.metrics_namespace import ensure_namespace

SERVICE_DIMENSION = "service"


def count_by(metrics: Metrics, name: str, value: float, dimensions: Mapping[str, str]) -> None:
    """Emit ``name`` = ``value`` with the function's service and ``dimensions``."""
    ensure_namespace(metrics)
    service = {SERVICE_DIMENSION: metrics.service} if metrics.service else None
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=metrics.namespace,
        default_dimensions=service,
    ) as metric:
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)
