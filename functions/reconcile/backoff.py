"""When a watched transaction is asked about again: a backoff that grows, and the horizon.

A transaction is first asked about once it has been quiet for the quiet time
(``RECONCILE_AFTER_MINUTES``, 15 min by default). The pauses after that are multiples of the
quiet time: 1 h, 4 h, 12 h, 24 h, then every 48 h, and a last ask at the horizon before it is
closed: a handful of calls in all, and a local stack that waits 15 s asks on the same curve,
sixty times faster. No second ask a quarter of an hour after the first: what was not final
then rarely is 15 minutes later, and each early ask is paid by every late receipt.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# The pause after the n-th ask, in units of the quiet time: 1 h, 4 h, 12 h, 24 h, 48 h.
STEPS = (4, 16, 48, 96, 192)


def pause_after(asks: int, after: timedelta) -> timedelta:
    """The pause before the next ask, once ``asks`` asks have been made (``asks`` >= 1)."""
    return after * STEPS[min(max(asks, 1), len(STEPS)) - 1]


def next_ask(asks: int, *, now: datetime, after: timedelta, horizon_at: datetime) -> datetime:
    """When to ask next; never past the horizon, where the last ask comes before closing."""
    return min(now + pause_after(asks, after), max(horizon_at, now))
