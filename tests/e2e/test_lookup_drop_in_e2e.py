"""The drop-in over HTTP on the local stack, as existing client code calls it.

Requests go out with http.client and a hand-written request line, so that a `%2E%2E` in the
path reaches the stack exactly as a client sent it (no client-side normalisation).
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from local_stack.client import StackClient

STATUS_PREFIX = "/resources/v1/messaging/status/"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _raw_get(stack: StackClient, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(stack.state.api_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _status_requests(stack: StackClient) -> int:
    return int(stack.simulator_stats()["status_requests"])


@pytest.mark.parametrize(
    "raw_id", ["%2E%2E", "%2e%2E", "%2E", "%252E%252E", "a%2Fb", "%2E%2E%2Fx", ".."]
)
def test_an_id_that_could_change_the_vendor_path_is_400_and_never_sent(
    stack: StackClient, raw_id: str
) -> None:
    before = _status_requests(stack)

    status, body = _raw_get(stack, STATUS_PREFIX + raw_id, stack.lookup_headers())

    assert status == 400
    assert json.loads(body)["error"]["code"] == "invalid_transaction_id"
    assert _status_requests(stack) == before


def test_the_vendors_key_header_is_accepted_on_the_drop_in_path(stack: StackClient) -> None:
    status, body = _raw_get(stack, STATUS_PREFIX + UNKNOWN, {"key": stack.state.lookup_api_key})

    # Authenticated: the simulated vendor was asked and knows no such transaction.
    assert status == 404
    assert json.loads(body)["code"] == "7600"


def test_the_products_own_routes_keep_x_api_key(stack: StackClient) -> None:
    status, _ = _raw_get(stack, f"/v1/transactions/{UNKNOWN}", {"key": stack.state.lookup_api_key})

    assert status == 401


def test_the_key_in_the_path_is_served_and_never_logged(
    stack: StackClient, stack_log: Path
) -> None:
    key = stack.state.lookup_api_key
    wrong = "not-the-key-0123456789"
    # The start-up banner shows the local key on purpose; the requests' lines come after it.
    logged_before = len(stack_log.read_text(encoding="utf-8", errors="replace"))

    served, _ = _raw_get(stack, f"{STATUS_PREFIX}{key}/{UNKNOWN}", {})
    refused, _ = _raw_get(stack, f"{STATUS_PREFIX}{wrong}/{UNKNOWN}", {})
    stack.wait_settled()

    assert served == 404  # authenticated, and the vendor has no such transaction
    assert refused == 401
    log = stack_log.read_text(encoding="utf-8", errors="replace")[logged_before:]
    assert "/{key}/{transactionid}" in log  # the access line names the route, not the path
    assert key not in log
    assert wrong not in log
