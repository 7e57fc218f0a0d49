"""Fixtures for the alerts function's unit tests: the service with in-memory collaborators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.unit.alerts.doubles import FakeClock, RecordingScheduler, RecordingTarget
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger

from alerts.service import AlertRules, AlertService, StormControl
from alerts.settings import DEFAULT_ALERT_STATUSES

LOOKUP_BASE_URL = "https://lookup.example.test"


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools reads the namespace when the module is imported, before the test's
    environment exists; in Lambda the template sets it before any import."""
    from alerts.observability import metrics

    monkeypatch.setattr(metrics.provider, "namespace", "imiconnect-receipts-tests")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger() -> InMemoryAlertLedger:
    return InMemoryAlertLedger()


@pytest.fixture
def scheduler() -> RecordingScheduler:
    return RecordingScheduler()


@pytest.fixture
def sns() -> RecordingTarget:
    return RecordingTarget("sns")


@pytest.fixture
def slack() -> RecordingTarget:
    return RecordingTarget("slack")


@pytest.fixture
def make_service(
    clock: FakeClock,
    ledger: InMemoryAlertLedger,
    scheduler: RecordingScheduler,
    sns: RecordingTarget,
    slack: RecordingTarget,
) -> Callable[..., AlertService]:
    def build(**overrides: Any) -> AlertService:
        options: dict[str, Any] = {
            "ledger": ledger,
            "scheduler": scheduler,
            "targets": lambda: [sns, slack],
            "rules": AlertRules(DEFAULT_ALERT_STATUSES),
            "storm": StormControl(threshold=3, window_seconds=300),
            "lookup_base_url": LOOKUP_BASE_URL,
            "clock": clock,
        }
        options.update(overrides)
        return AlertService(**options)

    return build
