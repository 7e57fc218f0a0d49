"""The reports' counters as the routes show them: rates, durations, failures, channels, days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.fakes.event_summaries import SENT, callback_summary

from lookup.errors import (
    CampaignNotFoundError,
    InvalidPathParameterError,
    InvalidReportRangeError,
    describe,
)
from lookup.reports import (
    NO_CODE_MEANING,
    ReportService,
    campaign_report,
    check_range,
    daily_report,
    report_figures,
)
from receipts.aggregates import histogram
from receipts.aggregates.recount import recount
from receipts.aggregates.tally import (
    CAMPAIGN,
    DAY,
    DELIVERED_PREFIX,
    READ_PREFIX,
    STILL_OPEN,
    TRANSACTIONS,
    AggregateKey,
    Counters,
    failure_counter,
    status_counter,
)
from receipts.channels import Channel
from receipts.codes import Classification, resolve_code
from receipts.deadline import Deadline
from receipts.lifecycle import DeliveryStatus
from receipts.storage import StoreUnavailableError


def _black_friday_sms() -> Counters:
    """The brief's example: 1000 sent, 800 delivered (200 of them read), 50 failed."""
    return {
        TRANSACTIONS: 1000,
        status_counter("delivered"): 600,
        status_counter("read"): 200,
        status_counter("failed"): 50,
        status_counter("submitted"): 150,
        STILL_OPEN: 150,
        "rec": 20,
        "hz": 5,
        failure_counter("undelivered", 7202): 10,
        failure_counter("failed", None): 40,
        f"{DELIVERED_PREFIX}1": 700,
        f"{DELIVERED_PREFIX}{histogram.bucket_of(60)}": 99,
        f"{DELIVERED_PREFIX}{histogram.OVERFLOW_BUCKET}": 1,
        f"{READ_PREFIX}{histogram.bucket_of(300)}": 200,
    }


def _campaign_counters(
    recounted: dict[AggregateKey, Counters], name: str = "black-friday"
) -> dict[str, Counters]:
    return {key.channel: part for key, part in recounted.items() if key[:2] == (CAMPAIGN, name)}


def test_rates_are_delivered_and_read_over_transactions() -> None:
    figures = report_figures({"sms": _black_friday_sms()})

    assert figures.transactions == 1000
    assert figures.statuses == {"delivered": 600, "failed": 50, "read": 200, "submitted": 150}
    assert (figures.delivered, figures.read) == (800, 200)
    assert (figures.delivered_rate, figures.read_rate) == (0.8, 0.2)
    assert (figures.still_open, figures.reconciled, figures.closed_at_horizon) == (150, 20, 5)


def test_no_transactions_means_no_rates_and_no_percentiles() -> None:
    figures = report_figures({})

    assert figures.transactions == 0
    assert figures.delivered_rate is None
    assert figures.read_rate is None
    for duration in (figures.time_to_deliver, figures.time_to_read):
        assert (duration.p50, duration.p90, duration.p99) == (None, None, None)
        assert duration.measured == 0
        assert duration.buckets == []
    assert figures.failures == []


def test_buckets_are_the_non_empty_ones_in_order_with_their_upper_bounds() -> None:
    delivered = report_figures({"sms": _black_friday_sms()}).time_to_deliver

    assert [(bucket.up_to_seconds, bucket.count) for bucket in delivered.buckets] == [
        (1, 700),
        (60, 99),
        (None, 1),  # more than a week: no upper bound
    ]
    assert delivered.measured == 800
    assert (delivered.p50, delivered.p90, delivered.p99) == (1.0, 60.0, 60.0)


def test_percentiles_are_null_only_for_what_was_not_measured() -> None:
    counters = {TRANSACTIONS: 2, status_counter("delivered"): 2, f"{DELIVERED_PREFIX}3": 2}

    figures = report_figures({"email": counters})

    assert figures.time_to_deliver.p50 == 3.0
    assert figures.time_to_read.p50 is None
    assert figures.time_to_read.buckets == []


