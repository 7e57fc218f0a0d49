"""Lambda entry point: one batch of the table's stream, folded into the reports' counters.

Answers with ``batchItemFailures`` (the event source's ``ReportBatchItemFailures``): when a
part of the batch could not be applied, the stream goes on from the earliest record not yet
applied; records applied already change nothing when they come again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from receipts.aggregates.apply import ApplyError, apply_events
from receipts.aws_clients import dynamodb_client
from receipts.metrics_namespace import ensure_namespace
from receipts.storage.aggregates import AggregateStore
from stream_consumer.records import by_transaction, first_sequence_number, read_records
from stream_consumer.settings import get_settings
from stream_consumer.telemetry import logger, metrics, record_channels


@cache
def default_store() -> AggregateStore:
    settings = get_settings()
    return AggregateStore(
        dynamodb_client(), settings.events_table_name, retention=settings.retention
    )


def _failures(sequence_number: str | None) -> dict[str, Any]:
    # An empty identifier makes the event source retry the whole batch: safe, only slower.
    return {"batchItemFailures": [{"itemIdentifier": sequence_number or ""}]}


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, store: AggregateStore | None = None
) -> dict[str, Any]:
    ensure_namespace(metrics)
    read = read_records(event.get("Records", []))
    if read.unreadable:
        metrics.add_metric(
            name="StreamRecordsUnreadable", unit=MetricUnit.Count, value=len(read.unreadable)
        )
        logger.error(
            "stream records whose event could not be read",
            extra={"sequence_numbers": read.unreadable},
        )
    grouped = by_transaction(read.events)
    try:
        applied = apply_events(store or default_store(), grouped, datetime.now(UTC))
    except ApplyError as error:
        # What did land moved counters for good: a retry of those records moves nothing.
        record_channels(error.moved)
        left = set(grouped) - error.done
        metrics.add_metric(name="ReportBatchesRetried", unit=MetricUnit.Count, value=1)
        logger.warning(
            "reports: part of the batch is left for the stream's retry",
            extra={"left": len(left), "applied": len(error.done), "reason": str(error)},
        )
        return _failures(first_sequence_number(read.events, left))
    if applied.refused:
        metrics.add_metric(
            name="ReportTransactionsRefused", unit=MetricUnit.Count, value=len(applied.refused)
        )
        logger.error(
            "transactions the table refuses to count: left out of the reports",
            extra={"transids": list(applied.refused)},
        )
    record_channels(applied.moved or {})
    metrics.add_metric(name="ReportEventsCounted", unit=MetricUnit.Count, value=len(read.events))
    metrics.add_metric(name="ReportTalliesChanged", unit=MetricUnit.Count, value=applied.changed)
    metrics.add_metric(name="ReportWriteRetries", unit=MetricUnit.Count, value=applied.retries)
    logger.info(
        "reports updated",
        extra={
            "events": len(read.events),
            "transactions": len(grouped),
            "changed": applied.changed,
            "unchanged": applied.unchanged,
            "retries": applied.retries,
            "skipped": read.skipped,
        },
    )
    return {"batchItemFailures": []}
