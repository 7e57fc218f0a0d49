"""Asks: every watch that is due, one status-API call each, paced; or closed at the horizon.

A watch is looked at only when due (the index holds it under its due day, sorted by due
time). Its transaction is read first: a final event stored meanwhile (a late callback) ends
the watch without a call. Otherwise the status API is asked; an answer further along than
what is stored is stored as an event (so a failure it tells raises its one alert through the
stream, as a callback would), and a final one ends the watch; anything else schedules the
next ask on the backoff. The ask at the horizon is the last: unless it hears a final status,
the watch is closed as ``unknown``, "no final receipt" (a 7601 watch is closed without it).

The vendor's bad days end the run, never a watch: a rate limit pauses the asks for its
``Retry-After``, and a few failures in a row stop them; the watches stay due as they were,
so the next run asks them.

A page of due watches is asked about side by side (``concurrency`` at a time): one call
waits on the vendor for a fraction of a second, so one after another a run could never
reach the pace it is allowed. The pacer still spaces the calls; once a run must stop, no
further call starts (those in flight finish and are recorded).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from receipts.lifecycle import event_rank, is_final_event
from receipts.models.callback import DeliveryEvent
from receipts.models.reconciled import horizon_event, status_api_event
from receipts.storage import keys
from receipts.storage.event_store import EventStore, EventSummary
from receipts.storage.watches import SweepState, Watch, WatchState, WatchStore
from receipts.vendor import NotAPathSegmentError, VendorError
from reconcile.backoff import next_ask
from reconcile.outcomes import Outcome, Verdict, from_answer, from_error
from reconcile.pacing import CallPacer
from reconcile.run import STEP_SECONDS, Run

# Failures in a row (timeouts, 5xx) that end a run's asks: the vendor is having a bad time.
FAILURES_IN_A_ROW = 3
PAGE_SIZE = 50
HORIZON_REASON = "no final status by the horizon"
HORIZON_GRACE = timedelta(days=1)


class StatusApi(Protocol):
    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str: ...


def _day(instant: datetime) -> str:
    return instant.astimezone(UTC).date().isoformat()


def _days(first: str, last: str) -> list[str]:
    day, end = datetime.fromisoformat(first).date(), datetime.fromisoformat(last).date()
    days = []
    while day <= end:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


class Asking:
    def __init__(
        self,
        events: EventStore,
        watches: WatchStore,
        status_api: StatusApi,
        pacer: CallPacer,
        *,
        owner: str,
        vendor_timeout_seconds: float,
        concurrency: int = 1,
    ) -> None:
        self._events = events
        self._watches = watches
        self._status_api = status_api
        self._pacer = pacer
        self._owner = owner
        self._vendor_timeout = vendor_timeout_seconds
        self._concurrency = concurrency
        # Shared by the asks side by side: failures in a row, and whether to stop.
        self._lock = threading.Lock()
        self._failures_in_a_row = 0
        self._stopping = threading.Event()

    def run(self, run: Run, state: SweepState) -> SweepState:
        """Handle the due watches, oldest due day first; the state with ``asks_from`` moved."""
        # The vendor's pause is real time, whatever instant the run is as of.
        if state.paused_until and run.wall < state.paused_until:
            run.summary.stopped_early = "the vendor's rate limit (Retry-After)"
            run.summary.paused_until = state.paused_until.isoformat()
            return state
        today = _day(run.now)
        asks_from = min(state.asks_from or today, today)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="ask") as pool:
            for day in _days(asks_from, today):
                drained = self._day(run, day, pool)
                if not drained:
                    break
                if day < today and asks_from == day:
                    # Nothing due is left on a past day, and nothing can become due there.
                    asks_from = _days(day, today)[1]
        return state._replace(asks_from=asks_from)

    def _day(self, run: Run, day: str, pool: ThreadPoolExecutor) -> bool:
        """Every shard of one due day until nothing is due; False if the run must stop."""
        for shard in range(keys.WRITE_SHARDS):
            start: str | None = None
            while True:
                if self._stopping.is_set() or not run.asking_may_go_on():
                    return False
                page = self._watches.due_page(day, shard, now=run.now, limit=PAGE_SIZE, start=start)
                if not page.ids:
                    break
                handled = self._handle_all(run, self._watches.get_many(page.ids), pool)
                if handled:
                    # What was handled left the due range: the front of it is read again.
                    start = None
                elif page.next:
                    # The index is behind the items (it is eventually consistent): what it
                    # lists here is no longer due. Read on past it, so that a page of such
                    # entries cannot hide the due watches behind it.
                    start = page.next
                else:
                    break
        return not self._stopping.is_set()

    def _handle_all(self, run: Run, watches: list[Watch], pool: ThreadPoolExecutor) -> int:
        """The page's watches side by side; how many were handled. A failure (a table
        fault, the lease lost) stops the others from starting and is raised."""
        futures = [pool.submit(self._handle_or_stop, run, watch) for watch in watches]
        handled, first_error = 0, None
        for future in futures:
            try:
                handled += future.result()
            except Exception as error:
                first_error = first_error or error
        if first_error is not None:
            raise first_error
        return handled

    def _handle_or_stop(self, run: Run, watch: Watch) -> int:
        try:
            return self._handle(run, watch)
        except Exception:
            self._stopping.set()
            raise

    def _stop(self, run: Run, reason: str) -> None:
        run.stop(reason)
        self._stopping.set()

    def _handle(self, run: Run, watch: Watch) -> int:
        if watch.state is not WatchState.WATCHING or watch.due_at > run.now:
            return 0
        if self._stopping.is_set() or not run.take_ask():
            return 0
        run.count(checked=1)
        events = self._events.event_summaries(watch.transid)
        if any(is_final_event(event) for event in events):
            run.count(settled_meanwhile=1)
            self._watches.finish(
                watch, WatchState.FINAL, attempts=watch.attempts, note="a final event arrived"
            )
            return 1
        if run.now >= watch.horizon_at and watch.stopped:
            self._close_at_horizon(run, watch, events)
            return 1
        if run.now >= watch.horizon_at + HORIZON_GRACE:
            # The vendor failed the horizon's last ask for a whole day: closed all the same.
            self._close_at_horizon(run, watch, events, note="the status API was unavailable")
            return 1
        if watch.stopped:
            # 7601: not asked again; it waits for the horizon.
            self._watches.reschedule(
                watch,
                due_at=max(watch.horizon_at, run.now),
                attempts=watch.attempts,
                note=watch.note,
                stopped=True,
            )
            run.count(still_open=1)
            return 1
        if not self._ask(run, watch, events):
            # Stopped before the call could start: the watch stays due, and is not counted
            # against the per-run bound.
            run.release_ask()
            return 0
        return 1

    def _ask(self, run: Run, watch: Watch, events: list[EventSummary]) -> int:
        """Ask about the watch; 1, or 0 when the run stopped before the call could start
        (the watch stays due as it was)."""
        self._pacer.wait()
        if self._stopping.is_set():
            return 0
        if not run.deadline.allows(STEP_SECONDS):
            # Side by side, a call may wait for its slot of the pace for seconds: one that
            # would start too late to be answered is not made (nor counted as a failure).
            self._stop(run, "the run's time (asks)")
            return 0
        run.count(vendor_calls=1)
        try:
            text = self._status_api.fetch_status(
                watch.transid, within_seconds=min(self._vendor_timeout, run.deadline.remaining())
            )
            outcome = from_answer(watch.transid, text)
        except VendorError as error:
            outcome = from_error(error)
        except NotAPathSegmentError:
            # "." or ".." cannot be asked about: the path would name another resource.
            outcome = Outcome(Verdict.NOT_OURS, note="not a transaction id the API can be asked")
        except ValueError:
            outcome = Outcome(Verdict.FAILED, note="status API: an answer that is not JSON")
        asks = watch.attempts + 1
        # The horizon's ask is the last: whatever it hears but a final status closes the watch.
        last = run.now >= watch.horizon_at
        if outcome.verdict is Verdict.FAILED:
            run.count(vendor_failures=1, still_open=1)
            # Not an ask that counts towards the backoff: tried again a quiet time later (the
            # horizon's last ask too: it waits for the vendor, up to HORIZON_GRACE), so one
            # transaction the vendor keeps failing on cannot hold the run.
            retry_at = run.now + run.policy.after
            self._watches.reschedule(
                watch,
                due_at=retry_at if last else min(retry_at, watch.horizon_at),
                attempts=watch.attempts,
                note=outcome.note,
            )
            with self._lock:
                self._failures_in_a_row += 1
                failing = self._failures_in_a_row >= FAILURES_IN_A_ROW
            if failing:
                self._stop(run, f"{FAILURES_IN_A_ROW} vendor failures in a row")
            return 1
        with self._lock:
            self._failures_in_a_row = 0
        if outcome.verdict is Verdict.SLOW_DOWN:
            until = run.wall + timedelta(seconds=outcome.retry_after_seconds or 0)
            with self._lock:
                # Stored under the lock, so that the longest pause heard is the one written last.
                if run.paused_until(until):
                    self._watches.pause_until(self._owner, until)
            self._stop(run, "the vendor's rate limit (7302)")
            return 1
        if outcome.verdict is Verdict.NOT_OURS and last:
            self._close_at_horizon(run, watch, events, note=outcome.note)
            return 1
        if outcome.verdict is Verdict.NOT_OURS:
            run.count(stopped=1, still_open=1)
            self._watches.reschedule(
                watch,
                due_at=max(watch.horizon_at, run.now),
                attempts=asks,
                note=outcome.note,
                stopped=True,
            )
            return 1
        if outcome.verdict is Verdict.ANSWERED and outcome.transaction is not None:
            told = self._record(run, watch, events, outcome.transaction)
            # The event as it is read (as a callback would be: a failure code without a
            # status is a failure), not the vendor's status word alone.
            if is_final_event(told):
                run.count(reconciled=1)
                self._watches.finish(watch, WatchState.RECONCILED, attempts=asks, note=outcome.note)
                return 1
        if last:
            self._close_at_horizon(run, watch, events, note=outcome.note, attempts=asks)
            return 1
        run.count(still_open=1)
        self._watches.reschedule(
            watch,
            due_at=next_ask(asks, now=run.now, after=run.policy.after, horizon_at=watch.horizon_at),
            attempts=asks,
            note=outcome.note,
        )
        return 1

    def _record(
        self,
        run: Run,
        watch: Watch,
        events: list[EventSummary],
        transaction: dict[str, Any],
    ) -> DeliveryEvent:
        """The answer as an event; stored when it is further along than what is stored."""
        known = _known(events)
        event = status_api_event(
            watch.transid,
            transaction,
            destination=known.destination,
            correlationid=known.correlationid,
        )
        stored_rank = max((event_rank(stored) for stored in events), default=-1)
        if event_rank(event) > stored_rank:
            self._events.put_event(event, received_at=run.now)
            if event.status.is_final and event.is_failure:
                run.count(failures_found=1)
        return event

    def _close_at_horizon(
        self,
        run: Run,
        watch: Watch,
        events: list[EventSummary],
        *,
        note: str = "",
        attempts: int | None = None,
    ) -> None:
        known = _known(events)
        event = horizon_event(
            watch.transid,
            closed_at=run.now,
            horizon_hours=run.policy.horizon.total_seconds() / 3600,
            reason="; ".join(part for part in (HORIZON_REASON, note or watch.note) if part),
            channel=known.channel,
            destination=known.destination,
            correlationid=known.correlationid,
        )
        self._events.put_event(event, received_at=run.now, alert=run.policy.alert_on_no_receipt)
        run.count(closed_at_horizon=1)
        self._watches.finish(
            watch,
            WatchState.CLOSED,
            attempts=watch.attempts if attempts is None else attempts,
            note="closed at the horizon",
        )


class _Known(NamedTuple):
    channel: str
    destination: str
    correlationid: str


def _known(events: list[EventSummary]) -> _Known:
    """What the stored events say of the transaction (the newest saying it wins)."""
    newest_first = sorted(events, key=lambda event: event.received_at, reverse=True)
    return _Known(
        channel=next((e.channel.value for e in newest_first if e.channel.value != "unknown"), ""),
        destination=next((e.destination for e in newest_first if e.destination), ""),
        correlationid=next((e.correlationid for e in newest_first if e.correlationid), ""),
    )
