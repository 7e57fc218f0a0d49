"""The handlers: one run per event, its summary answered and counted as metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from tests.dashboard_metrics import NAMESPACE, missing, of_service
from tests.fakes.lambda_context import FakeLambdaContext
from tests.integration.reconcile.reconcile_harness import (
    AFTER,
    T0,
    Harness,
    callback,
    vendor_answer,
)

from reconcile import discovery_handler, handler
from reconcile.run_request import InvalidRunRequestError
from reconcile.settings import get_discovery_settings, get_settings
from reconcile.telemetry import metrics

Context = partial(
    FakeLambdaContext,
    function_name="reconcile",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:reconcile",
    remaining_millis=300_000,
)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, events_table: str) -> Iterator[None]:
    monkeypatch.setenv("EVENTS_TABLE_NAME", events_table)
    monkeypatch.setenv("VENDOR_BASE_URL", "https://api.imiconnect.io")
    monkeypatch.setenv("VENDOR_SERVICE_KEY_REFERENCE", "ssm:/imiconnect-receipts/dev/vendor-key")
    get_settings.cache_clear()
    get_discovery_settings.cache_clear()
    yield
    get_settings.cache_clear()
    get_discovery_settings.cache_clear()


def _metrics(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]


def test_scheduled_events_run_discovery_by_part_then_the_asks_and_report_them(
    harness: Harness, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.store(callback("tx-handler", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-handler"] = [
        vendor_answer("tx-handler", "undelivered", error_code="7202")
    ]
    at = T0 + AFTER + timedelta(minutes=2)
    scheduled: dict[str, Any] = {
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "detail": {},
    }

    # Discovery's schedules give each part its constant input as the event
    parts = [
        discovery_handler.lambda_handler(
            {"part": part, "parts": 2},
            Context(),
            sweep=harness.discovery(at),
        )
        for part in range(2)
    ]
    assert sorted(part["watched"] for part in parts) == [0, 1]
    found = [metric for metric in _metrics(capsys) if metric["TransactionsWatched"] == [1.0]]
    assert len(found) == 1 and "VendorCalls" not in found[0]

    answer = handler.lambda_handler(scheduled, Context(), sweep=harness.asking(at))

    assert answer["reconciled"] == 1 and answer["failures_found"] == 1
    emitted = _metrics(capsys)
    values = {name: emitted[0][name] for name in ("TransactionsReconciled", "VendorCalls")}
    assert values == {"TransactionsReconciled": [1.0], "VendorCalls": [1.0]}
    assert "TransactionsWatched" not in emitted[0]
    assert metrics.namespace


def test_a_manual_run_with_a_bad_instant_is_refused_before_any_work(
    harness: Harness, environment: None
) -> None:
    with pytest.raises(InvalidRunRequestError):
        handler.lambda_handler({"detail": {"at": "soon"}}, Context(), sweep=harness.asking(T0))
    assert harness.watches.acquire_lease("someone", now=T0, until=T0 + AFTER) is not None


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"part": 0},
        {"part": "0", "parts": 4},
        {"part": True, "parts": 4},
        {"part": 4, "parts": 4},
        {"part": -1, "parts": 4},
        {"part": 0, "parts": 33},
    ],
)
def test_a_discovery_run_that_names_no_part_it_can_be_is_refused_before_any_work(
    harness: Harness, environment: None, event: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRunRequestError):
        discovery_handler.lambda_handler(event, Context(), sweep=harness.discovery(T0))
    assert harness.watches.get("tx-none") is None


def test_the_runs_emit_every_reconcile_metric_the_dashboard_shows(
    harness: Harness,
    environment: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "namespace", NAMESPACE)
    harness.store(callback("tx-dashboard", "Submitted", code="7501"), T0)
    harness.vendor.answers["tx-dashboard"] = [
        vendor_answer("tx-dashboard", "undelivered", error_code="7202")
    ]
    at = T0 + AFTER + timedelta(minutes=2)

    discovery_handler.lambda_handler(
        {"part": 0, "parts": 1}, Context(), sweep=harness.discovery(at)
    )  # type: ignore[arg-type]
    handler.lambda_handler({}, Context(), sweep=harness.asking(at))

    wanted = of_service("reconcile")
    assert wanted
    assert missing(wanted, capsys.readouterr().out) == []
