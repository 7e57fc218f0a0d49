"""Reconciliation on the local stack: what the platform dropped is asked of its status API.

The session's stack runs the reconcile schedule every 10 s with a 15 s quiet time. The
sweep reads an arrival minute once it is over, plus the quiet time, plus 30 s of grace, so
a transaction whose last callback was stored is picked up 45-105 s later on the wall
clock; the tests run passes through the console (``POST /reconcile``) until it is done.
Registered ids are due a quiet time after their registration, and ``at`` moves a pass's
asks, backoff and horizon forward without waiting for them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from local_stack.client import StackClient, request, wait_until
from receipts.lifecycle import DeliveryStatus, canonical_status
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER, QUIRKS_HEADER
from simulator.server import INJECTED_RETRY_AFTER_SECONDS

pytestmark = pytest.mark.e2e

PLAIN = {QUIRKS_HEADER: "none"}
ALERT_TARGETS = {"sns", "chat:slack", "chat:teams", "chat:generic"}
# The webhook's event writes (their partition key), not the alert ledger's or the sweep's.
EVENT_WRITES = '"TX#'
# An event's sort key names its status: EV#{occurred_at}#{status}#{identity}.
FINAL_STATUS_PIECES = [f"#{status.value}#" for status in DeliveryStatus if status.is_final]
# The session's quiet time (--reconcile-after 15); a second past it, a registered id is due.
QUIET_TIME = timedelta(seconds=15)
PAST_THE_QUIET_TIME = QUIET_TIME + timedelta(seconds=1)
# The template's horizon (ReconcileHorizonHours, 72) and an hour more.
PAST_THE_HORIZON = timedelta(hours=73)
# A discovered transaction is asked 45-105 s after its last callback, and a pass takes a moment.
DISCOVERY_TIMEOUT = 130.0
PASS_INTERVAL = 2.0


@dataclass(frozen=True)
class Batch:
    channel: str
    count: int
    outcome: str  # the simulator's x-simulator-outcome: delivered, read or failed:<code>


# Every channel and a few failures, each callback arriving.
SETTLED = (
    Batch("sms", 5, "delivered"),
    Batch("sms", 1, "failed:7206"),
    Batch("voice", 4, "delivered"),
    Batch("voice", 1, "failed:7403"),
    Batch("rt", 4, "read"),
    Batch("twitter", 4, "delivered"),
    Batch("wechat", 4, "delivered"),
    Batch("email", 4, "delivered"),
    Batch("email", 1, "failed:7523"),
    Batch("fb", 2, "read"),
)
# Channels that report "submitted" first: that callback is stored, so the sweep finds the
# transaction; every final one is lost. An email complaint comes after its "delivered".
FINAL_CALLBACKS_LOST = (
    Batch("sms", 3, "delivered"),
    Batch("sms", 2, "failed:7208"),
    Batch("sms", 1, "failed:7203"),
    Batch("rt", 3, "read"),
    Batch("rt", 1, "failed:7304"),
    Batch("fb", 2, "read"),
    Batch("fb", 1, "delivered"),
    Batch("fb", 1, "failed:7010"),
    Batch("email", 4, "delivered"),
    Batch("email", 1, "failed:7521"),
    Batch("email", 1, "failed:7520"),
)
# Messages that never reach the webhook at all, failures among them (an address refused
# up front, a call rejected) and channels with no "submitted" step.
EVERY_CALLBACK_LOST = (
    Batch("sms", 1, "delivered"),
    Batch("voice", 1, "failed:7403"),
    Batch("twitter", 1, "delivered"),
    Batch("rt", 1, "read"),
    Batch("email", 1, "failed:7522"),
)
VENDOR_TROUBLE = (
    Batch("sms", 2, "delivered"),
    Batch("sms", 1, "failed:7206"),
    Batch("rt", 1, "read"),
    Batch("fb", 1, "delivered"),
    Batch("email", 1, "failed:7520"),
)


def _send(stack: StackClient, batches: tuple[Batch, ...], tag: str) -> list[str]:
    transids: list[str] = []
    for batch in batches:
        transids += stack.send_transids(
            send_request(batch.channel, batch.count, correlationid=f"{tag}-{batch.channel}"),
            headers={**PLAIN, OUTCOME_HEADER: batch.outcome},
        )
    return transids


def _send_with_the_webhook_down(
    stack: StackClient, batches: tuple[Batch, ...], tag: str
) -> list[str]:
    """Send with the webhook answering 503 from the first callback on, until the platform
    has given up on every one of them (its 3 retries), then bring the webhook back."""
    before = stack.simulator_stats()
    stack.add_fault("POST /callbacks", 503, seconds=120)
    try:
        transids = _send(stack, batches, tag)
        after = stack.wait_settled(timeout=60)
    finally:
        stack.clear_faults()
    planned = sum(stack.planned(transid)["callbacks"] for transid in transids)
    assert after["dropped"] - before["dropped"] == planned
    assert after["callbacks_delivered"] - before["callbacks_delivered"] == 0
    return transids


def _at(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).isoformat()


def _true_status(stack: StackClient, transid: str) -> str:
    """What the simulated status API says of the transaction, canonical."""
    answer = request(
        "GET",
        f"{stack.state.simulator_url}/resources/v1/messaging/status/{transid}",
        headers={"key": stack.state.vendor_service_key},
    )
    assert answer.status == 200, answer.body
    return canonical_status(answer.json()[0]["status"]).value


def _reconciled_view(stack: StackClient, transid: str) -> dict[str, Any] | None:
    """The stored view once the status API's final answer is among its events."""
    answer = stack.transaction(transid)
    view = answer.json() if answer.status == 200 else None
    if not view or not view["final"]:
        return None
    told = any(entry["origin"] == "status_api" for entry in view["timeline"])
    return view if told else None


