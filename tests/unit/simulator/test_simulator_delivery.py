"""The platform's delivery rules: 3 retries, then dropped; some answers are never retried."""

from __future__ import annotations

import pytest

from simulator.config import DeliveryPolicy
from simulator.delivery import (
    NOT_RETRIED,
    Delivery,
    DeliveryQueue,
    Verdict,
    answer_is_retried,
)


def _delivery(duplicate: bool = False) -> Delivery:
    return Delivery(
        url="http://127.0.0.1:1/callbacks", body=b"{}", headers={}, transid="t", duplicate=duplicate
    )


@pytest.mark.parametrize(
    "status", [202, 204, 208, 226, 301, 302, 400, 402, 404, 411, 414, 416, 418, 505]
)
def test_the_platform_does_not_retry_these_answers(status: int) -> None:
    assert status in NOT_RETRIED or 200 <= status < 300
    assert not answer_is_retried(status)


@pytest.mark.parametrize("status", [None, 401, 403, 412, 413, 429, 500, 502, 503, 504])
def test_the_platform_retries_these_answers(status: int | None) -> None:
    assert answer_is_retried(status)


def test_nothing_is_due_before_its_time() -> None:
    queue = DeliveryQueue()
    queue.schedule(_delivery(), due=10.0)

    assert queue.pop_due(9.9) == []
    assert len(queue.pop_due(10.0)) == 1
    assert queue.in_flight == 1


def test_deliveries_come_out_in_due_order() -> None:
    queue = DeliveryQueue()
    late, early = _delivery(), _delivery()
    queue.schedule(late, due=2.0)
    queue.schedule(early, due=1.0)

    assert queue.pop_due(5.0) == [early, late]


def test_a_failed_callback_is_retried_three_times_then_dropped() -> None:
    queue = DeliveryQueue(policy=DeliveryPolicy(max_retries=3, retry_intervals=(60.0,)))
    delivery = _delivery()
    queue.schedule(delivery, due=0.0)
    verdicts = []
    now = 0.0
    while True:
        (attempt,) = queue.pop_due(now)
        verdicts.append(queue.settle(attempt, 503, now))
        next_due = queue.next_due()
        if next_due is None:
            break
        assert next_due == now + 60.0
        now = next_due

    assert verdicts == [Verdict.RETRY] * 3 + [Verdict.DROPPED]
    assert delivery.attempts == 4
    assert queue.counters.dropped == 1
    assert queue.counters.retried == 3
    assert queue.pending == 0


def test_a_retry_that_succeeds_delivers_and_loses_nothing() -> None:
    queue = DeliveryQueue(policy=DeliveryPolicy(retry_intervals=(1.0,)))
    queue.schedule(_delivery(), due=0.0)
    (attempt,) = queue.pop_due(0.0)
    assert queue.settle(attempt, None, 0.0) is Verdict.RETRY

    (retry,) = queue.pop_due(1.0)

    assert queue.settle(retry, 200, 1.0) is Verdict.DELIVERED
    assert (queue.counters.delivered, queue.counters.dropped) == (1, 0)


def test_a_refused_answer_is_not_retried() -> None:
    queue = DeliveryQueue()
    queue.schedule(_delivery(), due=0.0)
    (attempt,) = queue.pop_due(0.0)

    assert queue.settle(attempt, 400, 0.0) is Verdict.REFUSED
    assert queue.next_due() is None
    assert queue.counters.refused == 1


def test_backoff_intervals_are_used_in_turn_and_the_last_repeats() -> None:
    policy = DeliveryPolicy(max_retries=4, retry_intervals=(30.0, 60.0, 120.0))

    assert [policy.interval_before_retry(n) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 120.0]


def test_a_duplicate_counts_once_however_often_it_is_retried() -> None:
    queue = DeliveryQueue(policy=DeliveryPolicy(retry_intervals=(0.0,)))
    queue.schedule(_delivery(duplicate=True), due=0.0)
    (attempt,) = queue.pop_due(0.0)
    queue.settle(attempt, 503, 0.0)
    (retry,) = queue.pop_due(0.0)
    queue.settle(retry, 200, 0.0)

    assert queue.counters.duplicates_sent == 1
    assert queue.counters.attempts == 2
