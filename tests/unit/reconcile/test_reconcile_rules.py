"""The sweep's pure rules: backoff, what an answer means, pacing, settledness, settings."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from receipts.lifecycle import DeliveryStatus
from receipts.storage import keys
from receipts.vendor import (
    VendorFailedError,
    VendorRejectedError,
    VendorUnreachableError,
)
from reconcile.backoff import STEPS, next_ask, pause_after
from reconcile.discovery import ARRIVAL_GRACE, first_bucket, is_settled
from reconcile.outcomes import DEFAULT_RETRY_AFTER_SECONDS, Verdict, from_answer, from_error
from reconcile.pacing import CallPacer
from reconcile.run_request import InvalidRunRequestError, as_of
from reconcile.settings import ReconcileConfigurationError, settings_from

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
QUIET = timedelta(minutes=15)


def test_the_backoff_grows_from_an_hour_to_two_days() -> None:
    pauses = [pause_after(asks, QUIET) for asks in range(1, 8)]
    assert pauses[:5] == [timedelta(hours=n) for n in (1, 4, 12, 24, 48)]
    assert pauses[5:] == [timedelta(hours=48)] * 2  # then every two days
    assert len(STEPS) == 5
    # The local stack's 15 s quiet time runs the same curve, 60 times faster.
    assert pause_after(1, timedelta(seconds=15)) == timedelta(minutes=1)


def test_a_stuck_message_costs_a_handful_of_asks_before_the_horizon() -> None:
    asks, at, horizon_at = 1, NOW, NOW + timedelta(hours=72)
    while at < horizon_at:
        at = next_ask(asks, now=at, after=QUIET, horizon_at=horizon_at)
        asks += 1
    assert at == horizon_at  # never asked past the horizon: asked a last time there
    assert asks <= 6


def _answer(*objects: dict[str, object]) -> str:
    return json.dumps(list(objects))


def test_an_answer_about_the_transaction_is_read_from_its_own_object() -> None:
    text = _answer({"transactionid": "other", "status": "failed"},
                   {"transactionid": "tx-1", "status": "Delivered"})  # fmt: skip
    outcome = from_answer("tx-1", text)
    assert outcome.verdict is Verdict.ANSWERED
    assert outcome.status is DeliveryStatus.DELIVERED
    assert from_answer("tx-1", _answer({"transactionid": "x", "status": "sent"})).status is (
        DeliveryStatus.SUBMITTED
    )  # a fanned-out push answers under another id: the first object stands for it
    assert from_answer("tx-1", "[]").verdict is Verdict.NO_RESULT_YET


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (VendorRejectedError("7600", "no results found"), Verdict.NO_RESULT_YET),
        (VendorRejectedError("7601", "not under this service"), Verdict.NOT_OURS),
        (VendorRejectedError("7302", "Rate limit exceeded"), Verdict.SLOW_DOWN),
        (VendorRejectedError("7001", "Invalid service key"), Verdict.FAILED),
        (VendorUnreachableError("ReadTimeoutError"), Verdict.FAILED),
        (VendorFailedError("HTTP 502", http_status=502), Verdict.FAILED),
    ],
)
def test_what_each_vendor_error_means_for_a_watch(error: Exception, verdict: Verdict) -> None:
    assert from_error(error).verdict is verdict  # type: ignore[arg-type]


def test_a_rate_limit_is_honoured_for_as_long_as_the_vendor_says() -> None:
    told = from_error(VendorRejectedError("7302", "slow", retry_after_seconds=120))
    assert told.retry_after_seconds == 120
    untold = from_error(VendorRejectedError("7302", "slow"))
    assert untold.retry_after_seconds == DEFAULT_RETRY_AFTER_SECONDS


def test_calls_are_spaced_to_the_rate_bound() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = CallPacer(4.0, monotonic=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.25] * 4
    clock[0] += 10  # idle a while: the next call goes at once, no burst saved up
    pacer.wait()
    assert slept == [0.25] * 4


def test_callers_side_by_side_each_take_their_own_slot_of_the_pace() -> None:
    # Given eight callers at once on a clock that stands still (each sleeps its own wait)
    slots: list[float] = []
    lock = threading.Lock()
    pacer = CallPacer(
        4.0, monotonic=lambda: 100.0, sleep=lambda seconds: _keep(slots, lock, seconds)
    )
    callers = [threading.Thread(target=pacer.wait) for _ in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    # Then no two share a slot: the first goes at once, the others a quarter second apart
    assert sorted(slots) == [0.25 * n for n in range(1, 8)]


def _keep(slots: list[float], lock: threading.Lock, seconds: float) -> None:
    with lock:
        slots.append(seconds)


def test_an_arrival_minute_is_read_only_once_it_cannot_get_another_entry() -> None:
    bucket = keys.arrival_bucket(NOW)
    ends = keys.bucket_end(bucket)
    assert not is_settled(bucket, ends + QUIET + ARRIVAL_GRACE - timedelta(seconds=1), QUIET)
    assert is_settled(bucket, ends + QUIET + ARRIVAL_GRACE, QUIET)
    assert first_bucket(NOW, QUIET) < keys.arrival_bucket(NOW - QUIET)


def test_buckets_follow_minute_by_minute_with_each_legacy_day_after_its_last_minute() -> None:
    assert keys.next_bucket("2026-12-03T10:05") == "2026-12-03T10:06"
    assert keys.next_bucket("2026-12-03T23:59") == "2026-12-03"
    assert keys.next_bucket("2026-12-03") == "2026-12-04T00:00"
    assert keys.bucket_end("2026-12-03") == keys.bucket_end("2026-12-03T23:59")


def test_a_manual_run_may_set_its_instant() -> None:
    assert as_of({}) is None
    assert as_of({"detail": {}}) is None
    assert as_of({"detail": {"at": "2026-12-06T10:00:00Z"}}) == NOW + timedelta(days=3)
    with pytest.raises(InvalidRunRequestError, match="time zone"):
        as_of({"detail": {"at": "2026-12-06T10:00:00"}})
    with pytest.raises(InvalidRunRequestError, match="not an ISO 8601"):
        as_of({"detail": {"at": "tomorrow"}})


BASE_ENVIRONMENT = {
    "EVENTS_TABLE_NAME": "events",
    "VENDOR_BASE_URL": "https://api.imiconnect.io",
    "VENDOR_SERVICE_KEY_REFERENCE": "ssm:/imiconnect-receipts/dev/vendor-service-key",
}


def test_settings_take_fractions_of_a_minute_for_the_local_stack() -> None:
    settings = settings_from({**BASE_ENVIRONMENT, "RECONCILE_AFTER_MINUTES": "0.25"})
    assert settings.after == timedelta(seconds=15)
    assert settings.horizon == timedelta(hours=72) and settings.alert_on_no_receipt


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RECONCILE_AFTER_MINUTES", "0"),
        ("RECONCILE_MAX_PER_RUN", "0"),
        ("RECONCILE_MAX_CALLS_PER_SECOND", "1000"),
        ("RECONCILE_HORIZON_HOURS", "-1"),
        ("VENDOR_BASE_URL", "http://api.imiconnect.io"),
    ],
)
def test_a_bad_setting_is_named(variable: str, value: str) -> None:
    with pytest.raises(ReconcileConfigurationError) as raised:
        settings_from({**BASE_ENVIRONMENT, variable: value})
    assert raised.value.variable == variable
