"""The reconcile benchmark's figures come from the sweep's run, not from the script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from benchmarks import bench_reconcile
from benchmarks._moto_partitions import queries_read_one_partition
from benchmarks.bench_reconcile import PopulationSpec, measure, table_rows

from local_stack.template import table_definition
from receipts.storage import EventStore, keys

BURST = timedelta(minutes=2)


def test_transactions_that_settle_before_the_first_ask_cost_exactly_one_call_each() -> None:
    figures = measure(PopulationSpec(12, late_share=0.0, unknown_share=0.0, send_window=BURST))

    assert figures.reconciled == 12
    assert figures.calls_per_reconciled == 1.0
    assert figures.first_ask_share == 1.0
    assert figures.horizon_share == 0.0
    assert sum(figures.calls.values()) == 12
    # Discovery read each transaction's events once, and each ask read them again.
    assert figures.table.reads_by_target["transaction queries"] == 24
    assert table_rows(figures)[0][1].startswith("1.00 (100.0% of all reconciled")


def test_transactions_settling_hours_later_are_asked_along_the_backoff() -> None:
    figures = measure(PopulationSpec(6, late_share=1.0, unknown_share=0.0, send_window=BURST))

    assert figures.reconciled == 6
    assert figures.first_ask_share == 0.0  # the earliest settles 30 min after: after the first
    assert figures.calls_per_reconciled > 1.0
    assert figures.calls_per_reconciled == sum(figures.calls.values()) / 6
    assert figures.late_share_for_goal is not None


def test_transactions_the_vendor_never_knows_are_closed_at_the_horizon() -> None:
    figures = measure(PopulationSpec(3, late_share=0.0, unknown_share=1.0, send_window=BURST))

    assert figures.reconciled == 0 and figures.calls_per_reconciled == 0.0
    assert figures.horizon_share == 1.0
    calls = set(figures.calls.values())
    assert len(calls) == 1 and calls.pop() > 3  # each asked along the whole backoff
    assert figures.simulated >= timedelta(hours=72)


@pytest.mark.usefixtures("mocked_aws")
def test_the_moto_shortcut_answers_every_query_as_moto_does() -> None:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="shortcut", **table_definition())
    store = EventStore(client, "shortcut")
    received = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    population = bench_reconcile.plan_population(PopulationSpec(40, send_window=BURST))
    for quiet in population:
        from receipts.models.callback import parse_callback

        store.put_event(parse_callback(quiet.body), received_at=received)

    def answers() -> list[Any]:
        bucket = keys.arrival_bucket(received)
        pages = [store.open_page(bucket, shard, limit=3) for shard in range(keys.WRITE_SHARDS)]
        followed = [
            store.open_page(bucket, shard, start=page.next, limit=3)
            for shard, page in enumerate(pages)
            if page.next
        ]
        summaries = [store.event_summaries(quiet.transid) for quiet in population[:10]]
        return [pages, followed, summaries, store.event_summaries("no-such-transaction")]

    plain = answers()
    with queries_read_one_partition():
        shortened = answers()

    assert shortened == plain
    assert any(page.ids for page in plain[0])
