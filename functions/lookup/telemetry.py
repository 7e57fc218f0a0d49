"""The function's logger (phones and emails masked in every line) and its metrics."""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics

from receipts.logging import build_logger

SERVICE = "lookup"
DEFAULT_METRICS_NAMESPACE = "imiconnect-receipts"

logger = build_logger(SERVICE)
metrics = Metrics(service=SERVICE)


def ensure_metrics_namespace() -> None:
    """Powertools reads the namespace when this module is imported; a process that imported
    it before the environment was complete (a test run, the local stack) still gets one."""
    if metrics.namespace is None:
        metrics.namespace = (
            os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE
        )
