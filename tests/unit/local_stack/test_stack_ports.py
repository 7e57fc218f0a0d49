"""The free-port check agrees with how the stack's servers bind (``SO_REUSEADDR``).

A quick restart of ``make run`` finds the previous run's connections in TIME_WAIT on the
documented ports; the servers bind there fine, so the check must not send them elsewhere.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from local_stack.stack import port_is_free
from simulator.http_server import LOOPBACK


def _plain_bind_fails(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def _port_left_in_time_wait() -> int:
    """A port whose only trace is a connection in TIME_WAIT: its server side closed first.

    The listener sets ``SO_REUSEADDR`` as the previous run's server did: Linux lets a
    TIME_WAIT connection be bound over only when its own socket had it too.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        client = socket.create_connection((LOOPBACK, port), timeout=5)
        accepted, _ = listener.accept()
        # The side that closes first is the one left in TIME_WAIT, on the listening port.
        accepted.close()
        client.recv(1)  # the server's FIN
        client.close()
    deadline = time.monotonic() + 5
    while not _plain_bind_fails(port):
        if time.monotonic() > deadline:
            pytest.skip("this system did not leave the connection in TIME_WAIT")
        time.sleep(0.01)
    return port


@contextmanager
def _live_listener(*, reuse_address: bool) -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        if reuse_address:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        yield int(listener.getsockname()[1])


def test_a_port_left_in_time_wait_by_a_previous_run_is_usable() -> None:
    port = _port_left_in_time_wait()

    assert port_is_free(LOOPBACK, port)


@pytest.mark.parametrize("reuse_address", [False, True], ids=["plain", "reuse-address"])
def test_a_port_held_by_a_live_listener_is_refused(reuse_address: bool) -> None:
    with _live_listener(reuse_address=reuse_address) as port:
        assert not port_is_free(LOOPBACK, port)


def test_port_zero_always_means_pick_a_free_one() -> None:
    assert port_is_free(LOOPBACK, 0)