def test_failures_carry_their_codes_meaning_from_the_code_tables() -> None:
    failures = report_figures({"sms": _black_friday_sms()}).failures

    assert [(f.status, f.code, f.count) for f in failures] == [
        (DeliveryStatus.FAILED, None, 40),
        (DeliveryStatus.UNDELIVERED, 7202, 10),
    ]
    coded = failures[1]
    info = resolve_code(7202, Channel.SMS, DeliveryStatus.UNDELIVERED)
    assert coded.channel is Channel.SMS
    assert (coded.meaning, coded.description) == (info.message, info.description)
    assert coded.classification is Classification.FAILED_PERMANENT


def test_a_failure_without_a_code_says_so_rather_than_blaming_an_unknown_code() -> None:
    [uncoded] = [f for f in report_figures({"sms": _black_friday_sms()}).failures if f.code is None]

    assert uncoded.meaning == NO_CODE_MEANING
    assert "without a code" in uncoded.description
    assert uncoded.classification is Classification.FAILED_PERMANENT


def test_a_code_reads_per_channel_and_status_like_everywhere_else() -> None:
    # 7208 on an SMS callback is "Message expired", not the status API's meaning.
    counters = {TRANSACTIONS: 1, status_counter("expired"): 1, failure_counter("expired", 7208): 1}

    [failure] = report_figures({"sms": counters}).failures

    assert failure.meaning == "Message expired"


def test_at_most_ten_failures_most_frequent_first() -> None:
    counters: Counters = {TRANSACTIONS: 66, status_counter("failed"): 66}
    for code in range(7300, 7311):
        counters[failure_counter("failed", code)] = code - 7299
    counters[failure_counter("failed", 7300)] = 1

    failures = report_figures({"sms": counters}).failures

    assert len(failures) == 10
    assert [f.count for f in failures] == list(range(11, 1, -1))


def test_a_campaign_report_adds_its_channels_up_and_shows_each() -> None:
    events = {
        "sms-1": [
            callback_summary(DeliveryStatus.SUBMITTED),
            callback_summary(DeliveryStatus.DELIVERED, after_seconds=4),
        ],
        "sms-2": [callback_summary(DeliveryStatus.UNDELIVERED, after_seconds=2, code=7202)],
        "email-1": [
            callback_summary(DeliveryStatus.DELIVERED, after_seconds=30, channel=Channel.EMAIL),
            callback_summary(DeliveryStatus.READ, after_seconds=600, channel=Channel.EMAIL),
        ],
    }

    report = campaign_report("black-friday", _campaign_counters(recount(events)))

    assert report.correlationid == "black-friday"
    assert report.transactions == 3
    assert (report.delivered, report.read) == (2, 1)
    assert report.delivered_rate == pytest.approx(2 / 3)
    assert set(report.channels) == {"email", "sms"}
    sms, email = report.channels["sms"], report.channels["email"]
    assert (sms.transactions, sms.delivered, sms.read, sms.delivered_rate) == (2, 1, 0, 0.5)
    assert (email.transactions, email.read_rate) == (1, 1.0)
    assert email.time_to_read.p50 == 600.0
    assert [(f.channel, f.code) for f in report.failures] == [(Channel.SMS, 7202)]
    assert email.failures == []
    assert report.time_to_deliver.measured == 2
    assert list(report.model_dump())[:2] == ["correlationid", "transactions"]


def test_a_campaign_without_counters_is_not_found() -> None:
    with pytest.raises(CampaignNotFoundError):
        campaign_report("nobody", {})


def test_a_campaign_whose_counters_came_back_to_zero_is_not_found() -> None:
    # A transaction moved from "unknown" to a channel leaves the unknown channel's item at 0.
    with pytest.raises(CampaignNotFoundError):
        campaign_report("moved", {"unknown": {TRANSACTIONS: 0, status_counter("unknown"): 0}})


def test_a_channel_without_traffic_is_left_out_of_the_campaign() -> None:
    report = campaign_report(
        "moved", {"unknown": {TRANSACTIONS: 0}, "sms": {TRANSACTIONS: 1, STILL_OPEN: 1}}
    )

    assert set(report.channels) == {"sms"}


