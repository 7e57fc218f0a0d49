"""The thread lifecycle the local stack's background workers share.

Each worker (schedule, SQS poller, alert sink, stream pipe) loops on its own daemon thread
until its ``_stop`` event is set. Stopping is split in two so the stack can signal every
worker first and then join them one by one: they all leave their long polls together
instead of one after another. A thread that outlives its wait is left to finish on its
own; being a daemon, it never keeps the process alive.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

LOGGER = logging.getLogger("local_stack.worker")


class BackgroundWorker(ABC):
    """Runs ``_run`` on a named daemon thread; ``_run`` returns once ``_stop`` is set.

    ``warn_if_left_running=False`` keeps a worker's shutdown quiet, as the queue and stream
    pollers' always was; the scheduler's run can take minutes, so it says it was left.
    """

    def __init__(
        self, *, thread_name: str, stop_wait_seconds: float, warn_if_left_running: bool = True
    ) -> None:
        self.thread_name = thread_name
        self.stop_wait_seconds = stop_wait_seconds
        self._warn_if_left_running = warn_if_left_running
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def _run(self) -> None:
        """The worker's loop; it must check ``_stop`` (or wait on it) between steps."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def signal_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        """Signal, then wait up to ``stop_wait_seconds`` for the thread; safe to repeat."""
        self.signal_stop()
        if self._thread is None:
            return
        self._thread.join(timeout=self.stop_wait_seconds)
        if self._thread.is_alive() and self._warn_if_left_running:
            LOGGER.warning("%s is still running; it finishes on its own", self.thread_name)
        self._thread = None
