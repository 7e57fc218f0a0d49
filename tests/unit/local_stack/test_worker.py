"""The shared background-worker lifecycle: start, stop joins, a stuck thread is left."""

from __future__ import annotations

import logging
import threading

import pytest

from local_stack.worker import BackgroundWorker


class _LoopUntilStopped(BackgroundWorker):
    def __init__(self) -> None:
        super().__init__(thread_name="test-loop", stop_wait_seconds=5)
        self.started = threading.Event()

    def _run(self) -> None:
        self.started.set()
        self._stop.wait()


class _IgnoresStop(BackgroundWorker):
    """Stands in for a run that outlasts the stop wait; released by the test afterwards."""

    def __init__(self, *, warn_if_left_running: bool = True) -> None:
        super().__init__(
            thread_name="test-stuck",
            stop_wait_seconds=0.05,
            warn_if_left_running=warn_if_left_running,
        )
        self.started = threading.Event()
        self.release = threading.Event()

    def _run(self) -> None:
        self.started.set()
        self.release.wait(timeout=5)


def test_start_runs_a_named_daemon_thread_and_stop_joins_it() -> None:
    worker = _LoopUntilStopped()
    worker.start()
    assert worker.started.wait(timeout=5)
    thread = worker._thread
    assert thread is not None and thread.name == "test-loop" and thread.daemon

    worker.stop()

    assert not thread.is_alive()
    assert worker._thread is None
    worker.stop()  # a second stop is harmless


def test_signal_stop_lets_the_loop_end_before_stop_is_called() -> None:
    worker = _LoopUntilStopped()
    worker.start()
    assert worker.started.wait(timeout=5)
    thread = worker._thread
    assert thread is not None

    worker.signal_stop()
    thread.join(timeout=5)

    assert not thread.is_alive()
    worker.stop()


def test_a_thread_that_outlives_its_wait_is_warned_about_and_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = _IgnoresStop()
    worker.start()
    assert worker.started.wait(timeout=5)
    thread = worker._thread
    assert thread is not None

    with caplog.at_level(logging.WARNING, logger="local_stack.worker"):
        worker.stop()

    try:
        assert thread.is_alive()
        assert worker._thread is None
        assert "test-stuck is still running" in caplog.text
    finally:
        worker.release.set()
        thread.join(timeout=5)


def test_a_quiet_worker_is_left_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    worker = _IgnoresStop(warn_if_left_running=False)
    worker.start()
    assert worker.started.wait(timeout=5)
    thread = worker._thread
    assert thread is not None

    with caplog.at_level(logging.WARNING, logger="local_stack.worker"):
        worker.stop()

    try:
        assert thread.is_alive()
        assert caplog.records == []
    finally:
        worker.release.set()
        thread.join(timeout=5)
