"""A bound on the sweep's calls per second, so it never eats the tenant's API quota.

The status API shares the tenant's rate limit with sending: the sweep spaces its calls
evenly rather than bursting, and a run makes them one after another.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CallPacer:
    def __init__(
        self,
        max_per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / max_per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_at: float | None = None

    def wait(self) -> None:
        """Return when the next call may be made, and count it as made."""
        now = self._monotonic()
        if self._next_at is not None and now < self._next_at:
            self._sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + self._interval
