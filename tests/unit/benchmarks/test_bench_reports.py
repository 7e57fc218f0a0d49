"""The reports bench's helpers: the synthetic campaign, its shards, the table path, costs."""

from __future__ import annotations

import pytest
from benchmarks.bench_reports import (
    NOW,
    TABLE,
    check_table_path,
    p95_ms,
    store_counters,
    stream_batches,
    time_report,
)
from benchmarks.report_campaign import (
    CampaignSpec,
    campaign_messages,
    check_failure_codes,
    fold_campaign,
    recount_messages,
    stored_counter_items,
)

from local_stack.template import table_definition
from receipts.storage import keys


def test_the_failure_codes_are_failures_in_the_code_tables() -> None:
    check_failure_codes()


def test_the_shards_add_up_to_the_pure_fold() -> None:
    spec = CampaignSpec(300, seed=2)
    folded = fold_campaign(spec)

    assert folded.total == recount_messages(list(campaign_messages(spec)))
    assert len(folded.shards) == keys.AGGREGATE_SHARDS
    assert sum(counters["n"] for key, counters in folded.total.items() if key.kind == "day") == 300


def test_stream_batches_hold_every_event_once_in_arrival_order() -> None:
    messages = list(campaign_messages(CampaignSpec(50)))
    batches = stream_batches(messages, 40)
    events = sum(len(found) for _, found in messages)

    assert sum(len(found) for batch in batches for found in batch.values()) == events
    assert all(sum(len(found) for found in batch.values()) <= 40 for batch in batches)


def test_stored_items_carry_the_counters_on_their_shard() -> None:
    folded = fold_campaign(CampaignSpec(100))
    items = stored_counter_items(folded.shards, NOW)

    assert len(items) == sum(len(part) for part in folded.shards)
    # As stored: a day's counters expire, a campaign's do not.
    for item in items:
        is_day = item[keys.PARTITION_KEY]["S"].startswith(keys.DAILY_WORD)
        assert (keys.TTL_ATTRIBUTE in item) == is_day


def test_the_nearest_rank_p95() -> None:
    assert p95_ms([0.001 * n for n in range(1, 21)]) == pytest.approx(19.0)


@pytest.mark.usefixtures("mocked_aws")
def test_the_table_path_equals_the_pure_path() -> None:
    check = check_table_path(list(campaign_messages(CampaignSpec(60))), 50)

    assert check.equal, check.differences
    assert check.calls.transactions > 0 and check.calls.tally_reads >= 60


@pytest.mark.usefixtures("mocked_aws")
def test_a_report_reads_a_bounded_number_of_items_whatever_the_size() -> None:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName=TABLE, **table_definition())
    small = fold_campaign(CampaignSpec(400, correlationid="small"))
    large = fold_campaign(CampaignSpec(4000, correlationid="large"))
    store_counters(client, small.shards)
    store_counters(client, large.shards)

    small_report = time_report(client, "small", 400, 1)
    large_report = time_report(client, "large", 4000, 1)

    # At most an item per shard and channel: a small campaign may leave some shards out.
    assert small_report.items <= large_report.items <= keys.AGGREGATE_SHARDS * 5
    assert large_report.items > keys.AGGREGATE_SHARDS * 4
    assert large_report.transactions == 4000
    assert large_report.queries == keys.AGGREGATE_SHARDS
