"""The reports' counters equal a recount from the table, however the stream delivers.

DynamoDB Streams delivers at least once: a batch comes again after a failure or a timeout,
from the failed record on (``ReportBatchItemFailures``) or whole, and a function may die
after its write landed. Each test feeds the stream consumer the population's stream records
in one such way and compares every counter (campaign and day, per channel) with
``recount_table``: the events stored, folded afresh.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from tests.integration.reports.conftest import Feed
from tests.integration.reports.population import batches, stream_records

from receipts.aggregates.tally import fold
from receipts.storage import StoreUnavailableError
from receipts.storage.aggregates import AggregateStore, StoredTally, TallyChange
from stream_consumer.records import by_transaction, read_records


def test_the_population_covers_every_kind_of_count(feed: Feed) -> None:
    for batch in batches(feed.records, 100):
        assert feed.consume(batch) == {"batchItemFailures": []}

    counts = feed.assert_exact()

    kinds = {key.kind for key in counts}
    names = {name for counters in counts.values() for name in counters}
    assert kinds == {"campaign", "day"}
    assert {key.name for key in counts if key.kind == "day"} == {"2026-12-01", "2026-12-02"}
    for name in ("n", "open", "rec", "hz", "s_delivered", "s_read", "s_submitted", "s_unknown"):
        assert name in names
    assert any(name.startswith("f_") for name in names)
    assert any(name.startswith("d_") for name in names)
    assert any(name.startswith("r_") for name in names)


def test_every_batch_delivered_twice(feed: Feed) -> None:
    for batch in batches(feed.records, 75):
        feed.consume(batch)
        feed.consume(batch)

    feed.assert_exact()


def test_batches_out_of_order_and_overlapping(feed: Feed) -> None:
    rng = random.Random(3)
    parts = list(batches(feed.records, 60))
    rng.shuffle(parts)
    for index, batch in enumerate(parts):
        # Each delivery also carries part of another batch: records seen before, or not yet.
        other = parts[(index + 3) % len(parts)]
        feed.consume(batch + other[: len(other) // 2])

    feed.assert_exact()


def test_the_whole_stream_replayed_including_the_consumers_own_writes(feed: Feed) -> None:
    for batch in batches(feed.records, 100):
        feed.consume(batch)
    # Read again from the start: the tallies' and counters' records are in the stream too
    # (AWS filters them out; a wider filter must not miscount them).
    everything = stream_records(feed.client, feed.table)
    assert len(everything) > len(feed.records)
    for batch in batches(everything, 250):
        assert feed.consume(batch) == {"batchItemFailures": []}

    feed.assert_exact()


class DiesAfterWriting:
    """The real store, but the function dies right after every ``every``-th write landed:
    the write is in the table, the function never learns it."""

    def __init__(self, store: AggregateStore, every: int) -> None:
        self.store = store
        self.every = every
        self.writes = 0

    def tallies(self, transids: Sequence[str]) -> dict[str, StoredTally]:
        return self.store.tallies(transids)

    def commit(self, changes: Sequence[TallyChange], moved: Any, now: Any) -> bool:
        committed = self.store.commit(changes, moved, now)
        self.writes += 1
        if self.writes % self.every == 0:
            raise StoreUnavailableError("the connection dropped after the write")
        return committed


def test_a_write_that_landed_before_the_function_died_is_not_counted_again(feed: Feed) -> None:
    dying = DiesAfterWriting(feed.store, every=2)
    deliveries = [feed.consume_until_done(batch, dying) for batch in batches(feed.records, 120)]

    assert max(deliveries) > 1  # batches really were delivered again
    feed.assert_exact()


def test_a_batch_retried_whole_after_a_partial_write(feed: Feed) -> None:
    dying = DiesAfterWriting(feed.store, every=3)
    for batch in batches(feed.records, 120):
        while feed.consume(batch, dying)["batchItemFailures"]:
            pass  # the function's own retry: the whole batch again

    feed.assert_exact()


class RacedByAnotherReader:
    """Between reading its tallies and writing, another invocation applies the same records
    (a retried batch overlapping a slow one): the write's version condition fails."""

    def __init__(self, store: AggregateStore, rival: Callable[[], None]) -> None:
        self.store = store
        self.rival = rival
        self.raced = 0

    def tallies(self, transids: Sequence[str]) -> dict[str, StoredTally]:
        read = self.store.tallies(transids)
        if not self.raced:
            self.raced += 1
            self.rival()
        return read

    def commit(self, changes: Sequence[TallyChange], moved: Any, now: Any) -> bool:
        return self.store.commit(changes, moved, now)


def _transid(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def test_two_invocations_racing_over_the_same_records(feed: Feed) -> None:
    feed.consume(feed.records[:150])
    # Later events of transactions that have a tally already: a version to race on (a new
    # tally would fail its own condition, cancelling the write for another reason).
    known = {_transid(record) for record in feed.records[:150]}
    batch = [record for record in feed.records[150:] if _transid(record) in known]
    rest = [record for record in feed.records[150:] if _transid(record) not in known]
    racing = RacedByAnotherReader(feed.store, lambda: feed.consume(batch) and None)

    assert len(batch) > 20
    assert feed.consume(batch, racing) == {"batchItemFailures": []}
    feed.consume(rest)

    assert racing.raced == 1
    feed.assert_exact()


class FailsSecondWrite(DiesAfterWriting):
    """The first write lands; the second fails before it is stored (a throttle)."""

    def commit(self, changes: Sequence[TallyChange], moved: Any, now: Any) -> bool:
        self.writes += 1
        if self.writes == 2:
            raise StoreUnavailableError("throttled")
        return self.store.commit(changes, moved, now)


def test_the_batch_goes_on_from_the_earliest_record_not_applied(feed: Feed) -> None:
    batch = feed.records
    answer = feed.consume(batch, FailsSecondWrite(feed.store, every=0))

    (failure,) = answer["batchItemFailures"]
    # What the table holds now says which transactions the batch has yet to apply: those
    # whose stored tally lacks an event of the batch.
    events = by_transaction(read_records(batch).events)
    stored = feed.store.tallies(list(events))
    left = {
        transid
        for transid, its_events in events.items()
        if transid not in stored or fold(its_events, stored[transid].tally) != stored[transid].tally
    }
    assert 0 < len(left) < len(events)
    first_left = min(
        (r["dynamodb"]["SequenceNumber"] for r in batch if _transid(r).removeprefix("TX#") in left),
        key=int,
    )
    assert failure["itemIdentifier"] == first_left
    # And the retry from there completes the batch exactly.
    from_there = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(first_left)]
    assert feed.consume(from_there) == {"batchItemFailures": []}
    feed.assert_exact()


@pytest.mark.parametrize("shards_seen", [1, 4])
def test_counters_spread_over_shards_add_up(feed: Feed, shards_seen: int) -> None:
    rng = random.Random(shards_seen)
    store = AggregateStore(
        feed.client, feed.table, pick_shard=lambda shards: rng.randrange(shards_seen)
    )
    for batch in batches(feed.records, 40):
        feed.consume(batch, store)

    feed.assert_exact()
