"""Entry point: SQS batches from the alerts queue (ReportBatchItemFailures)."""

from __future__ import annotations

from typing import Any

from receipts.cold_start import long_lived_imports

# Without the cycle collector scanning what the imports load (receipts.cold_start).
with long_lived_imports():
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from alerts.batch import process_alert_batch
    from alerts.dependencies import default_service
    from alerts.observability import logger, metrics
    from alerts.service import AlertService


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the records hold raw callbacks.
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True, log_event=False)
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: AlertService | None = None
) -> PartialItemFailureResponse:
    return process_alert_batch(event, context, service or default_service())
