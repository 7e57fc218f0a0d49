"""A deadline shared by every call one invocation makes.

The function's timeout is a cliff: past it the platform kills the invocation with no
answer and no clean-up. The deadline sits a margin before it, so whatever is still slow
when it comes is given up and accounted for in time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Monotonic = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Deadline:
    expires_at: float
    monotonic: Monotonic = field(default=time.monotonic, compare=False)

    @classmethod
    def for_invocation(
        cls,
        context: object,
        *,
        margin_seconds: float,
        ceiling_seconds: float,
        monotonic: Monotonic = time.monotonic,
    ) -> Deadline:
        """The function's remaining time less ``margin_seconds``, at most ``ceiling_seconds``.

        A context without a clock (a test, a script) gets the ceiling.
        """
        budget = ceiling_seconds
        remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining_millis):
            budget = min(budget, remaining_millis() / 1000 - margin_seconds)
        return cls(monotonic() + max(0.0, budget), monotonic)

    @classmethod
    def unbounded(cls) -> Deadline:
        """No deadline: for callers outside an invocation (scripts, benchmarks)."""
        return cls(math.inf)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - self.monotonic())

    def allows(self, seconds: float) -> bool:
        """Whether something that may take ``seconds`` can still finish in time."""
        return self.remaining() >= seconds
