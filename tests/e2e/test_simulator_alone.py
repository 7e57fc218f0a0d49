"""``python -m simulator`` on its own, in front of a webhook of the test's making."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.authentication import HubSignatureAuthenticator
from local_stack.client import request, wait_until
from receipts.models.callback import parse_callback
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER, QUIRKS_HEADER
from simulator.http_server import LoopbackServer, QuietHandler

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A webhook that fails its first ``failures`` posts, then records every callback."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.posts: list[tuple[bytes, dict[str, str]]] = []
        self.lock = threading.Lock()


def _receiver_server(receiver: Receiver) -> LoopbackServer:
    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.read_body() or b""
            with receiver.lock:
                failing = receiver.failures > 0
                receiver.failures -= 1
                if not failing:
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.posts.append((body, headers))
            self.send_json(503 if failing else 200, {})

    server = LoopbackServer(Handler)
    server.start()
    return server


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    webhook = Receiver(failures=2)
    server = _receiver_server(webhook)
    yield webhook, f"{server.url}/hook"
    server.stop()


def test_the_simulator_alone_posts_signed_callbacks_and_retries(
    receiver: tuple[Receiver, str],
) -> None:
    webhook, url = receiver
    arguments = ["--port", "0", "--webhook-url", url, "--service-key", "k1"]
    arguments += ["--hub-secret", "hub", "--signature-prefix", "--seed", "7"]
    arguments += ["--pace", "0.05", "--retry-interval", "0.2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "local")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        simulator_url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert simulator_url, banner
        base = simulator_url.group(0)

        sent = request(
            "POST",
            f"{base}/resources/v1/messaging",
            body=json.dumps(send_request("fb", 2)).encode(),
            headers={"key": "k1", OUTCOME_HEADER: "delivered", QUIRKS_HEADER: "none"},
        )
        stats: dict[str, Any] = wait_until(
            lambda: (s := request("GET", f"{base}/_simulator/stats").json())["pending"] == 0 and s,
            timeout=20,
        )
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)

    assert sent.status == 200
    assert process.returncode == 0, output
    transids = {entry["transid"] for entry in sent.json()["response"]}
    assert {parse_callback(body).transid for body, _ in webhook.posts} == transids
    assert len(webhook.posts) == 4
    assert (stats["retried"], stats["dropped"], stats["callbacks_delivered"]) == (2, 0, 4)
    authenticator = HubSignatureAuthenticator(lambda: ("hub",))
    for body, headers in webhook.posts:
        assert headers["x-hub-signature"].startswith("sha256=")
        authenticator.verify(body, headers)
