"""The local stack in a child process on free loopback ports, for load runs and the tests.

A child process, as the end-to-end suite runs it: the stack sets ``AWS_ENDPOINT_URL`` and the
functions' settings for the whole process it runs in, and the senders of a load run should
not share a CPU-bound interpreter (and its lock) with the stack they measure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60
# Its pollers finish their current long poll and its functions their current call: under a
# loaded machine (the in-process suites run beside the stack suites) that took over 20 s.
STOP_TIMEOUT_SECONDS = 45

# Every port picked free, so parallel runs never collide.
BASE_ARGUMENTS = (
    "--port", "0",
    "--aws-port", "0",
    "--simulator-port", "0",
    "--console-port", "0",
)  # fmt: skip


class StackStartError(RuntimeError):
    """The stack did not start, or did not stop cleanly (its log's tail is in the message)."""


@dataclass(frozen=True)
class StackProcess:
    client: Any  # local_stack.client.StackClient
    log_file: Path
    pid: int

    def log_tail(self, characters: int = 5000) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-characters:]


def _child_environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join(
        str(REPO_ROOT / part) for part in ("local", "layers/shared", "functions")
    )
    return environment


@contextmanager
def stack_process(
    arguments: Sequence[str] = (), *, folder: Path | None = None, quiet: bool = True
) -> Iterator[StackProcess]:
    """Start ``python -m local_stack`` with ``arguments``; stop it with SIGTERM on exit.

    ``quiet`` leaves out the access log line per request (a load run would fill the log
    with them). On a clean exit from the ``with`` block, the stack must have stopped with
    status 0 and removed its state file, as Ctrl-C on ``make run`` does.
    """
    if str(REPO_ROOT / "local") not in sys.path:
        sys.path.insert(0, str(REPO_ROOT / "local"))
    from local_stack.client import StackClient
    from local_stack.state import read_state

    with tempfile.TemporaryDirectory(prefix="local-stack-") as temporary:
        base = folder or Path(temporary)
        state_file, log_file = base / "stack.json", base / "stack.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local_stack",
                    *BASE_ARGUMENTS,
                    *(["--quiet"] if quiet else []),
                    *arguments,
                    "--state-file",
                    str(state_file),
                ],
                cwd=REPO_ROOT,
                env=_child_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = StackProcess(client=None, log_file=log_file, pid=process.pid)
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not state_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise StackStartError(f"the local stack did not start:\n{running.log_tail()}")
                time.sleep(0.1)
            yield StackProcess(
                client=StackClient(read_state(state_file)), log_file=log_file, pid=process.pid
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise StackStartError(
                    "the local stack did not stop within its timeout on SIGTERM"
                ) from None
        if process.returncode != 0:
            raise StackStartError(
                f"the local stack exited with status {process.returncode}:\n{running.log_tail()}"
            )
        if state_file.exists():
            raise StackStartError("the local stack left its state file behind")
