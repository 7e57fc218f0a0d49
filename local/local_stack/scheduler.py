"""EventBridge schedules, emulated: invoke a function with a scheduled event at its rate.

One worker thread per ``Schedule`` event of the template. Runs follow a fixed grid from
the start (the first one interval after it), as a rate rule fires; a run still going when
its next tick comes makes that tick be skipped, never run alongside it (deployed, each
schedule's runs have their reserved executions, which throttle an overlapping run the same
way). A schedule's constant ``Input`` is the event, as EventBridge gives it; without one,
the scheduled event. A handler that raises is logged and counted; the next tick runs as
usual.

The console's "run now" goes through the same worker (``run_now``), so a manual run and a
scheduled one never overlap either.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from local_stack.functions import ScheduleTrigger
from local_stack.lambda_runtime import HandlerUnavailableError, LocalFunction
from local_stack.worker import BackgroundWorker

LOGGER = logging.getLogger("local_stack.scheduler")

# How long stop() waits for a run in progress; a longer one finishes on its own (daemon).
STOP_WAIT_SECONDS = 10.0
CONSOLE_SOURCE = "local.console"
CONSOLE_DETAIL_TYPE = "Manual reconcile"


def _event_time(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(
    *, rule_arn: str, region: str, account_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """The event an EventBridge rate rule gives its Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": _event_time(now or datetime.now(UTC)),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def console_event(
    detail: Mapping[str, Any], *, region: str, account_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """A run asked for on the console, shaped like an EventBridge event; ``detail`` as given
    (``{"at": "<instant>"}`` runs the sweep as of that instant)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": CONSOLE_DETAIL_TYPE,
        "source": CONSOLE_SOURCE,
        "account": account_id,
        "time": _event_time(now or datetime.now(UTC)),
        "region": region,
        "resources": [],
        "detail": dict(detail),
    }


EventFactory = Callable[[], dict[str, Any]]


class ScheduleWorker(BackgroundWorker):
    """Invokes one function at one schedule's interval until stopped."""

    def __init__(
        self,
        trigger: ScheduleTrigger,
        function: LocalFunction,
        event_factory: EventFactory,
        *,
        interval_seconds: float | None = None,
    ) -> None:
        self.trigger = trigger
        self.interval_seconds = (
            interval_seconds if interval_seconds is not None else trigger.interval_seconds
        )
        if self.interval_seconds <= 0:
            raise ValueError(f"schedule interval must be positive, not {self.interval_seconds}")
        super().__init__(
            thread_name=f"schedule-{function.spec.logical_id}-{trigger.name or 'schedule'}",
            stop_wait_seconds=STOP_WAIT_SECONDS,
        )
        self._function = function
        self._event_factory = event_factory
        # Held for the whole of a run, scheduled or manual: never two at once.
        self._running = threading.Lock()
        self.runs = 0
        self.failures = 0
        self.skipped = 0
        self.manual_runs = 0
        self.last_summary: Any = None
        self.last_error: str | None = None
        self.last_run_at: str | None = None

    # ---- runs ---------------------------------------------------------------------------

    def _run(self) -> None:
        started = time.monotonic()
        tick = 1
        while not self._stop.wait(self._until(started + tick * self.interval_seconds)):
            self._scheduled_run()
            # Ticks that passed during the run are dropped, as a throttled rule target's are.
            elapsed_ticks = math.floor((time.monotonic() - started) / self.interval_seconds)
            if elapsed_ticks > tick:
                self.skipped += elapsed_ticks - tick
            tick = max(tick, elapsed_ticks) + 1

    @staticmethod
    def _until(deadline: float) -> float:
        return max(0.0, deadline - time.monotonic())

    def _scheduled_run(self) -> None:
        self.runs += 1
        try:
            self._invoke(self._event_factory())
        except HandlerUnavailableError as error:
            self.failures += 1
            self.last_error = str(error)
            LOGGER.error("%s", error)
        except Exception as error:
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"
            LOGGER.error(
                "%s raised; the next scheduled run goes ahead:\n%s",
                self.trigger.function,
                traceback.format_exc(),
            )

    def run_now(self, event: dict[str, Any]) -> Any:
        """One run outside the schedule (after any run in progress); exceptions propagate."""
        self.manual_runs += 1
        try:
            return self._invoke(event)
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"
            raise

    def _invoke(self, event: dict[str, Any]) -> Any:
        with self._running:
            self.last_run_at = _event_time(datetime.now(UTC))
            result = self._function.invoke(event).result
            self.last_summary = result
            self.last_error = None
            return result

    def snapshot(self) -> dict[str, Any]:
        return {
            "function": self.trigger.function,
            "expression": self.trigger.expression,
            "interval_seconds": self.interval_seconds,
            "runs": self.runs,
            "failures": self.failures,
            "skipped": self.skipped,
            "manual_runs": self.manual_runs,
            "last_run_at": self.last_run_at,
            "last_error": self.last_error,
            "last_summary": self.last_summary,
        }
