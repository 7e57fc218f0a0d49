"""The sweep's runs: take a lease, do bounded work, save the position, let go.

Two kinds of run, each its own function on the same schedule: discovery, in parts side by
side (each part a share of the write shards), finds transactions gone quiet and watches
them; the asks, one run at a time, call the status API about the watches that are due.

No run overlaps another of its kind: a lease per state item in the table (the asks' one,
each part's own; taken with a conditional write, released at the end, lapsing on its own if
a run dies) makes sure of it, beside the functions' reserved concurrency (one for the asks;
four, shared, for discovery's parts). Each run does bounded work and saves where it
stopped, so the next one goes on from there.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from receipts.deadline import Deadline
from receipts.storage import keys
from receipts.storage.event_store import EventStore
from receipts.storage.watches import LeaseLostError, SweepState, WatchStore
from reconcile.asking import Asking, StatusApi
from reconcile.discovery import FIRST_RUN_LOOKBACK, Discovery, part_shards
from reconcile.pacing import CallPacer
from reconcile.run import Run, SweepPolicy
from reconcile.summary import RunSummary

# Longer than any run (the functions' timeout is 300 s): a dead run's lease lapses by itself.
LEASE = timedelta(minutes=10)

# The work of one leased run: given the run, its owner and its stored state, the state to save.
LeasedWork = Callable[[Run, str, SweepState], SweepState]


class _LeasedRuns:
    """What both kinds of run share: the lease around the work, the clocks, the summary."""

    def __init__(
        self,
        watches: WatchStore,
        policy: SweepPolicy,
        wall_clock: Callable[[], datetime],
        owner: Callable[[], str],
    ) -> None:
        self._watches = watches
        self._policy = policy
        self._wall_clock = wall_clock
        self._owner = owner

    def _leased(
        self, state_key: keys.StateKey, deadline: Deadline, now: datetime | None, work: LeasedWork
    ) -> RunSummary:
        """Run ``work`` as of ``now`` (the wall clock unless given: the local stack's tests
        move it to reach the horizon) while holding ``state_key``'s lease, which always
        follows the wall clock."""
        owner = self._owner()
        wall = self._wall_clock()
        state = self._watches.acquire_lease(
            owner, now=wall, until=wall + LEASE, state_key=state_key
        )
        if state is None:
            return RunSummary(skipped="another run holds the lease")
        run = Run(now=now or wall, wall=wall, policy=self._policy, deadline=deadline)
        try:
            state = work(run, owner, state)
            self._watches.save_position(owner, state, state_key=state_key)
        except LeaseLostError:
            run.summary.stopped_early = "the lease ran out"
        finally:
            # Whatever ended the run (a table fault too): the next run must not wait for the
            # lease to lapse. A lease already lost is another run's to release.
            with contextlib.suppress(LeaseLostError):
                self._watches.release_lease(owner, state_key=state_key)
        return run.summary


class DiscoverySweep(_LeasedRuns):
    """Discovery's runs, one part of the write shards each."""

    def __init__(
        self,
        *,
        events: EventStore,
        watches: WatchStore,
        policy: SweepPolicy,
        wall_clock: Callable[[], datetime],
        owner: Callable[[], str] = lambda: uuid.uuid4().hex,
        first_run_lookback: timedelta = FIRST_RUN_LOOKBACK,
    ) -> None:
        super().__init__(watches, policy, wall_clock, owner)
        self._events = events
        self._first_run_lookback = first_run_lookback

    def run(
        self, deadline: Deadline, *, part: int, parts: int, now: datetime | None = None
    ) -> RunSummary:
        shards = part_shards(part, parts)
        state_key = keys.discovery_state_key(part, parts)

        def discover(run: Run, owner: str, state: SweepState) -> SweepState:
            return Discovery(
                self._events,
                self._watches,
                owner,
                shards=shards,
                state_key=state_key,
                first_run_lookback=self._first_run_lookback,
            ).run(run, state)

        return self._leased(state_key, deadline, now, discover)


class AskingSweep(_LeasedRuns):
    """The asks' runs: every due watch, one status-API call each, paced."""

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
        concurrency: int = 1,
    ) -> None:
        super().__init__(watches, policy, wall_clock, owner)
        self._events = events
        self._status_api = status_api
        self._pacer = pacer
        self._vendor_timeout = vendor_timeout_seconds
        self._concurrency = concurrency

    def run(self, deadline: Deadline, *, now: datetime | None = None) -> RunSummary:
        def ask(run: Run, owner: str, state: SweepState) -> SweepState:
            asked = Asking(
                self._events,
                self._watches,
                self._status_api,
                self._pacer,
                owner=owner,
                vendor_timeout_seconds=self._vendor_timeout,
                concurrency=self._concurrency,
            ).run(run, state)
            # The asks keep only the earliest due day (the pause is saved when it is heard).
            return SweepState(None, 0, None, None, asks_from=asked.asks_from)

        return self._leased(keys.ASKS_STATE, deadline, now, ask)
