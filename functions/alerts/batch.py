"""One SQS batch: each record handled on its own, failures reported one by one.

This is the one place where the domain's exceptions become log lines, metrics and failed
records; SQS retries a failed record and, after ``AlertMaxReceiveCount`` tries, moves it to
the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from alerts.errors import AlertMessageError, DeliveryIncompleteError
from alerts.observability import logger, metrics
from alerts.service import AlertService, BatchRun, Outcome
from receipts.errors import NotificationValidationError
from receipts.storage import StoreUnavailableError

# Kept back from the invocation's time so the batch response is always returned in time.
SAFETY_SECONDS = 2.0
DEFAULT_SECONDS_LEFT = 25.0

_OUTCOME_METRICS: dict[Outcome, str] = {
    Outcome.SENT: "AlertsSent",
    Outcome.DUPLICATE: "AlertsDuplicate",
    Outcome.FILTERED: "AlertsFiltered",
    Outcome.DIGESTED: "AlertsDigested",
    Outcome.NO_TARGETS: "AlertsWithoutTargets",
    Outcome.DIGEST_SENT: "DigestsSent",
    Outcome.MARKER_IDLE: "DigestMarkersIdle",
    Outcome.MARKER_STALE: "DigestMarkersStale",
}


def _seconds_left(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return DEFAULT_SECONDS_LEFT
    return max(0.0, float(remaining()) / 1000 - SAFETY_SECONDS)


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def handle_record(run: BatchRun, record: SQSRecord) -> Outcome:
    receive_count = record.attributes.approximate_receive_count
    try:
        outcome = run.handle(record.body)
    except (NotificationValidationError, AlertMessageError) as error:
        logger.error(
            "alert message rejected: it is neither a stored-event stream record nor a digest "
            "marker; it will reach the dead-letter queue after its last try",
            extra={
                "message_id": record.message_id,
                "reason": str(error),
                "receive_count": receive_count,
            },
        )
        _count("AlertMessagesRejected")
        raise
    except DeliveryIncompleteError as error:
        logger.warning(
            "alert not delivered to every target; SQS retries it for those only",
            extra={
                "message_id": record.message_id,
                "failed": error.failed,
                "sent": list(error.sent),
                "given_up": error.given_up,
                "receive_count": receive_count,
            },
        )
        _count("AlertDeliveriesIncomplete")
        raise
    except StoreUnavailableError as error:
        logger.warning(
            "alert ledger unavailable; SQS retries the record",
            extra={"message_id": record.message_id, "reason": str(error)},
        )
        _count("AlertLedgerUnavailable")
        raise
    except Exception:
        logger.exception(
            "alert record failed unexpectedly; SQS retries it",
            extra={"message_id": record.message_id, "receive_count": receive_count},
        )
        raise
    _count(_OUTCOME_METRICS[outcome])
    logger.debug(
        "alert record handled", extra={"message_id": record.message_id, "outcome": outcome.value}
    )
    return outcome


def process_alert_batch(
    event: dict[str, Any], context: Any, service: AlertService
) -> PartialItemFailureResponse:
    run = service.start_batch(seconds_left=_seconds_left(context))
    # Even a batch where every record fails is answered with the list, not an exception,
    # so the function's error alarm means a fault of the function, not of the messages.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(run, record),
        processor=processor,
        context=context,
    )
