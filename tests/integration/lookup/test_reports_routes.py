"""GET /v1/reports/...: the stream's counters through the real lookup handler, under moto.

The counters are written as the stream consumer writes them (``apply_events`` folding stored
events, or ``AggregateStore.commit`` directly), every write on another shard, so the numbers
read back are sums over shards.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from tests.fakes.event_summaries import SENT, callback_summary
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    body_of,
    campaign_report_event,
    daily_report_event,
    openapi_event,
)

from receipts.aggregates.apply import apply_events
from receipts.aggregates.histogram import OVERFLOW_BUCKET, bucket_of
from receipts.aggregates.tally import (
    CAMPAIGN,
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
from receipts.codes import resolve_code
from receipts.lifecycle import DeliveryStatus
from receipts.storage import StoreUnavailableError
from receipts.storage.aggregates import AggregateStore
from receipts.storage.event_store import EventSummary

NOW = datetime(2026, 12, 20, tzinfo=UTC)
CAMPAIGN_ID = "black-friday"


def _fold(store: AggregateStore, events: dict[str, list[EventSummary]]) -> None:
    # One batch per event, as a stream that delivers them one by one: each move of the
    # counters lands on another shard.
    for transid, its_events in events.items():
        for event in its_events:
            apply_events(store, {transid: [event]}, NOW)


def _commit_split(store: AggregateStore, key: AggregateKey, counters: Counters) -> None:
    """Write ``counters`` as two halves, each on its own shard."""
    half = {name: value // 2 for name, value in counters.items()}
    rest = {name: value - half[name] for name, value in counters.items()}
    for part in (half, rest):
        assert store.commit([], {key: {k: v for k, v in part.items() if v}}, NOW)


def _black_friday_sms() -> Counters:
    return {
        TRANSACTIONS: 1000,
        status_counter("delivered"): 600,
        status_counter("read"): 200,
        status_counter("failed"): 40,
        status_counter("undelivered"): 10,
        status_counter("submitted"): 150,
        STILL_OPEN: 150,
        "rec": 20,
        "hz": 5,
        failure_counter("undelivered", 7202): 10,
        failure_counter("failed", None): 40,
        f"{DELIVERED_PREFIX}{bucket_of(12)}": 700,
        f"{DELIVERED_PREFIX}{bucket_of(60)}": 98,
        f"{DELIVERED_PREFIX}{OVERFLOW_BUCKET}": 2,
        f"{READ_PREFIX}{bucket_of(300)}": 200,
    }


def _answer(response: dict[str, Any], status: int = 200) -> Any:
    assert response["statusCode"] == status, response["body"]
    return body_of(response)


# ---- GET /v1/reports/campaigns/{correlationid} ---------------------------------------------


def test_a_campaign_report_sums_every_shard(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    _commit_split(aggregate_store, AggregateKey(CAMPAIGN, CAMPAIGN_ID, "sms"), _black_friday_sms())

    report = _answer(lookup.invoke(campaign_report_event(CAMPAIGN_ID)))

    info = resolve_code(7202, Channel.SMS, DeliveryStatus.UNDELIVERED)
    assert report["correlationid"] == CAMPAIGN_ID
    assert report["transactions"] == 1000
    assert report["statuses"] == {
        "delivered": 600,
        "failed": 40,
        "read": 200,
        "submitted": 150,
        "undelivered": 10,
    }
    assert (report["delivered"], report["read"]) == (800, 200)
    assert (report["delivered_rate"], report["read_rate"]) == (0.8, 0.2)
    assert (report["still_open"], report["reconciled"], report["closed_at_horizon"]) == (150, 20, 5)
    assert report["failures"] == [
        {
            "channel": "sms",
            "status": "failed",
            "code": None,
            "meaning": "No code",
            "description": "The failure was reported without a code.",
            "classification": "failed_permanent",
            "count": 40,
        },
        {
            "channel": "sms",
            "status": "undelivered",
            "code": 7202,
            "meaning": info.message,
            "description": info.description,
            "classification": "failed_permanent",
            "count": 10,
        },
    ]
    assert report["time_to_deliver"] == {
        "p50": 12.0,
        "p90": 60.0,
        "p99": 60.0,
        "measured": 800,
        "buckets": [
            {"up_to_seconds": 12, "count": 700},
            {"up_to_seconds": 60, "count": 98},
            {"up_to_seconds": None, "count": 2},
        ],
    }
    assert report["time_to_read"]["buckets"] == [{"up_to_seconds": 300, "count": 200}]
    channel_entry = dict(report)
    del channel_entry["correlationid"], channel_entry["channels"]
    assert report["channels"] == {"sms": channel_entry}


def test_a_campaign_report_of_folded_events_per_channel(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    _fold(
        aggregate_store,
        {
            "sms-1": [
                callback_summary(DeliveryStatus.SUBMITTED),
                callback_summary(DeliveryStatus.DELIVERED, after_seconds=4),
            ],
            "sms-2": [callback_summary(DeliveryStatus.UNDELIVERED, after_seconds=2, code=7202)],
            "sms-3": [callback_summary(DeliveryStatus.SUBMITTED)],
            "email-1": [
                callback_summary(DeliveryStatus.DELIVERED, channel=Channel.EMAIL, after_seconds=30),
                callback_summary(DeliveryStatus.READ, channel=Channel.EMAIL, after_seconds=600),
            ],
            "other": [callback_summary(DeliveryStatus.DELIVERED, campaign="welcome")],
        },
    )

    report = _answer(lookup.invoke(campaign_report_event(CAMPAIGN_ID)))

    assert report["transactions"] == 4
    assert report["statuses"] == {"delivered": 1, "read": 1, "submitted": 1, "undelivered": 1}
    assert (report["delivered"], report["read"], report["still_open"]) == (2, 1, 1)
    assert report["delivered_rate"] == 0.5
    assert sorted(report["channels"]) == ["email", "sms"]
    sms, email = report["channels"]["sms"], report["channels"]["email"]
    assert (sms["transactions"], sms["delivered"], sms["read_rate"]) == (3, 1, 0.0)
    assert sms["time_to_deliver"]["p50"] == 4.0
    assert sms["time_to_read"] == {
        "p50": None,
        "p90": None,
        "p99": None,
        "measured": 0,
        "buckets": [],
    }
    assert [f["code"] for f in sms["failures"]] == [7202]
    assert (email["transactions"], email["read_rate"], email["failures"]) == (1, 1.0, [])
    assert email["time_to_read"]["p50"] == 600.0


def test_a_campaign_nobody_sent_is_404_in_the_house_shape(lookup: LookupProcess) -> None:
    response = lookup.invoke(campaign_report_event("never-sent"))

    error = _answer(response, 404)["error"]
    assert error["code"] == "campaign_not_found"
    assert "never-sent" in error["message"]
    assert response["headers"]["Content-Type"] == "application/json"


def test_a_campaign_whose_counters_are_all_zero_is_404(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    key = AggregateKey(CAMPAIGN, "moved", "unknown")
    assert aggregate_store.commit([], {key: {TRANSACTIONS: 1}}, NOW)
    assert aggregate_store.commit([], {key: {TRANSACTIONS: -1}}, NOW)

    assert _answer(lookup.invoke(campaign_report_event("moved")), 404)["error"]["code"] == (
        "campaign_not_found"
    )


@pytest.mark.parametrize("api_key", [None, "not-a-key"])
def test_a_campaign_report_needs_an_api_key(
    lookup: LookupProcess, aggregate_store: AggregateStore, api_key: str | None
) -> None:
    _fold(aggregate_store, {"t": [callback_summary(DeliveryStatus.DELIVERED)]})

    response = lookup.invoke(campaign_report_event(CAMPAIGN_ID, api_key=api_key))

    assert _answer(response, 401)["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("correlationid", ["..", ".", "a/b", "%2E%2E", "%252F"])
@pytest.mark.parametrize("api_key", [None, "lookup-key-1"])
def test_path_tricks_are_refused_before_the_key_is_checked(
    lookup: LookupProcess, correlationid: str, api_key: str | None
) -> None:
    response = lookup.invoke(campaign_report_event(correlationid, api_key=api_key))

    error = _answer(response, 400)["error"]
    assert error["code"] == "invalid_path_parameter"
    assert "correlationid" in error["message"]


def test_a_correlation_id_longer_than_256_is_refused(lookup: LookupProcess) -> None:
    response = lookup.invoke(campaign_report_event("c" * 257))

    error = _answer(response, 400)["error"]
    assert error["code"] == "invalid_request"
    assert "correlationid" in error["message"]


def test_a_correlation_id_of_256_is_looked_up(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    long_id = "c" * 256
    _fold(aggregate_store, {"t": [callback_summary(DeliveryStatus.DELIVERED, campaign=long_id)]})

    assert _answer(lookup.invoke(campaign_report_event(long_id)))["transactions"] == 1


@pytest.mark.parametrize(
    "correlationid", ["order#1234", "what?now", 'say "hi"', "back\\slash", "tick`s", "50% off"]
)
def test_a_correlation_id_with_characters_a_url_carries_encoded_is_looked_up(
    lookup: LookupProcess, aggregate_store: AggregateStore, correlationid: str
) -> None:
    # API Gateway matched the route and decoded the path; the report is this very campaign's,
    # not the one named by its encoded form.
    encoded = quote(correlationid, safe="")
    assert encoded != correlationid
    _fold(
        aggregate_store,
        {
            "t": [callback_summary(DeliveryStatus.DELIVERED, campaign=correlationid)],
            "u": [callback_summary(DeliveryStatus.DELIVERED, campaign=encoded)],
            "v": [callback_summary(DeliveryStatus.DELIVERED, campaign=encoded)],
        },
    )

    report = _answer(lookup.invoke(campaign_report_event(correlationid)))

    assert (report["correlationid"], report["transactions"]) == (correlationid, 1)


def test_a_served_report_is_counted(
    lookup: LookupProcess, aggregate_store: AggregateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    _fold(aggregate_store, {"t": [callback_summary(DeliveryStatus.DELIVERED)]})
    capsys.readouterr()

    lookup.invoke(campaign_report_event(CAMPAIGN_ID))
    lookup.invoke(daily_report_event(first="2026-12-01", last="2026-12-01"))
    lookup.invoke(campaign_report_event("never-sent"))

    metrics = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
    ]
    served = [blob["ReportsServed"] for blob in metrics if "ReportsServed" in blob]
    assert served == [[1.0], [1.0]]  # one per report answered, none for the 404
    for blob in metrics:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Dimensions"] == [["service"]]  # as every lookup metric


def test_a_table_fault_is_503(
    lookup: LookupProcess, monkeypatch: pytest.MonkeyPatch, aggregate_store: AggregateStore
) -> None:
    def fail(*_args: object, **_kwargs: object) -> Any:
        raise StoreUnavailableError("throttled")

    monkeypatch.setattr(aggregate_store, "campaign_counters", fail)
    monkeypatch.setattr(aggregate_store, "daily_counters", fail)

    campaign = lookup.invoke(campaign_report_event(CAMPAIGN_ID))
    daily = lookup.invoke(daily_report_event(first="2026-12-01", last="2026-12-02"))

    assert _answer(campaign, 503)["error"]["code"] == "storage_unavailable"
    assert _answer(daily, 503)["error"]["code"] == "storage_unavailable"


# ---- GET /v1/reports/daily -----------------------------------------------------------------


def _traffic(store: AggregateStore) -> None:
    _fold(
        store,
        {
            "d1-sms": [
                callback_summary(DeliveryStatus.SUBMITTED),
                callback_summary(DeliveryStatus.DELIVERED, after_seconds=3),
            ],
            "d1-email": [
                callback_summary(DeliveryStatus.BOUNCED, channel=Channel.EMAIL, code=7510)
            ],
            "d2-sms": [callback_summary(DeliveryStatus.READ, sent=SENT + timedelta(days=1))],
            # The last day of the month and the first of the next: two months' partitions.
            "d31-push": [
                callback_summary(
                    DeliveryStatus.DELIVERED, channel=Channel.PUSH, sent=SENT + timedelta(days=30)
                )
            ],
            "j1-sms": [callback_summary(DeliveryStatus.DELIVERED, sent=SENT + timedelta(days=31))],
        },
    )


def test_a_daily_report_lists_each_day_and_channel_with_traffic(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    _traffic(aggregate_store)

    report = _answer(lookup.invoke(daily_report_event(first="2026-11-30", last="2027-01-01")))

    assert (report["from"], report["to"], report["channel"]) == ("2026-11-30", "2027-01-01", None)
    assert [(d["day"], d["channel"], d["transactions"]) for d in report["days"]] == [
        ("2026-12-01", "email", 1),
        ("2026-12-01", "sms", 1),
        ("2026-12-02", "sms", 1),
        ("2026-12-31", "push", 1),
        ("2027-01-01", "sms", 1),
    ]
    email = report["days"][0]
    assert email["failures"][0]["code"] == 7510
    assert email["delivered_rate"] == 0.0
    sms = report["days"][1]
    assert (sms["delivered_rate"], sms["time_to_deliver"]["p50"]) == (1.0, 3.0)
    assert set(sms) == {"day", "channel"} | set(
        _answer(lookup.invoke(campaign_report_event(CAMPAIGN_ID)))["channels"]["sms"]
    )


def test_a_daily_report_of_one_channel(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    _traffic(aggregate_store)

    report = _answer(
        lookup.invoke(daily_report_event(first="2026-12-01", last="2026-12-31", channel="sms"))
    )

    assert report["channel"] == "sms"
    assert [(d["day"], d["channel"]) for d in report["days"]] == [
        ("2026-12-01", "sms"),
        ("2026-12-02", "sms"),
    ]


def test_a_range_without_traffic_is_200_with_no_days(
    lookup: LookupProcess, aggregate_store: AggregateStore
) -> None:
    _traffic(aggregate_store)

    report = _answer(lookup.invoke(daily_report_event(first="2026-10-01", last="2026-10-31")))

    assert report == {"from": "2026-10-01", "to": "2026-10-31", "channel": None, "days": []}


def test_93_days_is_the_longest_range(lookup: LookupProcess) -> None:
    last = date(2026, 1, 1) + timedelta(days=92)

    report = _answer(lookup.invoke(daily_report_event(first="2026-01-01", last=last.isoformat())))

    assert report["days"] == []


@pytest.mark.parametrize(
    ("query", "code", "named"),
    [
        ({"first": "2026-12-32", "last": "2026-12-31"}, "invalid_request", "from"),
        ({"first": "2026-12-01", "last": "31/12/2026"}, "invalid_request", "to"),
        ({"first": "0", "last": "2026-12-31"}, "invalid_request", "from"),
        ({"first": "2026-12-01T00:00:00", "last": "2026-12-31"}, "invalid_request", "from"),
        ({"last": "2026-12-31"}, "invalid_request", "from"),
        ({"first": "2026-12-01"}, "invalid_request", "to"),
        ({"first": "2026-12-02", "last": "2026-12-01"}, "invalid_range", "to"),
        ({"first": "2026-01-01", "last": "2026-04-04"}, "range_too_long", "93"),
        (
            {"first": "2026-12-01", "last": "2026-12-31", "channel": "fax"},
            "invalid_request",
            "channel",
        ),
        (
            {"first": "2026-12-01", "last": "2026-12-31", "channel": "SMS"},
            "invalid_request",
            "channel",
        ),
    ],
    ids=[
        "bad-day",
        "bad-format",
        "timestamp",
        "datetime",
        "no-from",
        "no-to",
        "to-before-from",
        "94-days",
        "unknown-channel",
        "channel-spelling",
    ],
)
def test_daily_ranges_are_checked(
    lookup: LookupProcess, query: dict[str, str], code: str, named: str
) -> None:
    error = _answer(lookup.invoke(daily_report_event(**query)), 400)["error"]

    assert error["code"] == code
    assert named in error["message"]


def test_a_daily_report_needs_an_api_key_before_anything_else(lookup: LookupProcess) -> None:
    valid = lookup.invoke(daily_report_event(api_key=None, first="2026-12-01", last="2026-12-01"))
    invalid = lookup.invoke(daily_report_event(api_key=None, first="nope"))

    assert _answer(valid, 401)["error"]["code"] == "unauthorized"
    assert _answer(invalid, 401)["error"]["code"] == "unauthorized"


# ---- the document ----------------------------------------------------------------------------


def test_the_document_describes_both_report_routes(lookup: LookupProcess) -> None:
    document = _answer(lookup.invoke(openapi_event()))
    paths = document["paths"]

    campaign = paths["/v1/reports/campaigns/{correlationid}"]["get"]
    daily = paths["/v1/reports/daily"]["get"]
    assert campaign["security"] == daily["security"] == [{"ApiKey": []}]
    assert {"200", "400", "401", "404", "500", "503"} <= set(campaign["responses"])
    assert {"200", "400", "401", "500", "503"} <= set(daily["responses"])
    ok = {"200"}
    for operation, model in ((campaign, "CampaignReport"), (daily, "DailyReport")):
        for status, answer in operation["responses"].items():
            schema = answer["content"]["application/json"]["schema"]
            expected = model if status in ok else "ErrorBody"
            assert schema == {"$ref": f"#/components/schemas/{expected}"}
    assert [p["name"] for p in daily["parameters"]] == ["from", "to", "channel"]
    assert [p["required"] for p in daily["parameters"]] == [True, True, False]
    schemas = document["components"]["schemas"]
    assert set(schemas["DailyReport"]["properties"]) == {"from", "to", "channel", "days"}
    assert schemas["CampaignReport"]["properties"]["channels"]["additionalProperties"] == {
        "$ref": "#/components/schemas/ReportFigures"
    }
