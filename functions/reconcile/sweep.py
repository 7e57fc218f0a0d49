"""One reconcile run: take the lease, discover, ask, save the position, let go.

Runs never overlap: the function's reserved concurrency is one, and a lease in the table
(taken with a conditional write, released at the end, expiring on its own if a run dies)
makes sure of it even so. Each run does bounded work and saves where it stopped, so the
next one goes on from there.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from receipts.deadline import Deadline
from receipts.storage.event_store import EventStore
from receipts.storage.watches import LeaseLostError, WatchStore
from reconcile.asking import Asking, StatusApi
from reconcile.discovery import FIRST_RUN_LOOKBACK, Discovery
from reconcile.pacing import CallPacer
from reconcile.run import Run, SweepPolicy
from reconcile.summary import RunSummary

# Longer than any run (the function's timeout is 300 s): a dead run's lease lapses by itself.
LEASE = timedelta(minutes=10)


class ReconcileSweep:
    def __init__(
        self,
        *,
        events: EventStore,
        watches: WatchStore,
        status_api: StatusApi,
        policy: SweepPolicy,
        pacer: CallPacer,
        vendor_timeout_seconds: float,
        wall_clock: Callable[[], datetime],
        owner: Callable[[], str] = lambda: uuid.uuid4().hex,
        first_run_lookback: timedelta = FIRST_RUN_LOOKBACK,
    ) -> None:
        self._events = events
        self._watches = watches
        self._status_api = status_api
        self._policy = policy
        self._pacer = pacer
        self._vendor_timeout = vendor_timeout_seconds
        self._wall_clock = wall_clock
        self._owner = owner
        self._first_run_lookback = first_run_lookback

    def run(self, deadline: Deadline, *, now: datetime | None = None) -> RunSummary:
        """One pass as of ``now`` (the wall clock unless given: the local stack's tests move
        it to reach the horizon). The lease always follows the wall clock."""
        owner = self._owner()
        wall = self._wall_clock()
        state = self._watches.acquire_lease(owner, now=wall, until=wall + LEASE)
        if state is None:
            return RunSummary(skipped="another run holds the lease")
        run = Run(now=now or wall, wall=wall, policy=self._policy, deadline=deadline)
        try:
            discovery = Discovery(
                self._events, self._watches, owner, first_run_lookback=self._first_run_lookback
            )
            state = discovery.run(run, state)
            state = Asking(
                self._events,
                self._watches,
                self._status_api,
                self._pacer,
                owner=owner,
                vendor_timeout_seconds=self._vendor_timeout,
            ).run(run, state)
            self._watches.save_position(owner, state)
        except LeaseLostError:
            run.summary.stopped_early = "the lease ran out"
        finally:
            # Whatever ended the run (a table fault too): the next run must not wait for the
            # lease to lapse. A lease already lost is another run's to release.
            with contextlib.suppress(LeaseLostError):
                self._watches.release_lease(owner)
        return run.summary
