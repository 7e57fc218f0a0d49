"""Discovery: read the open index's arrival buckets, once each, and watch what went quiet.

Discovery runs in parts, side by side (one function invocation each, on the same schedule):
part ``p`` of ``n`` reads the write shards ``s`` with ``s % n == p`` of every bucket, and
keeps its own lease and position. Each transaction's in-progress events sit in the shard of
its transid, so the parts never read the same transaction, and together they read all.

A bucket (one minute of arrivals) is read once it is over, plus the quiet time, plus a
grace for writes still in flight: by then a transaction in it has had the quiet time to
hear its final status. Each transaction is read whole (its events' keys and a few
attributes, no bodies): a final one needs nothing; one still in progress becomes a watch,
due when its newest event is the quiet time old. Reading a bucket again (a run that died
before saving its position) only finds the watches already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from receipts.lifecycle import is_final_event
from receipts.storage import keys
from receipts.storage.event_store import EventStore, EventSummary, side_by_side
from receipts.storage.watches import SweepState, WatchSource, WatchStore
from reconcile.run import Run

# A callback's arrival time is taken when its request starts, and its write lands within
# the webhook's timeout (8 s): a bucket is complete this long after it is over.
ARRIVAL_GRACE = timedelta(seconds=30)
# Where a sweep with no position starts: far enough back for whatever arrived between the
# deployment and its first run (the schedule fires within its interval, at most an hour).
FIRST_RUN_LOOKBACK = timedelta(minutes=60)
PAGE_SIZE = 200
# Pages between two saves of the position: reading a page again costs little, a write per
# page would cost more.
SAVE_EVERY_PAGES = 20


def part_shards(part: int, parts: int) -> list[int]:
    """The write shards part ``part`` of ``parts`` reads."""
    if not 0 <= part < parts <= keys.WRITE_SHARDS:
        raise ValueError(f"no part {part} of {parts} (at most {keys.WRITE_SHARDS} parts)")
    return [shard for shard in range(keys.WRITE_SHARDS) if shard % parts == part]


def first_bucket(now: datetime, after: timedelta, lookback: timedelta = FIRST_RUN_LOOKBACK) -> str:
    return keys.arrival_bucket(now - after - ARRIVAL_GRACE - lookback)


def is_settled(bucket: str, now: datetime, after: timedelta) -> bool:
    return keys.bucket_end(bucket) + after + ARRIVAL_GRACE <= now


class Discovery:
    def __init__(
        self,
        events: EventStore,
        watches: WatchStore,
        owner: str,
        *,
        shards: Sequence[int] = range(keys.WRITE_SHARDS),
        state_key: keys.StateKey,
        first_run_lookback: timedelta = FIRST_RUN_LOOKBACK,
    ) -> None:
        self._events = events
        self._watches = watches
        self._owner = owner
        self._shards = list(shards)
        self._state_key = state_key
        self._first_run_lookback = first_run_lookback

    def run(self, run: Run, state: SweepState) -> SweepState:
        """Read settled buckets from ``state`` on; the position reached (saved)."""
        after = run.policy.after
        if not state.bucket:
            position = state._replace(
                bucket=self._starting_bucket(run), shard=self._shards[0], page=None
            )
        elif state.shard not in self._shards:
            # Not a shard of this part (a position written otherwise): its bucket again, whole.
            position = state._replace(shard=self._shards[0], page=None)
        else:
            position = state
        pages = 0
        try:
            while is_settled(position.bucket or "", run.wall, after):
                if not run.discovery_may_go_on():
                    break
                if self._at_bucket_start(position):
                    position = self._read_bucket(run, position)
                else:
                    position = self._read_page(run, position)
                pages += 1
                if self._at_bucket_start(position):
                    run.summary.buckets_done += 1
                if pages % SAVE_EVERY_PAGES == 0:
                    self._save(position)
        finally:
            self._save(position)
            run.summary.next_bucket = position.bucket
        return position

    def _starting_bucket(self, run: Run) -> str:
        """Where a part with no position starts: the lookback before the newest minute it
        may read, or earlier, where another state left off (the one sweep before discovery
        ran in parts, or parts of another count), so no minute is skipped; never further
        back than the horizon, past which a transaction is closed as soon as it is seen."""
        start = first_bucket(run.wall, run.policy.after, self._first_run_lookback)
        earliest = self._watches.earliest_position()
        if earliest is None or keys.bucket_order(earliest) >= keys.bucket_order(start):
            return start
        floor = keys.arrival_bucket(run.wall - run.policy.horizon)
        return max(earliest, floor, key=keys.bucket_order)

    def _save(self, position: SweepState) -> None:
        self._watches.save_position(self._owner, position, state_key=self._state_key)

    def _at_bucket_start(self, position: SweepState) -> bool:
        return position.shard == self._shards[0] and position.page is None

    def _next_bucket(self, position: SweepState, bucket: str) -> SweepState:
        return position._replace(bucket=keys.next_bucket(bucket), shard=self._shards[0], page=None)

    def _read_bucket(self, run: Run, position: SweepState) -> SweepState:
        """A bucket's first page of every shard of this part, side by side: most minutes
        hold a page or none per shard, so a bucket costs one round of queries, and a sweep
        catching up after a stop reads about a minute of arrivals per round trip."""
        bucket = position.bucket or ""
        pages = side_by_side(
            [
                partial(self._events.open_page, bucket, shard, limit=PAGE_SIZE)
                for shard in self._shards
            ]
        )
        self._consider_all(run, [transid for page in pages for transid in page.ids])
        more = [
            (shard, page.next) for shard, page in zip(self._shards, pages, strict=True) if page.next
        ]
        if not more:
            return self._next_bucket(position, bucket)
        # The rest page by page from the first shard with more (shards after it that were
        # read whole are read again: it only finds the same watches).
        shard, start = more[0]
        return position._replace(shard=shard, page=start)

    def _consider_all(self, run: Run, transids: list[str]) -> None:
        summaries = side_by_side(
            [partial(self._events.event_summaries, transid) for transid in transids]
        )
        for transid, events in zip(transids, summaries, strict=True):
            self._consider(run, transid, events)

    def _read_page(self, run: Run, position: SweepState) -> SweepState:
        bucket = position.bucket or ""
        page = self._events.open_page(bucket, position.shard, start=position.page, limit=PAGE_SIZE)
        self._consider_all(run, page.ids)
        if page.next:
            return position._replace(page=page.next)
        later = [shard for shard in self._shards if shard > position.shard]
        if later:
            return position._replace(shard=later[0], page=None)
        return self._next_bucket(position, bucket)

    def _consider(self, run: Run, transid: str, events: list[EventSummary]) -> None:
        run.summary.checked += 1
        if not events or any(is_final_event(event) for event in events):
            return
        first = min(event.received_at for event in events)
        newest = max(event.received_at for event in events)
        horizon_at = first + run.policy.horizon
        # Due once quiet for the quiet time; never in the past, where no sweep looks.
        due_at = min(max(newest + run.policy.after, run.now), max(horizon_at, run.now))
        if self._watches.watch(
            transid,
            source=WatchSource.SWEEP,
            first_seen=first,
            due_at=due_at,
            horizon_at=horizon_at,
        ):
            run.summary.watched += 1