def _drive(
    stack: StackClient,
    transids: list[str],
    *,
    timeout: float,
    at: Callable[[], str | None] = lambda: None,
) -> dict[str, dict[str, Any]]:
    """Run passes (as of ``at()``) until every transaction is reconciled; their views."""
    views: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while True:
        stack.reconcile_now(at())
        for transid in transids:
            if transid not in views and (view := _reconciled_view(stack, transid)):
                views[transid] = view
        if len(views) == len(transids):
            return views
        if time.monotonic() > deadline:
            missing = sorted(set(transids) - set(views))
            raise TimeoutError(f"not reconciled within {timeout} s: {missing}")
        time.sleep(PASS_INTERVAL)


def _asking_pass(stack: StackClient, at: str) -> dict[str, Any]:
    """A pass that got to its asks: one held back by a rate limit's pause (an earlier
    test's, for a few seconds) is run again until the pause is over."""

    def asked() -> dict[str, Any] | None:
        summary = stack.reconcile_now(at)
        return None if summary["paused_until"] else summary

    return wait_until(asked, timeout=30, interval=PASS_INTERVAL)


def _assert_true_final_status(
    stack: StackClient, transids: list[str], views: dict[str, dict[str, Any]]
) -> None:
    for transid in transids:
        view, truth = views[transid], _true_status(stack, transid)
        told = [entry for entry in view["timeline"] if entry["origin"] == "status_api"]
        assert (view["status"], view["final"], view["source"]) == (truth, True, "callbacks")
        assert [entry["status"] for entry in told] == [truth], view
        assert stack.planned(transid)["failed"] is DeliveryStatus(truth).is_failure


def _alert_counts(stack: StackClient, transid: str) -> Counter[str]:
    return Counter(alert["target"] for alert in stack.alerts() if transid in alert["message"])


def _settled_alert_counts(stack: StackClient, transids: list[str]) -> dict[str, Counter[str]]:
    """Alerts per target about each transaction, once each has reached every target and
    nothing more is on its way."""
    wait_until(
        lambda: all(set(_alert_counts(stack, transid)) >= ALERT_TARGETS for transid in transids),
        timeout=45,
        interval=0.5,
    )
    # Give a second alert every chance to show up before counting.
    wait_until(
        lambda: stack.stats()["queues"]["AlertsQueue"] == {"visible": 0, "in_flight": 0},
        timeout=20,
    )
    time.sleep(2)
    return {transid: _alert_counts(stack, transid) for transid in transids}


