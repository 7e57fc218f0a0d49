"""GET /v1/reports/...: a campaign's and each day's delivery figures, from the counters.

The counters are kept exactly by the table stream's reports consumer; these routes only
read them. Both need an API key like every route but ``/openapi.json``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BeforeValidator

from lookup.report_schemas import (
    CORRELATION_ID_MAX_LENGTH,
    MOST_REPORT_DAYS,
    CampaignReport,
    DailyReport,
)
from lookup.route_docs import COMMON_ERRORS, KEYED, error_response, success_response
from lookup.route_guards import dependencies_of, refuse_path_tricks, require_api_key
from lookup.telemetry import logger, metrics
from receipts.channels import Channel
from receipts.storage import StoreUnavailableError

if TYPE_CHECKING:
    from lookup.reports import ReportService

# Powertools leaves Router.__init__ unannotated.
report_router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day_only(value: Any) -> Any:
    # Pydantic alone would also take "0" (1970-01-01) or a full timestamp for a date.
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


CorrelationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=CORRELATION_ID_MAX_LENGTH,
        description="The correlation id the campaign's messages were sent with.",
    ),
]


FirstDay = Annotated[
    date,
    BeforeValidator(_iso_day_only),
    Query(alias="from", description="The first day (UTC), YYYY-MM-DD.", examples=["2026-12-01"]),
]
LastDay = Annotated[
    date,
    BeforeValidator(_iso_day_only),
    Query(
        alias="to",
        description="The last day (UTC), YYYY-MM-DD, included; from..to holds at most"
        f" {MOST_REPORT_DAYS} days.",
        examples=["2026-12-31"],
    ),
]


def _reports() -> ReportService:
    reports = dependencies_of(report_router).reports
    if reports is None:
        raise StoreUnavailableError("this process has no report counters to read")
    return reports


def _served(kind: str, **extra: object) -> None:
    metrics.add_metric(name="ReportsServed", unit="Count", value=1)
    logger.info("report served", extra={"report": kind, **extra})


@report_router.get(
    "/v1/reports/campaigns/<correlationid>",
    summary="A campaign's delivery figures: statuses, rates, failures, time to deliver",
    description=(
        "Every transaction sent with this correlation id, counted once by its current status"
        " (the shared lifecycle rule), in all and per channel: statuses, delivered and read"
        " rates, transactions still open, reconciled or closed at the horizon, the most"
        " frequent failures with their codes' meanings, and how long delivery and reading took"
        " (percentiles and histogram). Kept up to date from the table's stream: a callback"
        " shows here within seconds."
    ),
    operation_id="getCampaignReport",
    tags=["reports"],
    security=KEYED,
    responses={
        200: success_response("The campaign's figures."),
        400: error_response(
            "The correlation id is not one path segment, or longer than 256 characters."
        ),
        401: COMMON_ERRORS[401],
        404: error_response("No transaction with this correlation id is counted."),
        503: COMMON_ERRORS[503],
    },
    middlewares=[refuse_path_tricks, require_api_key],
)
def campaign_report(correlationid: CorrelationId) -> CampaignReport:
    report = _reports().campaign(correlationid, report_router.context["deadline"])
    _served("campaign", transactions=report.transactions)
    return report


@report_router.get(
    "/v1/reports/daily",
    summary="Delivery figures per day and channel",
    description=(
        "For each UTC day from `from` to `to` (both included, at most"
        f" {MOST_REPORT_DAYS} days) and each channel with traffic that day: the same figures"
        " as a campaign's channel. A transaction counts on the day of its first event."
        " Days and channels without traffic are left out; a range without any is answered"
        " with no days."
    ),
    operation_id="getDailyReport",
    tags=["reports"],
    security=KEYED,
    responses={
        200: success_response("The figures of each day and channel with traffic."),
        400: error_response(
            "A day is not YYYY-MM-DD, `to` is before `from`, the range is longer than"
            f" {MOST_REPORT_DAYS} days, or the channel is not one this API knows."
        ),
        401: COMMON_ERRORS[401],
        503: COMMON_ERRORS[503],
    },
    middlewares=[require_api_key],
)
def daily_report(
    first: FirstDay,
    last: LastDay,
    channel: Annotated[
        Channel | None, Query(description="Only this channel; every channel when absent.")
    ] = None,
) -> DailyReport:
    report = _reports().daily(first, last, channel, report_router.context["deadline"])
    _served("daily", days=len(report.days))
    return report
