"""Lambda entry point of one part of discovery (its schedule names the part)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from receipts.deadline import Deadline
from reconcile.run_request import as_of, discovery_part
from reconcile.settings import get_discovery_settings
from reconcile.summary import DISCOVERY_METRICS
from reconcile.sweep import DiscoverySweep
from reconcile.telemetry import logger, metrics, record
from reconcile.wiring import default_discovery_sweep


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, sweep: DiscoverySweep | None = None
) -> dict[str, Any]:
    part = discovery_part(event)
    settings = get_discovery_settings()
    deadline = Deadline.for_invocation(
        context,
        margin_seconds=settings.deadline_margin_seconds,
        ceiling_seconds=settings.run_budget_seconds,
    )
    summary = (sweep or default_discovery_sweep()).run(
        deadline, part=part.part, parts=part.parts, now=as_of(event)
    )
    record(summary, DISCOVERY_METRICS)
    logger.info(
        "reconcile discovery run",
        extra={"part": f"{part.part}/{part.parts}", "summary": summary.as_dict()},
    )
    return summary.as_dict()
