"""The operations dashboard's ingest metrics are the ones the real handler emits.

The dashboard names metrics by string: a metric renamed in the code would leave its graph
empty without any error. So the handler is driven through each outcome the dashboard graphs
and every ingest metric it names must be among the EMF lines printed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.dashboard_metrics import NAMESPACE, MetricRef, missing, of_service
from tests.integration.ingest.ingest_support import Answer, http_event, signed

from ingest.dependencies import IngestDependencies
from ingest.observability import metrics


@pytest.fixture
def dashboard_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The namespace the dashboard names (STAGE "test"), not the suite's own.

    Powertools keeps the namespace its ``Metrics`` read at import (or the one an earlier test
    filled in), so the object is set too; monkeypatch restores both."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setattr(metrics, "namespace", NAMESPACE)


@pytest.fixture
def printed_by_every_outcome(
    dashboard_namespace: None,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """What the handler printed while accepting, deduplicating, quarantining and refusing."""
    callback = signed(http_event("04-sms-failed"))
    not_json = signed(dict(http_event("04-sms-failed"), body="{broken"))
    wrong_secret = signed(http_event("02-sms-delivered"), secret="not-the-callback-secret")
    capsys.readouterr()  # only what these four calls print

    # The statuses prove each outcome happened, so a missing metric is the code's doing.
    assert invoke(callback, dependencies).json["status"] == "accepted"
    assert invoke(callback, dependencies).json["status"] == "duplicate"
    assert invoke(not_json, dependencies).status == 400
    assert invoke(wrong_secret, dependencies).status == 401
    return capsys.readouterr().out


def test_the_dashboard_names_ingest_metrics() -> None:
    # Otherwise the next test would pass by checking nothing.
    assert of_service("ingest") != []


def test_every_ingest_metric_on_the_dashboard_is_emitted(printed_by_every_outcome: str) -> None:
    assert missing(of_service("ingest"), printed_by_every_outcome) == []


def test_a_renamed_metric_would_be_reported_missing(printed_by_every_outcome: str) -> None:
    renamed = MetricRef(NAMESPACE, "CallbacksAcceptedTypo", frozenset({("service", "ingest")}))
    in_another_namespace = MetricRef(
        "imiconnect-receipts-tests", "CallbacksAccepted", frozenset({("service", "ingest")})
    )

    assert missing([renamed, in_another_namespace], printed_by_every_outcome) == [
        renamed,
        in_another_namespace,
    ]
