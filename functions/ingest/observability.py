"""The function's logger and metrics, shared by the handler's decorators and the routes."""

from __future__ import annotations

import os
import random
from collections.abc import Callable

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from receipts.logging import build_logger

SERVICE = "ingest"
DEFAULT_METRICS_NAMESPACE = "imiconnect-receipts"
_NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE"

logger = build_logger(SERVICE)
# ``service`` is the only dimension of every ingest metric: the alarms name exactly that one,
# and each further combination would be a custom metric billed every month. A callback's
# channel and status are in its (sampled) log line and, for every callback, in the table.
metrics = Metrics(service=SERVICE)

RandomSource = Callable[[], float]
"""Draws a float in [0, 1), as :func:`random.random` does; tests pass a fixed sequence."""


class Metric:
    """Metric names, each with the one dimension ``service``."""

    CALLBACKS = "Callbacks"
    ACCEPTED = "CallbacksAccepted"
    DUPLICATES = "Duplicates"
    UNKNOWN_CODES = "UnknownCodes"
    PARSER_ERRORS = "ParserErrors"
    REJECTED = "Rejected"
    QUARANTINED = "Quarantined"
    AUTH_FAILURES = "AuthFailures"
    STORE_UNAVAILABLE = "StoreUnavailable"
    SECRET_UNAVAILABLE = "SecretUnavailable"  # noqa: S105  # nosec B105  # a metric name, not a secret
    CONFIGURATION_ERRORS = "ConfigurationErrors"
    INTERNAL_ERRORS = "InternalErrors"
    PROBES = "Probes"
    OTHER_METHODS = "OtherMethods"


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def sampled(rate: float, draw: RandomSource = random.random) -> bool:
    """True for a share ``rate`` of the calls: never at 0 (nothing drawn), always at 1."""
    return rate > 0 and draw() < rate


def ensure_metrics_namespace() -> None:
    """Powertools reads the namespace when the module is imported; a process that imported
    it before its environment was complete (a test run) falls back on the deployed default."""
    if metrics.namespace is None:
        metrics.namespace = os.environ.get(_NAMESPACE_VARIABLE) or DEFAULT_METRICS_NAMESPACE
