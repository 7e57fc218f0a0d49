"""The dashboard's delivery rate per channel and the stream reader's figures are what the
stream consumer really emits (name, namespace, dimensions), and count each move once."""

from __future__ import annotations

import json

import pytest
from tests.dashboard_metrics import NAMESPACE, MetricRef, emitted, missing, of_service
from tests.integration.reports.conftest import Feed
from tests.integration.reports.population import batches

from receipts.channels import Channel
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

    def counted(output: str) -> int:
        total = 0
        for line in output.splitlines():
            if telemetry.TRANSACTIONS_COUNTED in line and '"_aws"' in line:
                total += int(json.loads(line)[telemetry.TRANSACTIONS_COUNTED][0])
        return total

    # Every transaction counted once: as many as the recount's day counters hold.
    recount = feed.assert_exact()
    assert counted(first) == sum(c.get("n", 0) for k, c in recount.items() if k.kind == "day")
    assert counted(again) == 0
