"""Discovery in parts: each reads its share of the write shards, alone, on its own lease."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from tests.integration.reconcile.reconcile_harness import AFTER, T0, Harness, callback

from receipts.deadline import Deadline
from receipts.storage import keys
from receipts.storage.watches import SweepState
from reconcile.discovery import part_shards

PARTS = 4
AT = T0 + AFTER + timedelta(minutes=2)


def _quiet_transactions(harness: Harness, count: int) -> dict[int, list[str]]:
    """``count`` quiet transactions (no final status), by the part whose shards hold them."""
    by_part: dict[int, list[str]] = defaultdict(list)
    for n in range(count):
        transid = f"tx-part-{n}"
        harness.store(callback(transid, "Submitted", code="7501"), T0)
        by_part[keys.shard_of(transid) % PARTS].append(transid)
    assert len(by_part) == PARTS  # every part has some
    return by_part


def _watched(harness: Harness, transids: list[str]) -> set[str]:
    return {transid for transid in transids if harness.watches.get(transid) is not None}


def test_the_parts_split_the_write_shards_between_them() -> None:
    shards = [part_shards(part, PARTS) for part in range(PARTS)]
    assert sorted(shard for share in shards for shard in share) == list(range(keys.WRITE_SHARDS))
    assert all(len(share) == keys.WRITE_SHARDS // PARTS for share in shards)
    with pytest.raises(ValueError, match="no part"):
        part_shards(PARTS, PARTS)


def test_each_part_watches_only_its_own_transactions_and_together_all(harness: Harness) -> None:
    by_part = _quiet_transactions(harness, 40)
    everything = [transid for transids in by_part.values() for transid in transids]
    discovery = harness.discovery(AT)

    seen: set[str] = set()
    for part in range(PARTS):
        summary = discovery.run(Deadline.unbounded(), part=part, parts=PARTS, now=AT)
        # Then this part watched exactly its own, and read nothing of the others
        assert summary.checked == summary.watched == len(by_part[part])
        seen |= set(by_part[part])
        assert _watched(harness, everything) == seen

    # And a second round of every part reads past minutes no more
    again = [
        discovery.run(Deadline.unbounded(), part=part, parts=PARTS, now=AT).checked
        for part in range(PARTS)
    ]
    assert again == [0] * PARTS


def test_a_part_held_by_another_run_does_not_hold_back_the_others(harness: Harness) -> None:
    # Given every part with a position (an earlier round, before anything settled)
    for part in range(PARTS):
        harness.discovery(T0).run(Deadline.unbounded(), part=part, parts=PARTS, now=T0)
    by_part = _quiet_transactions(harness, 40)
    held = keys.discovery_state_key(1, PARTS)
    assert harness.watches.acquire_lease("another-run", now=AT, until=AT + AFTER, state_key=held)
    discovery = harness.discovery(AT)

    summaries = [
        discovery.run(Deadline.unbounded(), part=part, parts=PARTS, now=AT) for part in range(PARTS)
    ]

    assert summaries[1].skipped == "another run holds the lease"
    assert _watched(harness, by_part[1]) == set()
    for part in (0, 2, 3):
        assert _watched(harness, by_part[part]) == set(by_part[part])
    # The part's next run, once the other run's lease lapsed, goes on from its position
    later = AT + 2 * AFTER
    resumed = harness.discovery(later).run(Deadline.unbounded(), part=1, parts=PARTS, now=later)
    assert resumed.watched == len(by_part[1])
    assert _watched(harness, by_part[1]) == set(by_part[1])


def _hold_position(harness: Harness, state_key: keys.StateKey, position: SweepState) -> None:
    assert harness.watches.acquire_lease("setup", now=T0, until=T0 + AFTER, state_key=state_key)
    harness.watches.save_position("setup", position, state_key=state_key)
    harness.watches.release_lease("setup", state_key=state_key)


def _run_every_part(harness: Harness, at: datetime) -> int:
    return sum(
        harness.discovery(at).run(Deadline.unbounded(), part=part, parts=PARTS, now=at).watched
        for part in range(PARTS)
    )


# Well after the first-run lookback (the harness's five minutes) would reach T0's minute.
LATE = T0 + timedelta(minutes=40)


def test_parts_with_no_position_start_where_the_one_sweep_before_them_left_off(
    harness: Harness,
) -> None:
    # Given the sweep before discovery ran in parts, left off at T0's minute (its asks'
    # state item held the position then)
    by_part = _quiet_transactions(harness, 20)
    legacy = SweepState(keys.arrival_bucket(T0), 0, None, None)
    _hold_position(harness, keys.ASKS_STATE, legacy)

    # When the parts run for the first time, hours later
    watched = _run_every_part(harness, LATE)

    # Then they start there: nothing in between is skipped
    assert watched == sum(len(transids) for transids in by_part.values())


def test_without_an_earlier_position_a_first_run_reaches_back_only_its_lookback(
    harness: Harness,
) -> None:
    _quiet_transactions(harness, 20)
    assert _run_every_part(harness, LATE) == 0


def test_a_new_count_of_parts_starts_where_the_old_parts_left_off(harness: Harness) -> None:
    # Given discovery in two parts, the slower one left off at T0's minute
    by_part = _quiet_transactions(harness, 20)
    ahead = SweepState(keys.arrival_bucket(LATE - AFTER), 0, None, None)
    behind = SweepState(keys.arrival_bucket(T0), 1, None, None)
    _hold_position(harness, keys.discovery_state_key(0, 2), ahead)
    _hold_position(harness, keys.discovery_state_key(1, 2), behind)

    # When discovery runs in four parts from then on
    watched = _run_every_part(harness, LATE)

    # Then the new parts start at the earliest position: none of its minutes is skipped
    assert watched == sum(len(transids) for transids in by_part.values())


def test_a_start_never_reaches_back_past_the_horizon(harness: Harness) -> None:
    _quiet_transactions(harness, 20)
    ancient = SweepState(keys.arrival_bucket(T0 - timedelta(days=30)), 0, None, None)
    _hold_position(harness, keys.ASKS_STATE, ancient)
    harness.horizon = timedelta(minutes=30)
    at = T0 + timedelta(minutes=45)

    summaries = [
        harness.discovery(at).run(Deadline.unbounded(), part=part, parts=PARTS, now=at)
        for part in range(PARTS)
    ]

    # It starts at the horizon: T0's minute is past it, and no month of minutes is read
    assert sum(summary.watched for summary in summaries) == 0
    assert all(0 < summary.buckets_done <= 30 for summary in summaries)


def test_a_saved_position_on_a_shard_not_of_the_part_reads_its_minute_again_whole(
    harness: Harness,
) -> None:
    by_part = _quiet_transactions(harness, 40)
    # Given part 1's position at T0's minute, but on shard 0 (part 0's)
    wrong = SweepState(keys.arrival_bucket(T0), 0, None, None)
    _hold_position(harness, keys.discovery_state_key(1, PARTS), wrong)

    summary = harness.discovery(LATE).run(Deadline.unbounded(), part=1, parts=PARTS, now=LATE)

    # Then part 1 reads that minute again from its own first shard: nothing of it is lost
    assert summary.watched == len(by_part[1])
