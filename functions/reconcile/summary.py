"""What one run did: counted as it goes, answered by the handler, emitted as metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from receipts.storage import keys

# Counter -> the metric that reports it (the dashboard and the alarms name these).
METRIC_NAMES = {
    "checked": "TransactionsChecked",
    "watched": "TransactionsWatched",
    "reconciled": "TransactionsReconciled",
    "failures_found": "FailuresFound",
    "still_open": "StillOpen",
    "closed_at_horizon": "ClosedAtHorizon",
    "vendor_calls": "VendorCalls",
    "vendor_failures": "VendorFailures",
}
# Each kind of run emits its own counters: discovery's runs never call the vendor, and the
# asks never start a watch (they count the watches they look at as checked).
DISCOVERY_METRICS = ("checked", "watched")
ASKING_METRICS = tuple(counter for counter in METRIC_NAMES if counter != "watched")


@dataclass
class RunSummary:
    # In-progress transactions read from the arrival buckets, and watches looked at.
    checked: int = 0
    # New watches: transactions found quiet without a final status.
    watched: int = 0
    # Watches settled by a final status the status API told.
    reconciled: int = 0
    # ...of which failures (each raises one alert through the stream).
    failures_found: int = 0
    # Watches asked about or looked at that stay open for a later ask.
    still_open: int = 0
    closed_at_horizon: int = 0
    # Watches ended without a call: a final event was stored meanwhile.
    settled_meanwhile: int = 0
    # 7601: not under this service; no more asks, the horizon still closes it.
    stopped: int = 0
    vendor_calls: int = 0
    vendor_failures: int = 0
    buckets_done: int = 0
    # The bucket the sweep reads next (the run's position), for an operator.
    next_bucket: str | None = None
    # Why the run stopped early, if it did: the lease, the deadline, the per-run bound,
    # the vendor's rate limit or failures in a row. The next run resumes.
    stopped_early: str | None = None
    skipped: str | None = None
    paused_until: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def combined(discovery: list[RunSummary], asks: RunSummary) -> RunSummary:
    """One pass's summary from its runs: discovery's parts, then the asks. Counters add up;
    the asks' reasons and pause stand, else the first part's; the earliest next bucket."""
    runs = [*discovery, asks]
    total = RunSummary()
    for name, value in asdict(total).items():
        if isinstance(value, int):
            setattr(total, name, sum(getattr(run, name) for run in runs))
    buckets = [run.next_bucket for run in discovery if run.next_bucket]
    total.next_bucket = min(buckets, key=keys.bucket_order) if buckets else None
    for reason in ("stopped_early", "skipped", "paused_until"):
        given = [getattr(run, reason) for run in (asks, *discovery) if getattr(run, reason)]
        setattr(total, reason, given[0] if given else None)
    return total
