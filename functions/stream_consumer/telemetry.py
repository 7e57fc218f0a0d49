"""The function's logger (phones and emails masked in every line) and its metrics."""

from __future__ import annotations

from aws_lambda_powertools import Metrics

from receipts.logging import build_logger

SERVICE = "stream-consumer"

logger = build_logger(SERVICE)
metrics = Metrics(service=SERVICE)
