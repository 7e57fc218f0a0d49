"""The reports' capacity arithmetic, and the stream's readers read from the template."""

from __future__ import annotations

import math

import pytest
from benchmarks.capacity import load_template
from benchmarks.capacity_reports import (
    ReportItemSizes,
    ReportsCapacity,
    busiest_of,
    channels_in_write,
    conflict_share,
    shared_item_chance,
)
from benchmarks.cost_model import (
    StreamConsumerProfile,
    load_prices,
    stream_consumer_cost_per_million_callbacks,
)
from benchmarks.stream_source import StreamSource

from receipts.aggregates.apply import MOST_TALLIES_PER_WRITE

SIZES = ReportItemSizes(
    campaign_counters={"sms": 700, "email": 700, "push": 700, "rtm": 700, "facebook": 700},
    day_counters={"sms": 700, "email": 700, "push": 700, "rtm": 700, "facebook": 700},
    tally=250,
)


def test_the_event_source_and_the_readers_come_from_the_template() -> None:
    source = StreamSource.from_template(load_template())

    assert source.batch_size == 1000 and source.window_seconds == 5
    assert source.parallelization == 2
    assert source.readers == ("AlertsPipe", "StreamConsumerFunctionTableStream")


def test_chances_of_channels_and_shared_shards() -> None:
    assert channels_in_write(1.0) == 1.0
    assert channels_in_write(0.5, tallies=2) == 0.75
    assert shared_item_chance(1, 16) == pytest.approx(1 / 16)
    assert conflict_share(100, 0.01, 100, 0.5) == pytest.approx(1 - math.exp(-1))
    assert conflict_share(100, 0.01, 0, 0.5) == 0.0  # nobody else in flight


def test_the_busiest_shard_is_at_least_the_mean() -> None:
    assert busiest_of(0.0, 16) == 0
    assert busiest_of(10.0, 16) >= 10


def test_full_batches_make_a_write_per_80_records() -> None:
    source = StreamSource(1000, 5.0, 2, 512, ("a", "b"))
    model = ReportsCapacity(source, SIZES, events_per_second=8000, table_units_per_second=4000)

    assert model.stream_shards == 4 and model.batches_in_flight == 8
    assert model.records_per_batch == 1000
    # 8 batches a second of 1,000 records, each 13 writes of up to 80 tallies.
    assert model.writes_per_second == pytest.approx(8 * math.ceil(1000 / MOST_TALLIES_PER_WRITE))
    # 2 WCU per update of a sub-KB item, spread over 16 shards.
    per_shard = sum(model.updates_per_second(c) for c in SIZES.campaign_counters) / 16 * 2
    assert model.key_units_per_second("campaign") == pytest.approx(per_shard)


def test_the_consumer_cost_is_its_units_and_its_invocations() -> None:
    prices = load_prices()
    lines = stream_consumer_cost_per_million_callbacks(
        StreamConsumerProfile(2.0, 1.0, 1000, 1000, 1024), prices
    )

    dynamodb = prices["dynamodb_on_demand"]
    assert lines["DynamoDB writes"] == pytest.approx(
        2 * dynamodb["per_million_write_request_units"]
    )
    assert lines["DynamoDB reads"] == pytest.approx(dynamodb["per_million_read_request_units"])
    # 1,000 invocations of 1 s at 1 GB.
    assert lines["Lambda duration"] == pytest.approx(1000 * prices["lambda_arm64"]["per_gb_second"])
    assert lines["total"] == pytest.approx(sum(v for k, v in lines.items() if k != "total"))
