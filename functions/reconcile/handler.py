"""Lambda entry point of the asks (an EventBridge schedule, or a run asked for by hand)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from receipts.deadline import Deadline
from reconcile.run_request import as_of
from reconcile.settings import get_settings
from reconcile.summary import ASKING_METRICS
from reconcile.sweep import AskingSweep
from reconcile.telemetry import logger, metrics, record
from reconcile.wiring import default_asking_sweep


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, sweep: AskingSweep | None = None
) -> dict[str, Any]:
    settings = get_settings()
    deadline = Deadline.for_invocation(
        context,
        margin_seconds=settings.deadline_margin_seconds,
        ceiling_seconds=settings.run_budget_seconds,
    )
    summary = (sweep or default_asking_sweep()).run(deadline, now=as_of(event))
    record(summary, ASKING_METRICS)
    logger.info("reconcile run", extra={"summary": summary.as_dict()})
    return summary.as_dict()
