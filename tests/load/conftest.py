"""One local stack for the load and fault tests, started once in its own process.

Settings chosen for what these tests prove: storm control out of the way (every failure is
an alert of its own, to be counted), two tries before an alert record is dead-lettered, a
vendor answer that is not final never fresh (so a second look-up asks the vendor again and
a stale copy can be served when it fails), a pace slow enough that a message is still in
progress right after its send, quick platform retries, no random outcome or quirk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from benchmarks._stack_process import StackProcess, stack_process
from benchmarks.load_run import STACK_ARGUMENTS

from local_stack.client import StackClient, wait_until

PROOF_STACK_ARGUMENTS = [
    *STACK_ARGUMENTS,
    "--seed", "20240607",
    "--pace", "0.5",
    "--failure-rate", "0",
    "--read-rate", "0",
    "--duplicate-rate", "0",
    "--out-of-order-rate", "0",
    "--retry-interval", "0.3",
    "--retry-visibility", "1",
    "--param", "NonFinalCacheSeconds=0",
    "--function-log-level", "INFO",
]  # fmt: skip


@pytest.fixture(scope="session")
def proof_stack() -> Iterator[StackProcess]:
    with stack_process(PROOF_STACK_ARGUMENTS) as running:
        yield running


def _alerts_queue_idle(client: StackClient) -> bool:
    depth: dict[str, Any] = client.stats()["queues"]["AlertsQueue"]
    return depth == {"visible": 0, "in_flight": 0}


@pytest.fixture
def stack(proof_stack: StackProcess) -> Iterator[StackClient]:
    """The running stack; every test leaves it settled, with no fault left armed."""
    client: StackClient = proof_stack.client
    yield client
    client.clear_faults()
    client.wait_settled(timeout=60)
    wait_until(lambda: _alerts_queue_idle(client), timeout=60, interval=0.2)
