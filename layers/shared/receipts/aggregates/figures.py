"""Report figures read from counters: totals, rates, failures by code, percentiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from receipts.aggregates import histogram
from receipts.aggregates.tally import (
    CLOSED_AT_HORIZON,
    DELIVERED_PREFIX,
    FAILURE_PREFIX,
    NO_CODE,
    READ_PREFIX,
    RECONCILED,
    STATUS_PREFIX,
    STILL_OPEN,
    TRANSACTIONS,
    Counters,
    add_counters,
)

TOP_FAILURES = 10


class Percentiles(NamedTuple):
    """Seconds; None with nothing measured (see ``histogram.percentile``)."""

    p50: float | None
    p90: float | None
    p99: float | None


# A dataclass, not a NamedTuple: a tuple's own ``count`` method would shadow the field.
@dataclass(frozen=True, slots=True)
class FailureCount:
    channel: str
    status: str
    code: int | None
    count: int


class Figures(NamedTuple):
    transactions: int
    by_status: dict[str, int]
    delivered: int  # ever delivered (a read message was delivered)
    read: int
    still_open: int
    reconciled: int
    closed_at_horizon: int
    failures: list[FailureCount]  # most frequent first, at most TOP_FAILURES
    time_to_deliver: Percentiles
    time_to_read: Percentiles
    delivered_histogram: dict[int, int]  # bucket -> transactions
    read_histogram: dict[int, int]

    @property
    def delivered_rate(self) -> float | None:
        return self.delivered / self.transactions if self.transactions else None

    @property
    def read_rate(self) -> float | None:
        return self.read / self.transactions if self.transactions else None


def add_up(parts: Iterable[Mapping[str, int]]) -> Counters:
    total: Counters = {}
    for part in parts:
        add_counters(total, part)
    return total


def _buckets(counters: Mapping[str, int], prefix: str) -> dict[int, int]:
    return {
        int(name.removeprefix(prefix)): value
        for name, value in counters.items()
        if name.startswith(prefix) and value
    }


def _percentiles(buckets: Mapping[int, int]) -> Percentiles:
    return Percentiles(*(histogram.percentile(buckets, q) for q in (0.5, 0.9, 0.99)))


def _failures(channel: str, counters: Mapping[str, int]) -> list[FailureCount]:
    found = []
    for name, value in counters.items():
        if not name.startswith(FAILURE_PREFIX) or not value:
            continue
        status, _, code = name.removeprefix(FAILURE_PREFIX).rpartition("_")
        found.append(FailureCount(channel, status, None if code == NO_CODE else int(code), value))
    return found


def _ranked(failures: Iterable[FailureCount]) -> list[FailureCount]:
    def order(entry: FailureCount) -> tuple[int, str, str, int]:
        return (
            -entry.count,
            entry.channel,
            entry.status,
            entry.code if entry.code is not None else -1,
        )

    return sorted(failures, key=order)[:TOP_FAILURES]


def figures_of(by_channel: Mapping[str, Mapping[str, int]]) -> Figures:
    """The figures of counters kept per channel (one channel, or several added up)."""
    counters = add_up(by_channel.values())
    delivered = _buckets(counters, DELIVERED_PREFIX)
    read = _buckets(counters, READ_PREFIX)
    return Figures(
        transactions=counters.get(TRANSACTIONS, 0),
        by_status={
            name.removeprefix(STATUS_PREFIX): value
            for name, value in sorted(counters.items())
            if name.startswith(STATUS_PREFIX) and value
        },
        delivered=sum(delivered.values()),
        read=sum(read.values()),
        still_open=counters.get(STILL_OPEN, 0),
        reconciled=counters.get(RECONCILED, 0),
        closed_at_horizon=counters.get(CLOSED_AT_HORIZON, 0),
        failures=_ranked(
            entry for channel, part in by_channel.items() for entry in _failures(channel, part)
        ),
        time_to_deliver=_percentiles(delivered),
        time_to_read=_percentiles(read),
        delivered_histogram=dict(sorted(delivered.items())),
        read_histogram=dict(sorted(read.items())),
    )