def _failures(stack: StackClient, transids: list[str]) -> list[str]:
    return [transid for transid in transids if stack.planned(transid)["failed"]]


# ---- callbacks the webhook lost ----------------------------------------------------------


def test_transactions_whose_final_callbacks_were_dropped_reach_their_true_status(
    stack: StackClient,
) -> None:
    # Given 30 messages whose callbacks all arrive
    _send(stack, SETTLED, "reconcile-settled")
    stack.wait_settled()

    # And 20 more whose final callbacks are dropped by the platform after its retries: the
    # webhook cannot store them (a final status's event write fails), only "submitted"
    before = stack.simulator_stats()
    for piece in FINAL_STATUS_PIECES:
        stack.add_aws_fault(
            "dynamodb:PutItem", "InternalServerError", match=[EVENT_WRITES, piece], seconds=120
        )
    try:
        lost = _send(stack, FINAL_CALLBACKS_LOST, "reconcile-lost")
        after = stack.wait_settled(timeout=90)
    finally:
        stack.clear_faults()
    plans = {transid: stack.planned(transid) for transid in lost}
    assert len(lost) == 20
    assert after["dropped"] - before["dropped"] == sum(
        len(plan["events"]) - 1 for plan in plans.values()
    )
    for transid in lost:
        # Only "submitted" is stored: the lookup has to ask the platform for the rest.
        view = stack.transaction(transid).json()
        assert [entry["status"] for entry in view["timeline"]] == ["submitted"], view
        assert view["source"] != "callbacks", view

    # When passes run until the sweep has found them quiet and asked the status API
    views = _drive(stack, lost, timeout=DISCOVERY_TIMEOUT)

    # Then each carries the platform's final status, told by the status API
    _assert_true_final_status(stack, lost, views)
    # And each failure among them alerted once on every target
    failures = _failures(stack, lost)
    assert len(failures) == 7
    alerts = _settled_alert_counts(stack, failures)
    assert alerts == {transid: Counter(dict.fromkeys(ALERT_TARGETS, 1)) for transid in failures}
    # And a second pass asks nothing more about them
    asked = {transid: stack.planned(transid)["status_requests"] for transid in lost}
    stack.reconcile_now()
    assert {transid: stack.planned(transid)["status_requests"] for transid in lost} == asked
    assert all(count >= 1 for count in asked.values()), asked


def test_ids_registered_without_any_callback_are_reconciled(stack: StackClient) -> None:
    # Given messages that never reached the webhook: every callback dropped, the first too
    transids = _send_with_the_webhook_down(stack, EVERY_CALLBACK_LOST, "reconcile-registered")

    # When a client registers their ids, twice, the second time with a malformed one
    first = stack.watch(transids)
    second = stack.watch([*transids, "not an id"])

    # Then they are new the first time, known the second, and the malformed one is refused
    assert first.status == 200, first.body
    assert first.json() | {"watching_until": None} == {
        "new": len(transids),
        "known": 0,
        "refused": 0,
        "refusals": [],
        "watching_until": None,
    }
    watching_until = datetime.fromisoformat(first.json()["watching_until"])
    assert abs(watching_until - datetime.now(UTC) - timedelta(hours=72)) < timedelta(minutes=1)
    assert second.status == 200, second.body
    assert second.json()["new"] == 0
    assert second.json()["known"] == len(transids)
    assert second.json()["refused"] == 1
    assert [refusal["transactionid"] for refusal in second.json()["refusals"]] == ["not an id"]

    # And passes a quiet time later reconcile each to its true final status
    views = _drive(stack, transids, timeout=60, at=lambda: _at(PAST_THE_QUIET_TIME))
    _assert_true_final_status(stack, transids, views)
    failures = _failures(stack, transids)
    assert len(failures) == 2
    alerts = _settled_alert_counts(stack, failures)
    assert alerts == {transid: Counter(dict.fromkeys(ALERT_TARGETS, 1)) for transid in failures}


# ---- the horizon -------------------------------------------------------------------------


