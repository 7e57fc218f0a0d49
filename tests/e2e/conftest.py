"""The local stack, started once per session in its own process, on free ports.

Its own process because the stack sets ``AWS_ENDPOINT_URL`` and the functions' settings
for the whole process it runs in, and the handlers cache their settings and clients: in
the test process they would collide with the unit and integration suites (and with the
autouse fixture that clears ``AWS_ENDPOINT_URL`` for every test). The tests talk to it
only over HTTP, like a user would, and free ports keep parallel runs apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks._stack_process import stack_process as start_stack
from tests.e2e.demo_run import DemoRun, run_demo

from local_stack.client import StackClient
from local_stack.state import shell_exports_file

# Deterministic where tests need it: no random failures (tests force outcomes per send),
# every quirk on every delivery unless a send turns it off, quick lifecycles and retries,
# two tries before an alert record is dead-lettered, and no storm digests: the session
# raises a few dozen failure alerts within minutes, and the tests count them one by one.
# Ports are picked free.
STACK_ARGUMENTS = [
    "--seed", "20240601",
    "--pace", "0.05",
    "--failure-rate", "0",
    "--read-rate", "0",
    "--duplicate-rate", "1",
    "--out-of-order-rate", "1",
    "--retry-interval", "0.3",
    "--retry-visibility", "1",
    "--param", "AlertMaxReceiveCount=2",
    "--param", "StormThreshold=1000",
    "--function-log-level", "INFO",
    # The reconcile tests drive passes from the console; the schedule still runs, less often
    # than the local 10 s, since each pass's queries scan the embedded AWS's table.
    "--reconcile-interval", "30",
]  # fmt: skip


@pytest.fixture(scope="session")
def stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackClient, Path]]:
    # The log keeps the access lines: what a failing test sent is in its tail. On leaving,
    # the stack must stop with status 0 and remove its state file and its shell exports, as
    # Ctrl-C on `make run` does.
    folder = tmp_path_factory.mktemp("local-stack")
    with start_stack(STACK_ARGUMENTS, folder=folder, quiet=False) as running:
        yield running.client, running.log_file
    assert not shell_exports_file(folder / "stack.json").exists(), "stack.env left behind"


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


@pytest.fixture
def stack_env_file(stack_process: tuple[StackClient, Path]) -> Path:
    """The shell exports the running stack wrote for the README's curl block.

    ``stack_process`` writes the state file, and so this file, beside its log.
    """
    return shell_exports_file(stack_process[1].parent / "stack.json")


@pytest.fixture(scope="session")
def demo_run(stack_process: tuple[StackClient, Path]) -> DemoRun:
    """``make demo`` once for the session: its report, its campaign and the console URL it
    ends with. The demo's test reads the report; the console's browser test opens the URL."""
    return run_demo(stack_process[0])
