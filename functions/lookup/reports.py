"""The campaign and daily reports: the stream's counters, read and put in words.

The counters (``receipts.storage.aggregates``) are exact and already summed over their write
shards; this module only reads them within the request's deadline, turns them into figures
(``receipts.aggregates.figures``) and names what each failure code means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Protocol

from lookup.errors import CampaignNotFoundError, InvalidReportRangeError
from lookup.report_schemas import (
    MOST_REPORT_DAYS,
    CampaignReport,
    DailyReport,
    DayFigures,
    DurationBucket,
    DurationView,
    FailureView,
    ReportFigures,
)
from receipts.aggregates.figures import FailureCount, Figures, Percentiles, figures_of
from receipts.aggregates.histogram import upper_bound
from receipts.aggregates.tally import TRANSACTIONS, Counters
from receipts.channels import Channel
from receipts.codes import classify, resolve_code
from receipts.deadline import Deadline
from receipts.lifecycle import DeliveryStatus
from receipts.storage import StoreUnavailableError, keys

# A failure reported without any code: "Unknown code" (what the code tables say of a code
# they do not list) would blame a code that was never sent.
NO_CODE_MEANING = "No code"
NO_CODE_DESCRIPTION = "The failure was reported without a code."


class CounterReader(Protocol):
    """The reports' side of ``receipts.storage.aggregates.AggregateStore``."""

    def campaign_counters(self, correlationid: str) -> dict[str, Counters]: ...

    def daily_counters(
        self, first: date, last: date, channel: str | None = None
    ) -> dict[tuple[str, str], Counters]: ...


def failure_view(failure: FailureCount) -> FailureView:
    channel = Channel(failure.channel)
    status = DeliveryStatus(failure.status)
    if failure.code is None:
        meaning, description = NO_CODE_MEANING, NO_CODE_DESCRIPTION
    else:
        info = resolve_code(failure.code, channel, status)
        meaning, description = info.message, info.description
    return FailureView(
        channel=channel,
        status=status,
        code=failure.code,
        meaning=meaning,
        description=description,
        # The classification every other view of a code shows (timeline, alerts).
        classification=classify(channel, failure.code, status),
        count=failure.count,
    )


def duration_view(percentiles: Percentiles, histogram: Mapping[int, int]) -> DurationView:
    return DurationView(
        p50=percentiles.p50,
        p90=percentiles.p90,
        p99=percentiles.p99,
        measured=sum(count for count in histogram.values() if count > 0),
        buckets=[
            DurationBucket(up_to_seconds=upper_bound(bucket), count=count)
            for bucket, count in sorted(histogram.items())
            if count > 0
        ],
    )


def _figure_fields(figures: Figures) -> ReportFigures:
    return ReportFigures(
        transactions=figures.transactions,
        statuses=figures.by_status,
        delivered=figures.delivered,
        read=figures.read,
        delivered_rate=figures.delivered_rate,
        read_rate=figures.read_rate,
        still_open=figures.still_open,
        reconciled=figures.reconciled,
        closed_at_horizon=figures.closed_at_horizon,
        failures=[failure_view(failure) for failure in figures.failures],
        time_to_deliver=duration_view(figures.time_to_deliver, figures.delivered_histogram),
        time_to_read=duration_view(figures.time_to_read, figures.read_histogram),
    )


def report_figures(by_channel: Mapping[str, Mapping[str, int]]) -> ReportFigures:
    """The figures of counters kept per channel (one channel, or several added up)."""
    return _figure_fields(figures_of(by_channel))


def _with_traffic(by_channel: Mapping[str, Counters]) -> dict[str, Counters]:
    # A channel's counters come to zero when its transactions moved to another channel (a
    # closure that did not know the channel, joined later with one that did): no traffic.
    return {
        channel: counters
        for channel, counters in sorted(by_channel.items())
        if counters.get(TRANSACTIONS, 0) > 0
    }


def campaign_report(correlationid: str, by_channel: Mapping[str, Counters]) -> CampaignReport:
    """The campaign's figures, in all and per channel; raises when nothing was counted."""
    counted = _with_traffic(by_channel)
    if not counted:
        raise CampaignNotFoundError(
            f"No transaction with correlation id {correlationid!r} is counted in the reports."
        )
    total = report_figures(counted)
    return CampaignReport(
        correlationid=correlationid,
        **dict(total),
        channels={channel: report_figures({channel: part}) for channel, part in counted.items()},
    )


def daily_report(
    first: date,
    last: date,
    channel: Channel | None,
    by_day: Mapping[tuple[str, str], Counters],
) -> DailyReport:
    days = [
        DayFigures(
            day=date.fromisoformat(day),
            channel=Channel(day_channel),
            **dict(report_figures({day_channel: counters})),
        )
        for (day, day_channel), counters in sorted(by_day.items())
        if counters.get(TRANSACTIONS, 0) > 0
    ]
    return DailyReport(first=first, last=last, channel=channel, days=days)


def check_range(first: date, last: date) -> None:
    """Raise unless ``first``..``last`` is a range a daily report covers."""
    if last < first:
        raise InvalidReportRangeError(
            "invalid_range", f"'to' ({last}) is before 'from' ({first}): give from <= to."
        )
    days = (last - first).days + 1
    if days > MOST_REPORT_DAYS:
        raise InvalidReportRangeError(
            "range_too_long",
            f"The range holds {days} days; a daily report covers at most {MOST_REPORT_DAYS}"
            " (both ends included): ask for it in parts.",
        )


class ReportService:
    def __init__(self, counters: CounterReader, *, table_call_seconds: float = 0.0) -> None:
        self._counters = counters
        self._table_call_seconds = table_call_seconds

    def _check_time(self, deadline: Deadline, waves: int = 1) -> None:
        # The shards are read side by side, as many at once as the table reader's pool
        # holds (one per write shard): each wave takes about one table call's time.
        if not deadline.allows(self._table_call_seconds * waves):
            raise StoreUnavailableError("no time left for the table calls before the deadline")

    def campaign(self, correlationid: str, deadline: Deadline) -> CampaignReport:
        self._check_time(deadline)
        return campaign_report(correlationid, self._counters.campaign_counters(correlationid))

    def daily(
        self, first: date, last: date, channel: Channel | None, deadline: Deadline
    ) -> DailyReport:
        check_range(first, last)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        self._check_time(deadline, math.ceil(months * keys.AGGREGATE_SHARDS / keys.WRITE_SHARDS))
        by_day = self._counters.daily_counters(
            first, last, channel.value if channel is not None else None
        )
        return daily_report(first, last, channel, by_day)
