"""One run's shared context: its clock, its limits and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from receipts.deadline import Deadline
from reconcile.summary import RunSummary

# Kept for the asks: discovery stops once this share of the run's time is spent.
DISCOVERY_SHARE = 0.5
# A table page or one vendor call should take well under this; none starts with less left.
STEP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SweepPolicy:
    after: timedelta
    horizon: timedelta
    max_per_run: int
    alert_on_no_receipt: bool


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

    def __post_init__(self) -> None:
        self._budget = self.deadline.remaining()

    def discovery_may_go_on(self) -> bool:
        # Bounded by time, not by ``max_per_run``: discovery is reads only, and at the peak it
        # must keep up with every arrival minute; the asks, which call the vendor, are bounded.
        spent = self._budget - self.deadline.remaining()
        if spent > self._budget * DISCOVERY_SHARE or not self.deadline.allows(STEP_SECONDS):
            self.summary.stopped_early = "the run's time (discovery)"
            return False
        return True

    def asking_may_go_on(self) -> bool:
        if self.asked >= self.policy.max_per_run:
            self.summary.stopped_early = "the per-run bound (asks)"
            return False
        if not self.deadline.allows(STEP_SECONDS):
            self.summary.stopped_early = "the run's time (asks)"
            return False
        return True
