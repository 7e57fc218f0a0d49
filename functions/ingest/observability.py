"""The function's logger and metrics, shared by the handler's decorators and the routes."""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from receipts.logging import build_logger

SERVICE = "ingest"
DEFAULT_METRICS_NAMESPACE = "imiconnect-receipts"
_NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE"

logger = build_logger(SERVICE)
metrics = Metrics(service=SERVICE)


class Metric:
    """Metric names. Only ``Callbacks`` carries channel and status (both closed enums)."""

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


def ensure_metrics_namespace() -> None:
    """Powertools reads the namespace when the module is imported; a process that imported
    it before its environment was complete (a test run) falls back on the deployed default."""
    if metrics.namespace is None:
        metrics.namespace = os.environ.get(_NAMESPACE_VARIABLE) or DEFAULT_METRICS_NAMESPACE
