"""How a batch is written: full writes within DynamoDB's limits, a transaction the table
refuses left out alone, races given up on after a bound, expired days not reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.integration.reports.conftest import Feed

from receipts.aggregates.apply import (
    ATTEMPTS,
    MOST_TALLIES_PER_WRITE,
    ApplyError,
    apply_events,
)
from receipts.aggregates.recount import recount_table, stored_counters
from receipts.aggregates.tally import AggregateKey, Counters, add_into, contribution, fold
from receipts.storage import keys
from receipts.storage.aggregates import (
    MOST_ITEMS_PER_WRITE,
    AggregateStore,
    StoredTally,
    TallyChange,
    UnstorableWriteError,
)
from stream_consumer.records import by_transaction, read_records

NOW = datetime(2026, 12, 5, tzinfo=UTC)


class Recording:
    """The real store; every write's size written down, some writes refused or lost."""

    def __init__(
        self, store: AggregateStore, *, refuse: str = "", always_lose: bool = False
    ) -> None:
        self.store = store
        self.refuse = refuse
        self.always_lose = always_lose
        self.writes: list[tuple[int, int]] = []  # (tallies, items)

    def tallies(self, transids: Sequence[str]) -> dict[str, StoredTally]:
        return self.store.tallies(transids)

    def commit(
        self, changes: Sequence[TallyChange], moved: Mapping[AggregateKey, Counters], now: datetime
    ) -> bool:
        self.writes.append((len(changes), len(changes) + len(moved)))
        if self.refuse in {change.transid for change in changes}:
            raise UnstorableWriteError("a key over 2 KB")
        if self.always_lose:
            return False
        return self.store.commit(changes, moved, now)


def _events(feed: Feed) -> dict[str, Any]:
    return by_transaction(read_records(feed.records).events)


def test_a_batch_fills_its_writes_within_dynamodbs_limits(feed: Feed) -> None:
    recording = Recording(feed.store)
    events = _events(feed)

    applied = apply_events(recording, events, NOW)

    assert applied.changed == len(events) and applied.refused == ()
    assert max(tallies for tallies, _ in recording.writes) == MOST_TALLIES_PER_WRITE
    assert all(items <= MOST_ITEMS_PER_WRITE for _, items in recording.writes)
    assert len(recording.writes) == -(-len(events) // MOST_TALLIES_PER_WRITE)
    # apply_events alone: the counters' step, not the suppressions'.
    feed.assert_counters_exact()


def test_a_transaction_the_table_refuses_is_left_out_alone(feed: Feed) -> None:
    events = _events(feed)
    refused = sorted(events)[17]
    recording = Recording(feed.store, refuse=refused)

    applied = apply_events(recording, events, NOW)

    assert applied.refused == (refused,)
    assert applied.changed == len(events) - 1
    # Everything else is counted: the recount less the refused transaction's contribution.
    expected = recount_table(feed.client, feed.table)
    tally = fold(events[refused])
    assert tally is not None
    add_into(expected, contribution(tally), sign=-1)
    assert stored_counters(feed.client, feed.table) == expected


def test_a_write_that_keeps_losing_races_is_left_for_the_streams_retry(feed: Feed) -> None:
    sleeps: list[float] = []
    events = _events(feed)

    recording = Recording(feed.store, always_lose=True)
    with pytest.raises(ApplyError) as raised:
        apply_events(recording, events, NOW, sleep=sleeps.append)

    # The write of the last 40 tallies was tried ATTEMPTS times (with a pause between),
    # then the batch was given back.
    last = len(events) % MOST_TALLIES_PER_WRITE
    assert [tallies for tallies, _ in recording.writes].count(last) == ATTEMPTS
    assert len(sleeps) == len(recording.writes) - 1
    assert raised.value.done == frozenset()
    assert stored_counters(feed.client, feed.table) == {}


def test_an_expired_day_is_not_reported_before_ttl_deletes_it(
    dynamodb_client: Any, events_table: str
) -> None:
    store = AggregateStore(dynamodb_client, events_table, retention=timedelta(days=1))
    old, recent = AggregateKey("day", "2020-01-01", "sms"), AggregateKey("day", "2026-12-01", "sms")
    assert store.commit([], {old: {"n": 3}, recent: {"n": 5}}, NOW)

    found = store.daily_counters(date(2019, 12, 1), date(2026, 12, 31))

    assert found == {("2026-12-01", "sms"): {"n": 5}}
    # The expired item is still in the table: TTL has not deleted it yet.
    assert stored_counters(dynamodb_client, events_table)[old] == {"n": 3}
    assert keys.AGGREGATE_SHARDS > 1
