"""The dashboard's delivery rate per channel and the stream reader's figures are what the
stream consumer really emits (name, namespace, dimensions), and count each move once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from tests.dashboard_metrics import NAMESPACE, MetricRef, emitted, missing, of_service
from tests.integration.reports.conftest import Feed
from tests.integration.reports.population import batches

from receipts.channels import Channel
from receipts.storage import StoreUnavailableError
from receipts.storage.aggregates import AggregateStore, StoredTally, TallyChange
from stream_consumer import telemetry


def _any_channel(metric: MetricRef) -> MetricRef:
    dimensions = {name: (None if name == "channel" else value) for name, value in metric.dimensions}
    return metric._replace(dimensions=frozenset(dimensions.items()))


@pytest.fixture
def dashboard_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry.metrics, "namespace", NAMESPACE)


@pytest.mark.usefixtures("dashboard_namespace")
def test_the_stream_consumer_emits_every_metric_the_dashboard_shows_of_it(
    feed: Feed, capsys: pytest.CaptureFixture[str]
) -> None:
    for batch in batches(feed.records, 100):
        feed.consume(batch)
    output = capsys.readouterr().out

    wanted = of_service("stream-consumer")
    assert wanted
    # The population has three of the channels; any channel stands for each.
    assert missing({_any_channel(metric) for metric in wanted}, output) == []
    channels = {
        dict(metric.dimensions)["channel"]
        for metric in emitted(output)
        if metric.name in {telemetry.TRANSACTIONS_COUNTED, telemetry.TRANSACTIONS_DELIVERED}
    }
    assert channels and channels <= {channel.value for channel in Channel}


@pytest.mark.usefixtures("dashboard_namespace")
def test_a_batch_delivered_again_adds_nothing_to_the_channel_figures(
    feed: Feed, capsys: pytest.CaptureFixture[str]
) -> None:
    for batch in batches(feed.records, 100):
        feed.consume(batch)
    first = capsys.readouterr().out
    for batch in batches(feed.records, 100):
        feed.consume(batch)
    again = capsys.readouterr().out

    # Every transaction counted once: as many as the recount's day counters hold.
    recount = feed.assert_exact()
    assert _counted(first) == sum(c.get("n", 0) for k, c in recount.items() if k.kind == "day")
    assert _counted(again) == 0


class ThrottledOnSecondWrite:
    """The first write lands, the second is throttled: the batch is left half applied."""

    def __init__(self, store: AggregateStore) -> None:
        self.store = store
        self.writes = 0

    def tallies(self, transids: Sequence[str]) -> dict[str, StoredTally]:
        return self.store.tallies(transids)

    def commit(self, changes: Sequence[TallyChange], moved: Any, now: Any) -> bool:
        self.writes += 1
        if self.writes == 2:
            raise StoreUnavailableError("throttled")
        return self.store.commit(changes, moved, now)


def _counted(output: str) -> int:
    return sum(
        int(json.loads(line)[telemetry.TRANSACTIONS_COUNTED][0])
        for line in output.splitlines()
        if telemetry.TRANSACTIONS_COUNTED in line and '"_aws"' in line
    )


@pytest.mark.usefixtures("dashboard_namespace")
def test_what_a_half_applied_batch_stored_is_counted_once_and_the_retry_the_rest(
    feed: Feed, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = feed.consume(feed.records, ThrottledOnSecondWrite(feed.store))
    (failure,) = answer["batchItemFailures"]
    first = capsys.readouterr().out
    rest = [
        r
        for r in feed.records
        if int(r["dynamodb"]["SequenceNumber"]) >= int(failure["itemIdentifier"])
    ]
    assert feed.consume(rest) == {"batchItemFailures": []}
    retried = capsys.readouterr().out

    recount = feed.assert_exact()
    assert _counted(first) > 0
    assert _counted(first) + _counted(retried) == sum(
        counters.get("n", 0) for key, counters in recount.items() if key.kind == "day"
    )
