"""Fixtures of the reports' tests: a population stored through the event store, its stream,
and the stream consumer fed from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from tests.fakes.lambda_context import FakeLambdaContext
from tests.integration.reports.population import population, store_all, stream_records

from receipts.aggregates.recount import recount_table, stored_counters
from receipts.aggregates.tally import AggregateKey, Counters
from receipts.storage import EventStore
from receipts.storage.aggregates import AggregateStore
from receipts.storage.suppressions import SuppressionStore
from receipts.suppressions.recount import recount_suppressions, stored_registers
from stream_consumer.handler import lambda_handler

TRANSACTIONS = 120
Records = list[dict[str, Any]]


@dataclass
class Feed:
    """The stream records of a stored population, and the consumer to feed them to."""

    client: Any
    table: str
    records: Records
    store: AggregateStore

    def consume(
        self, batch: Records, store: Any = None, *, suppressions: Any = None
    ) -> dict[str, Any]:
        """One invocation of the stream consumer on ``batch`` (with other stores, if given)."""
        event = {"Records": batch}
        context = FakeLambdaContext(function_name="stream-consumer")
        return lambda_handler(  # type: ignore[arg-type]
            event,
            context,
            store=store or self.store,
            suppressions=suppressions or SuppressionStore(self.client, self.table),
        )

    def consume_until_done(
        self, batch: Records, store: Any = None, *, suppressions: Any = None, most: int = 20
    ) -> int:
        """Deliver a batch as the event source does: again from the reported record on,
        until nothing is reported. How many deliveries it took."""
        for delivery in range(1, most + 1):
            failures = self.consume(batch, store, suppressions=suppressions)["batchItemFailures"]
            if not failures:
                return delivery
            failed = failures[0]["itemIdentifier"]
            if failed:
                batch = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(failed)]
        raise AssertionError(f"the batch was still failing after {most} deliveries")

    def assert_counters_exact(self) -> dict[AggregateKey, Counters]:
        """Every stored counter equals a recount of the stored events; the recount."""
        expected = recount_table(self.client, self.table)
        assert stored_counters(self.client, self.table) == expected
        return expected

    def assert_exact(self) -> dict[AggregateKey, Counters]:
        """The counters, and every suppression register, equal a recount of the stored
        events (both steps of the consumer ran); the counters' recount."""
        expected = self.assert_counters_exact()
        assert stored_registers(self.client, self.table) == recount_suppressions(
            self.client, self.table
        )
        return expected


@pytest.fixture
def feed(dynamodb_client: Any, events_table: str) -> Feed:
    # Events inserted once each, retries and all (a retried callback fails its conditional
    # put and leaves no record).
    store_all(EventStore(dynamodb_client, events_table), population(TRANSACTIONS))
    return Feed(
        client=dynamodb_client,
        table=events_table,
        records=stream_records(dynamodb_client, events_table),
        store=AggregateStore(dynamodb_client, events_table),
    )
