"""A bound on the sweep's calls per second, so it never eats the tenant's API quota.

The status API shares the tenant's rate limit with sending: the sweep spaces its calls
evenly rather than bursting, whether a run makes them one after another or side by side
(each caller takes the next free slot).
"""

from __future__ import annotations

import threading
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
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next call may be made, and count it as made."""
        with self._lock:
            now = self._monotonic()
            slot = now if self._next_at is None else max(now, self._next_at)
            self._next_at = slot + self._interval
        # Slept outside the lock: the next caller takes the slot after this one meanwhile.
        if slot > now:
            self._sleep(slot - now)
