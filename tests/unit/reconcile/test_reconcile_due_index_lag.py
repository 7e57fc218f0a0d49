"""The due index is eventually consistent: entries it still lists may no longer be due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from receipts.channels import Channel
from receipts.deadline import Deadline
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage import keys
from receipts.storage.event_store import EventSummary
from receipts.storage.watches import IndexPage, SweepState, Watch, WatchSource, WatchState
from reconcile.asking import Asking
from reconcile.pacing import CallPacer
from reconcile.run import Run, SweepPolicy

NOW = datetime(2026, 12, 4, 0, 5, tzinfo=UTC)
YESTERDAY = "2026-12-03"


class LaggingWatches:
    """Watches whose index lists what the items were one query ago."""

    def __init__(self, watches: list[Watch]) -> None:
        self.items = {watch.transid: watch for watch in watches}
        self._listed = dict(self.items)

    def due_page(
        self, day: str, shard: int, *, now: datetime, limit: int, start: str | None = None
    ) -> IndexPage:
        listed, self._listed = self._listed, dict(self.items)
        due = sorted(
            (watch.due_at, transid)
            for transid, watch in listed.items()
            if watch.state is WatchState.WATCHING
            and watch.due_at.date().isoformat() == day
            and keys.shard_of(transid) == shard
            and watch.due_at <= now
            and (start is None or transid > start)
        )
        page = [transid for _, transid in due[:limit]]
        return IndexPage(page, page[-1] if len(due) > limit else None)

    def get_many(self, transids: list[str]) -> list[Watch]:
        return [self.items[transid] for transid in transids]

    def finish(self, watch: Watch, state: WatchState, *, attempts: int, note: str) -> bool:
        self.items[watch.transid] = watch._replace(state=state)
        return True


class SettledEvents:
    """Every transaction got its final callback late: no vendor call is needed."""

    def event_summaries(self, transid: str) -> list[EventSummary]:
        sms = Channel.SMS
        return [
            EventSummary(
                DeliveryStatus.DELIVERED, EventOrigin.CALLBACK, NOW, NOW, None, sms, "", ""
            )
        ]


def test_a_page_of_entries_no_longer_due_does_not_hide_the_due_ones_behind_it() -> None:
    shard = 0
    transids = sorted(t for t in (f"tx{n:05d}" for n in range(5000)) if keys.shard_of(t) == shard)
    # 60 due yesterday, in transid order: a first page of 50, then 10 behind it.
    watches = [
        Watch(transid, WatchSource.SWEEP, WatchState.WATCHING, NOW - timedelta(days=2),
              NOW + timedelta(days=2), datetime(2026, 12, 3, 12, 0, tzinfo=UTC), 1, "", False)
        for transid in transids[:60]
    ]  # fmt: skip
    store = LaggingWatches(watches)
    run = Run(
        now=NOW,
        wall=NOW,
        policy=SweepPolicy(timedelta(minutes=15), timedelta(hours=72), 2000, True),
        deadline=Deadline.unbounded(),
    )
    asking = Asking(
        SettledEvents(),  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        status_api=None,  # type: ignore[arg-type]
        pacer=CallPacer(1000.0),
        owner="run",
        vendor_timeout_seconds=1.0,
    )

    state = asking.run(run, SweepState("2026-12-04T00:00", 0, None, None, asks_from=YESTERDAY))

    left = [t for t, watch in store.items.items() if watch.state is WatchState.WATCHING]
    assert left == []
    assert state.asks_from == "2026-12-04"  # only once yesterday holds nothing due
    assert run.summary.settled_meanwhile == 60
