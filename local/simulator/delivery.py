"""When callbacks are posted and what happens when the webhook fails: pure, clock-driven.

The platform's rules: a callback that gets a 2xx is delivered. One that fails is retried
3 times (about 60 s apart on the real platform), then dropped. It is not retried at all
when the endpoint answers 202-208, 226, 3xx, 400, 402, 404-411, 414-416, 418 or 505, so
401, 403, 429 and most 5xx are retried, as are timeouts and refused connections.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from simulator.config import DeliveryPolicy

NOT_RETRIED = frozenset(
    [
        *range(202, 209),
        226,
        *range(300, 400),
        400,
        402,
        *range(404, 412),
        *range(414, 417),
        418,
        505,
    ]
)


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # failed; will be tried again
    DROPPED = "dropped"  # failed and out of retries
    REFUSED = "refused"  # failed with a status the platform does not retry


def answer_is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def answer_is_retried(status: int | None) -> bool:
    """True when the platform tries again after this answer (None: timeout or no connection)."""
    return status is None or (not answer_is_success(status) and status not in NOT_RETRIED)


@dataclass
class Delivery:
    """One notification to post, with everything needed to post it again."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    transid: str
    duplicate: bool = False
    attempts: int = 0
    last_status: int | None = None
    id: int = 0


@dataclass
class DeliveryCounters:
    attempts: int = 0
    delivered: int = 0
    retried: int = 0
    dropped: int = 0
    refused: int = 0
    duplicates_sent: int = 0


@dataclass
class DeliveryQueue:
    """Deliveries waiting for their due time, and the retry rule applied to each answer."""

    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    counters: DeliveryCounters = field(default_factory=DeliveryCounters)
    _heap: list[tuple[float, int, Delivery]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    in_flight: int = 0

    def schedule(self, delivery: Delivery, due: float) -> None:
        if not delivery.id:
            delivery.id = next(self._ids) + 1
        heapq.heappush(self._heap, (due, delivery.id, delivery))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[Delivery]:
        """Deliveries whose time has come; each counts as in flight until settled."""
        due: list[Delivery] = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[2])
        self.in_flight += len(due)
        for delivery in due:
            delivery.attempts += 1
            self.counters.attempts += 1
            if delivery.duplicate and delivery.attempts == 1:
                self.counters.duplicates_sent += 1
        return due

    def settle(self, delivery: Delivery, status: int | None, now: float) -> Verdict:
        """Record the webhook's answer to an attempt (None: timeout or connection error)."""
        self.in_flight -= 1
        delivery.last_status = status
        if answer_is_success(status):
            self.counters.delivered += 1
            return Verdict.DELIVERED
        if not answer_is_retried(status):
            self.counters.refused += 1
            return Verdict.REFUSED
        retries_done = delivery.attempts - 1
        if retries_done >= self.policy.max_retries:
            self.counters.dropped += 1
            return Verdict.DROPPED
        self.counters.retried += 1
        self.schedule(delivery, now + self.policy.interval_before_retry(retries_done + 1))
        return Verdict.RETRY

    @property
    def waiting(self) -> int:
        return len(self._heap)

    @property
    def pending(self) -> int:
        """Deliveries not yet settled for good: waiting or in flight."""
        return len(self._heap) + self.in_flight
