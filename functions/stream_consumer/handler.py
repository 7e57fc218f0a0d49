"""Lambda entry point: one batch of the table's stream, folded into the reports' counters and
offered to the suppression registers.

Answers with ``batchItemFailures`` (the event source's ``ReportBatchItemFailures``): when a
part of the batch could not be applied by either step, the stream goes on from the earliest
record not yet applied; records applied already change nothing when they come again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from receipts.aggregates.apply import ApplyError, apply_events
from receipts.aws_clients import new_client
from receipts.metrics_namespace import ensure_namespace
from receipts.storage.aggregates import AggregateStore
from receipts.storage.suppressions import MOST_WRITES_AT_ONCE, Move, SuppressionStore
from stream_consumer.records import (
    ReadRecords,
    StreamEvent,
    by_transaction,
    first_sequence_number,
    read_records,
)
from stream_consumer.settings import get_settings
from stream_consumer.suppression_step import offer_verdicts
from stream_consumer.telemetry import logger, metrics, record_channels

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any


@cache
def table_client() -> DynamoDBClient:
    # One client for both steps, with a connection for each register written at once.
    client: DynamoDBClient = new_client("dynamodb", max_pool_connections=MOST_WRITES_AT_ONCE)
    return client


@cache
def default_store() -> AggregateStore:
    settings = get_settings()
    return AggregateStore(table_client(), settings.events_table_name, retention=settings.retention)


@cache
def default_suppressions() -> SuppressionStore:
    settings = get_settings()
    return SuppressionStore(
        table_client(), settings.events_table_name, retention=settings.retention
    )


class Retry(NamedTuple):
    """A step left part of the batch: the stream goes on from this record (None: from the
    start of the batch)."""

    sequence_number: str | None


def _failures(retries: Sequence[Retry]) -> dict[str, Any]:
    numbers = [retry.sequence_number for retry in retries]
    if not numbers:
        return {"batchItemFailures": []}
    # An empty identifier makes the event source retry the whole batch: safe, only slower.
    earliest = "" if None in numbers else min((n for n in numbers if n), key=int)
    return {"batchItemFailures": [{"itemIdentifier": earliest}]}


def _count_reports(store: AggregateStore, read: ReadRecords) -> Retry | None:
    grouped = by_transaction(read.events)
    try:
        applied = apply_events(store, grouped, datetime.now(UTC))
    except ApplyError as error:
        # What did land moved counters for good: a retry of those records moves nothing.
        record_channels(error.moved)
        left = set(grouped) - error.done
        metrics.add_metric(name="ReportBatchesRetried", unit=MetricUnit.Count, value=1)
        logger.warning(
            "reports: part of the batch is left for the stream's retry",
            extra={"left": len(left), "applied": len(error.done), "reason": str(error)},
        )
        return Retry(first_sequence_number(read.events, left))
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
    return None


def _keep_suppressions(store: SuppressionStore, events: Sequence[StreamEvent]) -> Retry | None:
    step = offer_verdicts(store, events, datetime.now(UTC))
    moves = step.offered.moves
    metrics.add_metric(
        name="SuppressionsAdded", unit=MetricUnit.Count, value=moves.get(Move.SUPPRESSED, 0)
    )
    metrics.add_metric(
        name="SuppressionsLifted", unit=MetricUnit.Count, value=moves.get(Move.LIFTED, 0)
    )
    logger.info(
        "suppressions updated",
        extra={"decisive": step.verdicts, **{move.value: n for move, n in moves.items()}},
    )
    if step.offered.refused:
        metrics.add_metric(
            name="SuppressionsRefused", unit=MetricUnit.Count, value=len(step.offered.refused)
        )
        # Masked by the logger; named so the destination can be looked at.
        logger.error(
            "suppression registers the table refuses (a destination too long for a key): left out",
            extra={"transids": [verdict.transid for verdict in step.offered.refused]},
        )
    if not step.offered.failed:
        return None
    metrics.add_metric(
        name="SuppressionWritesRetried", unit=MetricUnit.Count, value=len(step.offered.failed)
    )
    logger.warning(
        "suppressions: part of the batch is left for the stream's retry",
        extra={
            "left": len(step.offered.failed),
            "reason": type(step.offered.failed[0][1]).__name__,
        },
    )
    return Retry(step.retry_from)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: AggregateStore | None = None,
    suppressions: SuppressionStore | None = None,
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
    # Two independent steps over the same records, each exact when a record comes again:
    # the second runs even when the first left part of the batch.
    retries = [
        retry
        for retry in (
            _count_reports(store or default_store(), read),
            _keep_suppressions(suppressions or default_suppressions(), read.events),
        )
        if retry is not None
    ]
    return _failures(retries)
