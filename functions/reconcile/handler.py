"""Lambda entry point of the reconcile function (an EventBridge schedule, or a manual run).

The event's ``detail.at`` (an ISO 8601 instant) runs the pass as of that instant instead of
now: the local stack's console uses it to rehearse the horizon. Scheduled events carry none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from receipts.deadline import Deadline
from reconcile.settings import get_settings
from reconcile.sweep import ReconcileSweep
from reconcile.telemetry import logger, metrics, record
from reconcile.wiring import default_sweep


class InvalidRunRequestError(ValueError):
    """A manual run's ``detail.at`` that is not an instant with a time zone."""


def _as_of(event: dict[str, Any]) -> datetime | None:
    detail = event.get("detail")
    at = detail.get("at") if isinstance(detail, dict) else None
    if at is None:
        return None
    try:
        instant = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRunRequestError(f"detail.at {at!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise InvalidRunRequestError(f"detail.at {at!r} has no time zone")
    return instant


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, sweep: ReconcileSweep | None = None
) -> dict[str, Any]:
    settings = get_settings()
    deadline = Deadline.for_invocation(
        context,
        margin_seconds=settings.deadline_margin_seconds,
        ceiling_seconds=settings.run_budget_seconds,
    )
    summary = (sweep or default_sweep()).run(deadline, now=_as_of(event))
    record(summary)
    logger.info("reconcile run", extra={"summary": summary.as_dict()})
    return summary.as_dict()