def test_a_daily_report_lists_days_then_channels_with_traffic_only() -> None:
    by_day = {
        ("2026-12-02", "sms"): {TRANSACTIONS: 1},
        ("2026-12-01", "sms"): {TRANSACTIONS: 2},
        ("2026-12-01", "email"): {TRANSACTIONS: 3},
        ("2026-12-03", "push"): {TRANSACTIONS: 0},
    }

    report = daily_report(date(2026, 12, 1), date(2026, 12, 3), None, by_day)

    assert [(d.day.isoformat(), d.channel.value, d.transactions) for d in report.days] == [
        ("2026-12-01", "email", 3),
        ("2026-12-01", "sms", 2),
        ("2026-12-02", "sms", 1),
    ]
    answer = report.model_dump(mode="json")
    assert (answer["from"], answer["to"], answer["channel"]) == ("2026-12-01", "2026-12-03", None)
    assert list(answer["days"][0])[:3] == ["day", "channel", "transactions"]


def test_a_daily_report_from_recounted_events() -> None:
    events = {
        "a": [callback_summary(DeliveryStatus.DELIVERED, after_seconds=5)],
        "b": [callback_summary(DeliveryStatus.FAILED, code=7202, sent=SENT + timedelta(days=1))],
    }
    by_day = {
        (key.name, key.channel): part for key, part in recount(events).items() if key.kind == DAY
    }

    report = daily_report(date(2026, 12, 1), date(2026, 12, 2), Channel.SMS, by_day)

    assert [(d.day, d.delivered, len(d.failures)) for d in report.days] == [
        (date(2026, 12, 1), 1, 0),
        (date(2026, 12, 2), 0, 1),
    ]
    assert report.channel is Channel.SMS


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2026, 12, 2), date(2026, 12, 1), "invalid_range"),
        (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=93), "range_too_long"),
    ],
)
def test_ranges_a_daily_report_does_not_cover(first: date, last: date, code: str) -> None:
    with pytest.raises(InvalidReportRangeError) as refused:
        check_range(first, last)

    problem = describe(refused.value)
    assert problem is not None
    assert (problem.http_status, problem.code) == (400, code)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 12, 1), date(2026, 12, 1)),
        (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=92)),  # 93 days, both included
    ],
)
def test_ranges_a_daily_report_covers(first: date, last: date) -> None:
    check_range(first, last)


def test_report_errors_as_the_caller_sees_them() -> None:
    not_found = describe(CampaignNotFoundError("none"))
    bad_segment = describe(InvalidPathParameterError("correlationid"))

    assert not_found is not None
    assert (not_found.http_status, not_found.code) == (404, "campaign_not_found")
    assert bad_segment is not None
    assert (bad_segment.http_status, bad_segment.code) == (400, "invalid_path_parameter")
    assert "correlationid" in bad_segment.message


class _Counters:
    def __init__(self) -> None:
        self.daily_asked: list[tuple[date, date, str | None]] = []

    def campaign_counters(self, correlationid: str) -> dict[str, Counters]:
        return {"sms": {TRANSACTIONS: 1}}

    def daily_counters(
        self, first: date, last: date, channel: str | None = None
    ) -> dict[tuple[str, str], Counters]:
        self.daily_asked.append((first, last, channel))
        return {}


def test_the_service_reads_the_channel_asked_for_and_checks_the_range_first() -> None:
    counters = _Counters()
    service = ReportService(counters)

    report = service.daily(date(2026, 12, 1), date(2026, 12, 2), Channel.SMS, Deadline.unbounded())
    with pytest.raises(InvalidReportRangeError):
        service.daily(date(2026, 12, 2), date(2026, 12, 1), None, Deadline.unbounded())

    assert report.days == []
    assert counters.daily_asked == [(date(2026, 12, 1), date(2026, 12, 2), "sms")]


def test_the_service_reads_nothing_without_time_for_a_table_call() -> None:
    service = ReportService(_Counters(), table_call_seconds=1.0)
    spent = Deadline(expires_at=0.0, monotonic=lambda: 10.0)

    with pytest.raises(StoreUnavailableError):
        service.campaign("black-friday", spent)
    with pytest.raises(StoreUnavailableError):
        service.daily(date(2026, 12, 1), date(2026, 12, 1), None, spent)
