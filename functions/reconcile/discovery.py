"""Discovery: read the open index's arrival buckets, once each, and watch what went quiet.

A bucket (one minute of arrivals) is read once it is over, plus the quiet time, plus a
grace for writes still in flight: by then a transaction in it has had the quiet time to
hear its final status. Each transaction is read whole (its events' keys and a few
attributes, no bodies): a final one needs nothing; one still in progress becomes a watch,
due when its newest event is the quiet time old. Reading a bucket again (a run that died
before saving its position) only finds the watches already there.
"""

from __future__ import annotations

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
        first_run_lookback: timedelta = FIRST_RUN_LOOKBACK,
    ) -> None:
        self._events = events
        self._watches = watches
        self._owner = owner
        self._first_run_lookback = first_run_lookback

    def run(self, run: Run, state: SweepState) -> SweepState:
        """Read settled buckets from ``state`` on; the position reached (saved)."""
        after = run.policy.after
        position = (
            state
            if state.bucket
            else state._replace(
                bucket=first_bucket(run.wall, after, self._first_run_lookback), shard=0, page=None
            )
        )
        pages = 0
        try:
            while is_settled(position.bucket or "", run.wall, after):
                if not run.discovery_may_go_on():
                    break
                if position.shard == 0 and position.page is None:
                    position = self._read_bucket(run, position)
                else:
                    position = self._read_page(run, position)
                pages += 1
                if position.shard == 0 and position.page is None:
                    run.summary.buckets_done += 1
                if pages % SAVE_EVERY_PAGES == 0:
                    self._watches.save_position(self._owner, position)
        finally:
            self._watches.save_position(self._owner, position)
            run.summary.next_bucket = position.bucket
        return position

    def _read_bucket(self, run: Run, position: SweepState) -> SweepState:
        """A bucket's first page of every shard, side by side: most minutes hold a page or
        none per shard, so a bucket costs one round of queries, and a sweep catching up
        after a stop reads about a minute of arrivals per round trip."""
        bucket = position.bucket or ""
        pages = side_by_side(
            [
                partial(self._events.open_page, bucket, shard, limit=PAGE_SIZE)
                for shard in range(keys.WRITE_SHARDS)
            ]
        )
        self._consider_all(run, [transid for page in pages for transid in page.ids])
        more = next((shard for shard, page in enumerate(pages) if page.next), None)
        if more is None:
            return position._replace(bucket=keys.next_bucket(bucket), shard=0, page=None)
        # The rest page by page from the first shard with more (shards after it that were
        # read whole are read again: it only finds the same watches).
        return position._replace(shard=more, page=pages[more].next)

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
        if position.shard + 1 < keys.WRITE_SHARDS:
            return position._replace(shard=position.shard + 1, page=None)
        return position._replace(bucket=keys.next_bucket(bucket), shard=0, page=None)

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
