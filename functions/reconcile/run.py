"""One run's shared context: its clock, its limits and its counters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from receipts.deadline import Deadline
from reconcile.summary import RunSummary

# A table page or one vendor call should take well under this; none starts with less left.
STEP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SweepPolicy:
    after: timedelta
    horizon: timedelta
    # The asks' bounds and choices (discovery only reads and starts watches).
    max_per_run: int = 0
    alert_on_no_receipt: bool = True


@dataclass
class Run:
    # Asks, backoff and the horizon go by ``now``; which arrival buckets are over goes by
    # the wall clock, so a run as of a later instant (the local console rehearsing the
    # horizon) can never move the sweep past minutes that are still filling.
    now: datetime
    wall: datetime
    policy: SweepPolicy
    deadline: Deadline
    summary: RunSummary = field(default_factory=RunSummary)
    # Watches handled by the asks, against the per-run bound.
    asked: int = 0
    # The asks run side by side: their counting goes through ``count`` and ``take_ask``.
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def count(self, **increments: int) -> None:
        with self._lock:
            for counter, increment in increments.items():
                setattr(self.summary, counter, getattr(self.summary, counter) + increment)

    def stop(self, reason: str) -> None:
        """Record why the run stopped early; the first reason stands."""
        with self._lock:
            self._stopped(reason)

    def _stopped(self, reason: str) -> None:
        self.summary.stopped_early = self.summary.stopped_early or reason

    def paused_until(self, until: datetime) -> bool:
        """Note the vendor's pause as heard; True when it is the longest heard so far (asks
        side by side may each hear one)."""
        with self._lock:
            heard = self.summary.paused_until
            if heard is not None and datetime.fromisoformat(heard) >= until:
                return False
            self.summary.paused_until = until.isoformat()
            return True

    def take_ask(self) -> bool:
        """Count one more watch handled; False (nothing counted) when the run may not."""
        with self._lock:
            if not self._asking_may_go_on():
                return False
            self.asked += 1
            return True

    def release_ask(self) -> None:
        """Give back an ask taken but never made."""
        with self._lock:
            self.asked -= 1

    def discovery_may_go_on(self) -> bool:
        # Bounded by time, not by ``max_per_run``: discovery is reads only, and at the peak it
        # must keep up with every arrival minute; the asks, which call the vendor, are bounded.
        if not self.deadline.allows(STEP_SECONDS):
            self.stop("the run's time (discovery)")
            return False
        return True

    def asking_may_go_on(self) -> bool:
        with self._lock:
            return self._asking_may_go_on()

    def _asking_may_go_on(self) -> bool:
        if self.asked >= self.policy.max_per_run:
            self._stopped("the per-run bound (asks)")
            return False
        if not self.deadline.allows(STEP_SECONDS):
            self._stopped("the run's time (asks)")
            return False
        return True
