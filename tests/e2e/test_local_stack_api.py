"""The programmatic API: ``LocalStack(...)`` in this process, with handlers of the test's
own, starts on free ports, routes by the template, and stops without leaving anything."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from local_stack.client import request, wait_until
from local_stack.stack import LocalStack, StackOptions
from local_stack.state import shell_exports_file
from simulator.campaign import send_request
from simulator.config import SimulatorConfig
from simulator.engine import OUTCOME_HEADER, QUIRKS_HEADER

pytestmark = pytest.mark.e2e


def test_a_stack_with_its_own_handlers_runs_and_stops_cleanly(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    alert_batches: list[dict[str, Any]] = []

    def ingest(event: dict[str, Any], context: Any) -> dict[str, Any]:
        received.append(event)
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"}

    def alerts(event: dict[str, Any], context: Any) -> dict[str, Any]:
        alert_batches.append(event)
        return {"batchItemFailures": []}

    threads_before = {thread.name for thread in threading.enumerate()}
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    state_file = tmp_path / "stack.json"
    options = StackOptions(
        api_port=0,
        aws_port=0,
        simulator_port=0,
        console_port=0,
        state_file=state_file,
        simulator=SimulatorConfig(pace=0.05, seed=3),
        handlers={"IngestFunction": ingest, "AlertsFunction": alerts},
        access_log=False,
    )

    with LocalStack(options) as stack:
        state = stack.state
        assert state is not None
        assert state_file.exists()
        assert shell_exports_file(state_file).exists()
        assert os.environ["AWS_ENDPOINT_URL"] == state.aws_endpoint_url
        answer = request(
            "POST",
            f"{state.simulator_url}/resources/v1/messaging",
            body=__import__("json").dumps(send_request("sms")).encode(),
            headers={
                "key": state.vendor_service_key,
                OUTCOME_HEADER: "delivered",
                QUIRKS_HEADER: "none",
            },
        )
        assert answer.status == 200
        wait_until(lambda: len(received) >= 2, timeout=10)

    event = received[0]
    assert event["routeKey"] == "POST /callbacks"
    assert event["headers"]["x-hub-signature"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert alert_batches == []
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
    assert not state_file.exists()
    assert not shell_exports_file(state_file).exists()
    leftover = {thread.name for thread in threading.enumerate()} - threads_before
    assert not {name for name in leftover if not name.startswith("Thread-")}, leftover
    assert not [
        thread for thread in threading.enumerate() if thread.name in leftover and not thread.daemon
    ]


def test_the_api_port_never_falls_back_to_another() -> None:
    import socket

    environment_before = dict(os.environ)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = StackOptions(
            api_port=port, aws_port=0, simulator_port=0, console_port=0, state_file=None
        )

        with pytest.raises(OSError, match="in use"):
            LocalStack(options).start()

    assert dict(os.environ) == environment_before