def test_an_id_the_vendor_never_knows_is_closed_at_the_horizon_as_unknown(
    stack: StackClient,
) -> None:
    # Given a registered id the platform never sent: its status API answers 7600, forever
    transid = str(uuid4())
    assert stack.watch([transid]).json()["new"] == 1
    asked = _asking_pass(stack, _at(PAST_THE_QUIET_TIME))
    assert asked["vendor_calls"] >= 1
    assert asked["still_open"] >= 1
    assert stack.transaction(transid).status == 404

    # When a pass runs past the horizon
    closed = stack.reconcile_now(_at(PAST_THE_HORIZON))

    # Then it is closed as unknown, final, by the horizon
    assert closed["closed_at_horizon"] >= 1
    view = stack.transaction(transid).json()
    assert (view["status"], view["final"]) == ("unknown", True), view
    assert [entry["origin"] for entry in view["timeline"]] == ["horizon"]
    # And "no final receipt" is alerted once on every target
    alerts = _settled_alert_counts(stack, [transid])
    assert alerts == {transid: Counter(dict.fromkeys(ALERT_TARGETS, 1))}
    (sns,) = [
        alert
        for alert in stack.alerts()
        if alert["target"] == "sns" and transid in alert["message"]
    ]
    assert sns["subject"].startswith("No final receipt")


# ---- the vendor's bad days ---------------------------------------------------------------


def test_a_rate_limited_or_failing_vendor_loses_nothing_and_the_sweep_resumes(
    stack: StackClient,
) -> None:
    # Given registered transactions whose callbacks were all dropped, due for their first ask
    transids = _send_with_the_webhook_down(stack, VENDOR_TROUBLE, "reconcile-vendor")
    assert stack.watch(transids).json()["new"] == len(transids)
    first_at = datetime.now(UTC) + PAST_THE_QUIET_TIME

    # When the vendor rate-limits the pass's first ask (429, Retry-After: 5)
    stack.add_vendor_fault(429, count=1)
    before = datetime.now(UTC)
    limited = stack.reconcile_now(first_at.isoformat())
    after = datetime.now(UTC)

    # Then the pass stops there (an ask already in flight beside it finishes and is stored)
    # and the next one holds back until Retry-After has passed, on the wall clock whatever
    # instant a pass is run as of
    paused_until = datetime.fromisoformat(limited["paused_until"])
    assert limited["stopped_early"] == "the vendor's rate limit (7302)"
    assert limited["reconciled"] == limited["vendor_calls"] - 1
    retry_after = timedelta(seconds=INJECTED_RETRY_AFTER_SECONDS)
    assert before + retry_after <= paused_until <= after + retry_after
    held_back = stack.reconcile_now((first_at + timedelta(hours=1)).isoformat())
    assert held_back["stopped_early"] == "the vendor's rate limit (Retry-After)"
    assert held_back["vendor_calls"] == 0
    wait_until(lambda: datetime.now(UTC) > paused_until or None, timeout=30)

    # When, past the pause, the vendor is down (the connection dropped unanswered, then 503s)
    stack.add_vendor_fault(0, count=1)
    stack.add_vendor_fault(503, count=50)
    failing = stack.reconcile_now(first_at.isoformat())

    # Then the pass stops early, after three failures in a row (and at most the asks in
    # flight beside them), without having stored or settled anything
    assert failing["stopped_early"] == "3 vendor failures in a row"
    assert 3 <= failing["vendor_failures"] == failing["vendor_calls"] <= len(transids)
    assert failing["reconciled"] == 0

    # And once the vendor is back, a quiet time later, every one is reconciled
    stack.clear_faults()
    resumed_at = first_at + QUIET_TIME + timedelta(seconds=1)
    views = _drive(stack, transids, timeout=60, at=resumed_at.isoformat)
    _assert_true_final_status(stack, transids, views)
    failures = _failures(stack, transids)
    assert len(failures) == 2
    alerts = _settled_alert_counts(stack, failures)
    assert alerts == {transid: Counter(dict.fromkeys(ALERT_TARGETS, 1)) for transid in failures}
