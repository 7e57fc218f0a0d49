"""The local stack, started once per session in its own process, on free ports.

Its own process because the stack sets ``AWS_ENDPOINT_URL`` and the functions' settings
for the whole process it runs in, and the handlers cache their settings and clients: in
the test process they would collide with the unit and integration suites (and with the
autouse fixture that clears ``AWS_ENDPOINT_URL`` for every test). The tests talk to it
only over HTTP, like a user would, and free ports keep parallel runs apart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.client import StackClient
from local_stack.state import read_state

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20

# Deterministic where tests need it: no random failures (tests force outcomes per send),
# every quirk on every delivery unless a send turns it off, quick lifecycles and retries,
# and two tries before an alert record is dead-lettered.
STACK_ARGUMENTS = [
    "--port", "0",
    "--aws-port", "0",
    "--simulator-port", "0",
    "--console-port", "0",
    "--seed", "20240601",
    "--pace", "0.05",
    "--failure-rate", "0",
    "--read-rate", "0",
    "--duplicate-rate", "1",
    "--out-of-order-rate", "1",
    "--retry-interval", "0.3",
    "--retry-visibility", "1",
    "--param", "AlertMaxReceiveCount=2",
    "--function-log-level", "INFO",
]  # fmt: skip


def _child_environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    environment["PYTHONPATH"] = str(REPO_ROOT / "local")
    return environment


@pytest.fixture(scope="session")
def stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackClient, Path]]:
    folder = tmp_path_factory.mktemp("local-stack")
    state_file, log_file = folder / "stack.json", folder / "stack.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_stack",
                *STACK_ARGUMENTS,
                "--state-file",
                str(state_file),
            ],
            cwd=REPO_ROOT,
            env=_child_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the local stack did not start:\n{log_file.read_text()[-5000:]}")
            time.sleep(0.1)
        yield StackClient(read_state(state_file)), log_file
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("the local stack did not stop within its timeout on SIGTERM")
    assert process.returncode == 0, log_file.read_text()[-5000:]
    assert not state_file.exists(), "the stack left its state file behind"


@pytest.fixture
def stack(stack_process: tuple[StackClient, Path]) -> Iterator[StackClient]:
    """The running stack; every test leaves it settled, with no fault left armed."""
    client, _ = stack_process
    yield client
    client.clear_faults()
    client.wait_settled(timeout=30)


@pytest.fixture
def stack_log(stack_process: tuple[StackClient, Path]) -> Path:
    return stack_process[1]
