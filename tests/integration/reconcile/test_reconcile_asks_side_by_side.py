"""Asks side by side: the pace is reached despite the vendor's latency, and every bound,
counter and stop holds as it does one call at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from tests.integration.reconcile.reconcile_harness import (
    AFTER,
    T0,
    Harness,
    callback,
    vendor_answer,
)

from receipts.deadline import Deadline
from receipts.lifecycle import DeliveryStatus, current_event
from receipts.storage import keys
from receipts.storage.watches import WatchState
from receipts.vendor import VendorRejectedError, VendorUnreachableError
from reconcile.pacing import CallPacer
from reconcile.sweep import AskingSweep

CONCURRENCY = 4
AT = T0 + AFTER + timedelta(minutes=2)


def _quiet(harness: Harness, count: int, tag: str) -> list[str]:
    """``count`` quiet transactions in one write shard: one page of the due index holds
    them (at scale every shard's page is full)."""
    candidates = (f"tx-{tag}-{n}" for n in range(100_000))
    transids = [transid for transid in candidates if keys.shard_of(transid) == 0][:count]
    for transid in transids:
        harness.store(callback(transid, "Submitted", code="7501"), T0)
    return transids


class InFlight:
    """Vendor answers that wait until ``CONCURRENCY`` calls are in flight together (or a
    second has passed); keeps the most calls it saw at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self.most = 0
        self._all_in = threading.Event()

    def answer(self, text: str) -> Callable[[], str]:
        def answered() -> str:
            with self._lock:
                self._now += 1
                self.most = max(self.most, self._now)
                if self._now >= CONCURRENCY:
                    self._all_in.set()
            self._all_in.wait(timeout=1.0)
            time.sleep(0.01)
            with self._lock:
                self._now -= 1
            return text

        return answered


class Outage:
    """Vendor answers that fail with ``error`` while the outage lasts: the first ``calls``
    calls, whichever transactions they are about."""

    def __init__(self, error: Exception, calls: int) -> None:
        self._error = error
        self._left = calls
        self._lock = threading.Lock()

    def answer(self, text: str) -> Callable[[], str]:
        def answered() -> str:
            with self._lock:
                failing, self._left = self._left > 0, self._left - 1
            if failing:
                raise self._error
            return text

        return answered


def test_a_page_of_due_watches_is_asked_about_side_by_side_and_counted_exactly(
    harness: Harness,
) -> None:
    transids = _quiet(harness, 12, "wide")
    in_flight = InFlight()
    for transid in transids:
        harness.vendor.answers[transid] = [in_flight.answer(vendor_answer(transid, "delivered"))]
    harness.concurrency = CONCURRENCY

    summary = harness.run(AT)

    assert in_flight.most == CONCURRENCY
    assert (summary.vendor_calls, summary.reconciled, summary.checked) == (12, 12, 24)
    assert sorted(harness.vendor.calls) == sorted(transids)  # each once
    for transid in transids:
        watch = harness.watches.get(transid)
        assert watch is not None and watch.state is WatchState.RECONCILED


def test_the_per_run_bound_holds_exactly_side_by_side(harness: Harness) -> None:
    transids = _quiet(harness, 20, "bound")
    for transid in transids:
        harness.vendor.answers[transid] = [vendor_answer(transid, "delivered")]
    harness.concurrency, harness.max_per_run = CONCURRENCY, 5

    runs = [harness.run(AT + n * timedelta(seconds=1)) for n in range(5)]

    assert [run.vendor_calls for run in runs] == [5, 5, 5, 5, 0]
    assert sorted(harness.vendor.calls) == sorted(transids)


def test_a_vendor_down_stops_side_by_side_asks_and_loses_nothing(harness: Harness) -> None:
    transids = _quiet(harness, 30, "down")
    outage = Outage(VendorUnreachableError("ReadTimeoutError"), calls=CONCURRENCY + 6)
    for transid in transids:
        harness.vendor.answers[transid] = [outage.answer(vendor_answer(transid, "delivered"))]
    harness.concurrency = CONCURRENCY

    down = harness.run(AT)

    # No call starts once three failed in a row; those already in flight finish
    assert down.stopped_early == "3 vendor failures in a row"
    assert 3 <= down.vendor_failures == down.vendor_calls <= 3 + CONCURRENCY - 1
    assert down.reconciled == 0
    # Every watch not asked stays due as it was; those asked are retried a quiet time
    # later: once the vendor is back, every one is reconciled
    later = [harness.run(AT + n * AFTER + timedelta(minutes=1)) for n in range(1, 4)]
    assert sum(run.reconciled for run in later) == len(transids)
    for transid in transids:
        stored = [found.event for found in harness.events.list_events(transid)]
        winner = current_event(stored)
        assert winner is not None and winner.status is DeliveryStatus.DELIVERED


def test_a_rate_limit_side_by_side_stops_new_calls_and_pauses(harness: Harness) -> None:
    transids = _quiet(harness, 30, "limited")
    limit = Outage(VendorRejectedError("7302", "Rate limit exceeded", retry_after_seconds=120), 1)
    for transid in transids:
        harness.vendor.answers[transid] = [limit.answer(vendor_answer(transid, "delivered"))]
    harness.concurrency = CONCURRENCY

    limited = harness.run(AT)

    # The calls already in flight finish (and are stored); no other starts
    assert limited.stopped_early == "the vendor's rate limit (7302)"
    assert 1 <= limited.vendor_calls <= CONCURRENCY
    assert limited.reconciled == limited.vendor_calls - 1
    assert limited.paused_until is not None
    assert harness.run(AT + timedelta(minutes=1)).vendor_calls == 0  # still paused
    resumed = harness.run(AT + timedelta(minutes=3))
    assert resumed.reconciled == len(transids) - limited.reconciled


def test_a_call_whose_slot_of_the_pace_comes_too_late_is_not_made(harness: Harness) -> None:
    # Given three due watches, a pace of one call every 4 s, and 10 s left in the run
    transids = _quiet(harness, 3, "late")
    for transid in transids:
        harness.vendor.answers[transid] = [vendor_answer(transid, "delivered")]
    for part in range(harness.parts):  # discovery only: the watches, due
        harness.discovery(AT).run(Deadline.unbounded(), part=part, parts=harness.parts, now=AT)
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    asking = AskingSweep(
        events=harness.events,
        watches=harness.watches,
        status_api=harness.vendor,
        policy=harness.policy(),
        pacer=CallPacer(0.25, monotonic=lambda: clock[0], sleep=sleep),
        vendor_timeout_seconds=2.0,
        wall_clock=lambda: AT,
        concurrency=1,
    )

    summary = asking.run(Deadline(10.0, monotonic=lambda: clock[0]), now=AT)

    # Then the third call, whose slot comes with 2 s left, is not made, nor counted as a
    # failure: its watch stays due as it was
    assert (summary.vendor_calls, summary.vendor_failures, summary.reconciled) == (2, 0, 2)
    assert summary.stopped_early == "the run's time (asks)"
    (left,) = set(transids) - set(harness.vendor.calls)
    watch = harness.watches.get(left)
    assert watch is not None and (watch.state, watch.attempts) == (WatchState.WATCHING, 0)


def test_the_longest_pause_heard_side_by_side_is_the_one_kept(harness: Harness) -> None:
    transids = _quiet(harness, 8, "pauses")
    in_flight = InFlight()
    waits = iter([30, 600, 90, 60, 45, 20, 10, 5])
    lock = threading.Lock()

    def limited() -> str:
        in_flight.answer("")()
        with lock:
            seconds = next(waits)
        raise VendorRejectedError("7302", "Rate limit exceeded", retry_after_seconds=seconds)

    for transid in transids:
        harness.vendor.answers[transid] = [limited]
    harness.concurrency = CONCURRENCY

    summary = harness.run(AT)

    heard = len(harness.vendor.calls)
    assert in_flight.most == CONCURRENCY and heard == CONCURRENCY
    longest = max([30, 600, 90, 60][:heard])
    assert summary.paused_until == (AT + timedelta(seconds=longest)).isoformat()
    stored = harness.watches.acquire_lease("inspector", now=AT, until=AT + timedelta(minutes=1))
    assert stored is not None and stored.paused_until == AT + timedelta(seconds=longest)
