"""The console's POST /reconcile: one pass now, its summary back; and the counters it shows."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.alert_sink import AlertLog
from local_stack.console import ReconcileRunner, ReconcileUnavailableError, serve_console
from local_stack.http_api import FaultInjector

SUMMARY = {"checked": 3, "asked": 2, "reconciled": 1}
STATS = {"schedules": {"ReconcileFunction": {"runs": 4, "failures": 1}}}


class Runner:
    """A fake of the stack's run_reconcile: records the details, answers or raises."""

    def __init__(self, answer: Any = SUMMARY, error: Exception | None = None) -> None:
        self.details: list[dict[str, Any]] = []
        self._answer = answer
        self._error = error

    def __call__(self, detail: dict[str, Any]) -> Any:
        self.details.append(detail)
        if self._error is not None:
            raise self._error
        return self._answer


@pytest.fixture
def console() -> Iterator[Any]:
    servers = []

    def start(run_reconcile: ReconcileRunner | None) -> str:
        server = serve_console(
            AlertLog(echo=False),
            FaultInjector(),
            lambda: STATS,
            0,
            "127.0.0.1",
            run_reconcile=run_reconcile,
        )
        servers.append(server)
        return str(server.url)

    yield start
    for server in servers:
        server.stop()


def _request(url: str, method: str = "POST", body: bytes = b"") -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # nosec B310: loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_pass_runs_now_and_answers_the_handlers_summary(console: Any) -> None:
    runner = Runner()
    url = console(runner)

    status, answer = _request(f"{url}/reconcile")

    assert (status, answer) == (200, SUMMARY)
    assert runner.details == [{}]


@pytest.mark.parametrize("at", ["2026-12-03T10:00:00Z", "2026-12-03T11:00:00.250+01:00"])
def test_the_asked_instant_reaches_the_handler_as_detail_at(console: Any, at: str) -> None:
    runner = Runner()
    url = console(runner)

    status, _ = _request(f"{url}/reconcile", body=json.dumps({"at": at}).encode())

    assert status == 200
    assert runner.details == [{"at": at}]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b'["at"]',
        b'{"at": "yesterday"}',
        b'{"at": "2026-12-03T10:00:00"}',  # a local time: no single instant
        b'{"at": 1764756000}',
        b'{"at": "2026-12-03T10:00:00Z", "dry_run": true}',
    ],
)
def test_a_body_that_is_not_a_json_object_with_an_instant_is_a_400(
    console: Any, body: bytes
) -> None:
    runner = Runner()
    url = console(runner)

    status, answer = _request(f"{url}/reconcile", body=body)

    assert status == 400
    assert answer["message"].startswith("bad reconcile request")
    assert runner.details == []


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ReconcileUnavailableError("this stack has no reconcile function"), "no reconcile"),
        (RuntimeError("table unavailable"), "RuntimeError: table unavailable"),
    ],
)
def test_no_function_or_a_handler_that_raises_is_a_503(
    console: Any, error: Exception, message: str
) -> None:
    url = console(Runner(error=error))

    status, answer = _request(f"{url}/reconcile")

    assert status == 503
    assert message in answer["message"]


def test_a_console_without_a_reconcile_runner_is_a_503(console: Any) -> None:
    status, answer = _request(f"{console(None)}/reconcile")

    assert status == 503
    assert "no reconcile function" in answer["message"]


def test_the_stats_show_the_schedules_counters(console: Any) -> None:
    status, answer = _request(f"{console(Runner())}/stats", method="GET")

    assert (status, answer) == (200, STATS)
