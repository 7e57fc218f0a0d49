"""What the report routes answer: response models, which also make the OpenAPI document."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.lifecycle import DeliveryStatus

# The longest daily report, both ends included: a quarter's worth of days.
MOST_REPORT_DAYS = 93
CORRELATION_ID_MAX_LENGTH = 256


class FailureView(BaseModel):
    channel: Channel
    status: DeliveryStatus
    code: int | None = Field(description="The vendor's code; null when it sent none.")
    meaning: str = Field(description="The code's message in the vendor's code tables.")
    description: str
    classification: Classification = Field(
        description="What the code means for such a message: a permanent or transient failure."
    )
    count: int = Field(description="Transactions whose current status is this failure.")


class DurationBucket(BaseModel):
    up_to_seconds: int | None = Field(
        description="The longest duration the bucket holds (each bucket starts where the one"
        " before it ends); null for the last one: more than a week."
    )
    count: int


class DurationView(BaseModel):
    p50: float | None = Field(
        description="Seconds, read as the upper bound of the bucket the percentile falls in"
        " (so at most that); null when nothing was measured."
    )
    p90: float | None
    p99: float | None
    measured: int = Field(description="Transactions with this duration measured.")
    buckets: list[DurationBucket] = Field(
        description="The non-empty buckets, shortest durations first."
    )


class ReportFigures(BaseModel):
    """Counted over transactions, each by its current status (not over callbacks)."""

    transactions: int = Field(description="Transactions counted (each one once).")
    statuses: dict[str, int] = Field(
        description="Transactions by current status (delivered, read, failed, ...)."
    )
    delivered: int = Field(description="Transactions ever delivered (a read one was delivered).")
    read: int
    delivered_rate: float | None = Field(
        description="delivered / transactions, 0 to 1; null with none."
    )
    read_rate: float | None = Field(description="read / transactions, 0 to 1; null with none.")
    still_open: int = Field(description="Transactions without a final status yet.")
    reconciled: int = Field(description="Transactions the vendor's status API told about.")
    closed_at_horizon: int = Field(
        description="Transactions closed at the reconcile horizon with status unknown."
    )
    failures: list[FailureView] = Field(
        description="The most frequent failures by channel, status and code (at most 10)."
    )
    time_to_deliver: DurationView = Field(
        description="From the transaction's first event to its first delivered one."
    )
    time_to_read: DurationView = Field(
        description="From the transaction's first event to its first read one."
    )


# Bases listed after ReportFigures come first in the answer: pydantic orders the fields of
# the bases from the last one listed, so the names lead and the figures follow.
class _CampaignName(BaseModel):
    correlationid: str


class CampaignReport(ReportFigures, _CampaignName):
    channels: dict[str, ReportFigures] = Field(
        description="The same figures for each channel the campaign was sent on."
    )


class _DayAndChannel(BaseModel):
    day: date = Field(description="UTC day of the transaction's first event.")
    channel: Channel


class DayFigures(ReportFigures, _DayAndChannel):
    pass


class DailyReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    first: date = Field(alias="from", description="The first day of the report (UTC).")
    last: date = Field(alias="to", description="The last day of the report (UTC), included.")
    channel: Channel | None = Field(description="The channel asked for; null for every channel.")
    days: list[DayFigures] = Field(
        description="One entry per day and channel with traffic, by day then channel."
    )
