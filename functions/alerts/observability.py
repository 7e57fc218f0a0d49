"""The function's logger (every line masked) and metrics."""

from aws_lambda_powertools import Metrics

from receipts.logging import build_logger

logger = build_logger("alerts")
metrics = Metrics(service="alerts")
