"""The sweep end to end over the table: eligibility, asks, backoff, continuation, lease."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tests.integration.reconcile.reconcile_harness import (
    AFTER,
    HORIZON,
    T0,
    Harness,
    callback,
    vendor_answer,
)

from receipts.lifecycle import DeliveryStatus, EventOrigin, current_event, is_final_event
from receipts.storage.watches import WatchState
from receipts.vendor import VendorRejectedError, VendorUnreachableError

MINUTE = timedelta(minutes=1)


def _stored(harness: Harness, transid: str) -> list:
    return [stored.event for stored in harness.events.list_events(transid)]


def test_a_quiet_transaction_is_asked_once_and_its_final_status_stored(harness: Harness) -> None:
    harness.store(callback("tx-quiet", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-quiet"] = [vendor_answer("tx-quiet", "delivered")]

    early = harness.run(T0 + 10 * MINUTE)
    assert (early.checked, harness.vendor.calls) == (0, [])  # its minute is not settled yet

    summary = harness.run(T0 + AFTER + 2 * MINUTE)
    assert harness.vendor.calls == ["tx-quiet"]
    assert (summary.watched, summary.reconciled, summary.failures_found) == (1, 1, 0)
    events = _stored(harness, "tx-quiet")
    winner = current_event(events)
    assert winner is not None and winner.status is DeliveryStatus.DELIVERED
    assert winner.origin is EventOrigin.STATUS_API
    assert winner.correlationid == "camp-1"  # joins its campaign
    watch = harness.watches.get("tx-quiet")
    assert watch is not None and watch.state is WatchState.RECONCILED

    again = harness.run(T0 + 3 * AFTER)
    assert harness.vendor.calls == ["tx-quiet"]  # never asked again
    assert again.vendor_calls == 0


def test_a_transaction_that_became_final_is_never_asked(harness: Harness) -> None:
    harness.store(callback("tx-done", "Submitted", code="7501"), T0)
    harness.store(callback("tx-done", "Delivered", code="7500"), T0 + MINUTE)
    summary = harness.run(T0 + AFTER + 2 * MINUTE)
    assert summary.checked == 1 and summary.watched == 0
    assert harness.vendor.calls == []
    assert harness.watches.get("tx-done") is None


def test_a_failure_found_is_stored_flagged_for_one_alert(harness: Harness) -> None:
    harness.store(callback("tx-fail", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-fail"] = [vendor_answer("tx-fail", "failed", error_code="7202")]
    summary = harness.run(T0 + AFTER + 2 * MINUTE)
    assert (summary.reconciled, summary.failures_found) == (1, 1)
    items = harness.client.query(
        TableName=harness.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "TX#tx-fail"}},
    )["Items"]
    flagged = [item for item in items if item.get("alert", {}).get("BOOL")]
    assert len(flagged) == 1 and flagged[0]["origin"]["S"] == "status_api"


def test_no_result_yet_backs_off_and_asks_again_later(harness: Harness) -> None:
    harness.store(callback("tx-slow", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-slow"] = [
        VendorRejectedError("7600", "no results found"),
        vendor_answer("tx-slow", "sent"),
        vendor_answer("tx-slow", "delivered"),
    ]
    first = T0 + AFTER + 2 * MINUTE
    assert harness.run(first).still_open == 1
    assert harness.run(first + 30 * MINUTE, wall=first).vendor_calls == 0  # backing off (1 h)
    second = first + 4 * AFTER
    assert harness.run(second, wall=first).vendor_calls == 1  # "sent": nothing new
    watch = harness.watches.get("tx-slow")
    assert watch is not None and watch.attempts == 2
    assert watch.due_at == second + 16 * AFTER  # then four hours
    assert harness.run(second + 3 * 4 * AFTER, wall=first).vendor_calls == 0
    assert harness.run(watch.due_at, wall=first).reconciled == 1
    assert len(harness.vendor.calls) == 3
    assert [e.origin for e in _stored(harness, "tx-slow")].count(EventOrigin.STATUS_API) == 1


def test_the_horizon_asks_a_last_time_before_closing(harness: Harness) -> None:
    harness.store(callback("tx-late", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-late"] = [
        *[VendorRejectedError("7600", "no results found")] * 5,
        vendor_answer("tx-late", "delivered"),
    ]
    at = T0 + AFTER + 2 * MINUTE
    for hours in (0, 2, 6, 20, 45):
        harness.run(at + timedelta(hours=hours), wall=at)
    assert len(harness.vendor.calls) == 5
    settled = harness.run(T0 + HORIZON + MINUTE, wall=at)
    assert (settled.reconciled, settled.closed_at_horizon) == (1, 0)
    assert current_event(_stored(harness, "tx-late")).status is DeliveryStatus.DELIVERED


def test_a_vendor_down_at_the_horizon_delays_the_closure_by_a_day_at_most(
    harness: Harness,
) -> None:
    harness.store(callback("tx-dark", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-dark"] = [
        VendorRejectedError("7600", "no results found"),
        VendorUnreachableError("ReadTimeoutError"),
    ]
    at = T0 + AFTER + 2 * MINUTE
    harness.run(at)
    waiting = harness.run(T0 + HORIZON + MINUTE, wall=at)
    assert (waiting.vendor_failures, waiting.closed_at_horizon) == (1, 0)
    closed = harness.run(T0 + HORIZON + timedelta(days=1, minutes=2), wall=at)
    assert closed.closed_at_horizon == 1 and closed.vendor_calls == 0


def test_work_is_bounded_per_run_and_the_next_run_goes_on(harness: Harness) -> None:
    transids = [f"tx-many-{n}" for n in range(7)]
    for transid in transids:
        harness.store(callback(transid, "Submitted", code="7501"), T0)
        harness.vendor.answers[transid] = [vendor_answer(transid, "delivered")]
    harness.max_per_run = 3
    at = T0 + AFTER + 2 * MINUTE
    runs = [harness.run(at + n * timedelta(seconds=1)) for n in range(4)]
    # Discovery stops between rounds of a bucket's shards; the asks stop at the bound.
    assert [run.vendor_calls for run in runs] == [3, 3, 1, 0]
    assert runs[0].stopped_early == "the per-run bound (asks)"
    assert sorted(harness.vendor.calls) == sorted(transids)  # each once, none skipped
    assert all(is_final_event(current_event(_stored(harness, transid))) for transid in transids)


def test_runs_never_overlap(harness: Harness) -> None:
    harness.store(callback("tx-lease", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-lease"] = [vendor_answer("tx-lease", "delivered")]
    at = T0 + AFTER + 2 * MINUTE
    harness.first_run_lookback = 15 * MINUTE  # its first run comes six minutes late
    assert harness.watches.acquire_lease("another-run", now=at, until=at + 5 * MINUTE)
    assert harness.run(at).skipped == "another run holds the lease"
    assert harness.vendor.calls == []
    assert harness.run(at + 6 * MINUTE).reconciled == 1  # the dead run's lease lapsed


def test_a_rate_limit_stops_the_run_and_is_honoured(harness: Harness) -> None:
    for transid in ("tx-r1", "tx-r2"):
        harness.store(callback(transid, "Submitted", code="7501"), T0)
        harness.vendor.answers[transid] = [vendor_answer(transid, "delivered")]
    harness.vendor.answers["tx-r1"].insert(
        0, VendorRejectedError("7302", "Rate limit exceeded", retry_after_seconds=120)
    )
    at = T0 + AFTER + 2 * MINUTE
    summary = harness.run(at)
    assert summary.vendor_calls == 1 and summary.stopped_early == "the vendor's rate limit (7302)"
    assert harness.run(at + MINUTE).vendor_calls == 0  # still paused
    resumed = harness.run(at + 3 * MINUTE)
    assert resumed.reconciled == 2
    assert sorted(set(harness.vendor.calls)) == ["tx-r1", "tx-r2"]


def test_a_vendor_down_ends_the_run_early_and_loses_nothing(harness: Harness) -> None:
    transids = [f"tx-down-{n}" for n in range(5)]
    for transid in transids:
        harness.store(callback(transid, "Submitted", code="7501"), T0)
        harness.vendor.answers[transid] = [
            VendorUnreachableError("ReadTimeoutError"),
            vendor_answer(transid, "delivered"),
        ]
    at = T0 + AFTER + 2 * MINUTE
    down = harness.run(at)
    assert down.vendor_failures == 3 and down.reconciled == 0
    assert down.stopped_early == "3 vendor failures in a row"
    later = [harness.run(at + n * AFTER + MINUTE) for n in (1, 2)]
    assert sum(run.reconciled for run in later) == 5
    assert all(
        current_event(_stored(harness, transid)).status is DeliveryStatus.DELIVERED
        for transid in transids
    )


def test_the_horizon_closes_what_never_settles_as_unknown(harness: Harness) -> None:
    harness.store(callback("tx-never", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-never"] = [VendorRejectedError("7600", "no results found")]
    at = T0 + AFTER + 2 * MINUTE
    harness.run(at)
    # Days later by the sweep's clock; the arrival minutes it reads stay those of ``at``.
    for hours in (1, 6, 20, 40):
        harness.run(T0 + timedelta(hours=hours), wall=at)
    closed = harness.run(T0 + HORIZON + MINUTE, wall=at)
    assert closed.closed_at_horizon == 1
    winner = current_event(_stored(harness, "tx-never"))
    assert winner is not None and winner.origin is EventOrigin.HORIZON
    assert winner.status is DeliveryStatus.UNKNOWN and is_final_event(winner)
    watch = harness.watches.get("tx-never")
    assert watch is not None and watch.state is WatchState.CLOSED
    calls = len(harness.vendor.calls)
    assert calls <= 7  # a handful over three days
    harness.run(T0 + HORIZON + AFTER, wall=at)
    assert len(harness.vendor.calls) == calls


def test_another_services_transaction_is_not_asked_again(harness: Harness) -> None:
    harness.store(callback("tx-other", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-other"] = [VendorRejectedError("7601", "not under this service")]
    at = T0 + AFTER + 2 * MINUTE
    assert harness.run(at).stopped == 1
    for hours in (2, 13, 30):
        harness.run(T0 + timedelta(hours=hours), wall=at)
    assert harness.vendor.calls == ["tx-other"]
    watch = harness.watches.get("tx-other")
    assert watch is not None and "7601" in watch.note
    assert harness.run(T0 + HORIZON + MINUTE, wall=at).closed_at_horizon == 1


def test_a_failure_code_without_a_status_settles_the_watch_once(harness: Harness) -> None:
    # Read as a callback would be: no status but a failure code is a failure, so the watch
    # ends reconciled, even at the horizon, with one event flagged for one alert.
    harness.store(callback("tx-coded", "Submitted", code="7501"), T0)
    answer = json.loads(vendor_answer("tx-coded", "failed", error_code="7202"))
    answer[0]["status"] = None
    harness.vendor.answers["tx-coded"] = [
        VendorRejectedError("7600", "no results found"),
        json.dumps(answer),
    ]
    at = T0 + AFTER + 2 * MINUTE
    harness.run(at)
    summary = harness.run(T0 + HORIZON + MINUTE, wall=at)
    assert (summary.reconciled, summary.failures_found, summary.closed_at_horizon) == (1, 1, 0)
    winner = current_event(_stored(harness, "tx-coded"))
    assert winner is not None and winner.status is DeliveryStatus.FAILED
    assert winner.origin is EventOrigin.STATUS_API


def test_a_run_that_fails_lets_go_of_the_lease(harness: Harness) -> None:
    harness.store(callback("tx-crash", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-crash"] = [lambda: (_ for _ in ()).throw(RuntimeError("boom"))]
    at = T0 + AFTER + 2 * MINUTE
    with pytest.raises(RuntimeError):
        harness.run(at)
    assert harness.watches.acquire_lease("next-run", now=at, until=at + MINUTE) is not None
