"""Fuzzing fixtures: the ingest handler in-process on the moto table, and a local stack.

The in-process fixtures drive the deployed entry point (decorators included) with injected
settings, table and secrets, as the integration suite does. The local stack runs in its
own process (as the end-to-end suite runs it) for what must cross real HTTP: the webhook's
bytes on the wire, and Schemathesis against the lookup API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from benchmarks._stack_process import StackProcess, stack_process
from tests.integration.ingest.ingest_support import (
    FIRST_SECRET,
    SECRET_REFERENCE,
    Answer,
    FakeLambdaContext,
)

from ingest.dependencies import IngestDependencies, table_store
from ingest.handler import lambda_handler
from ingest.settings import settings_from
from local_stack.client import StackClient
from receipts.storage import keys
from receipts.storage.event_store import QuarantinedBody, quarantined_from_item

MAX_CALLBACK_BYTES = 65536  # the template's default


@pytest.fixture
def received_at() -> datetime:
    return datetime.now(UTC).replace(microsecond=456000)


@pytest.fixture
def dependencies(
    dynamodb_client: Any, events_table: str, received_at: datetime
) -> IngestDependencies:
    settings = settings_from(
        {
            "EVENTS_TABLE_NAME": events_table,
            "CALLBACK_AUTH_MODE": "hub-signature",
            "CALLBACK_SECRET_REFERENCE": SECRET_REFERENCE,
            "RETENTION_DAYS": "90",
            "MAX_CALLBACK_BYTES": str(MAX_CALLBACK_BYTES),
        }
    )
    return IngestDependencies(
        settings=settings,
        store=table_store(dynamodb_client, settings),
        secrets=lambda: (FIRST_SECRET,),
        clock=lambda: received_at,
    )


@pytest.fixture
def invoke(dependencies: IngestDependencies) -> Callable[[dict[str, Any]], Answer]:
    """The deployed entry point; it must answer, whatever the event (no exception escapes)."""

    def call(event: dict[str, Any]) -> Answer:
        response = lambda_handler(event, FakeLambdaContext(), dependencies=dependencies)
        return Answer(
            status=response["statusCode"], headers=response["headers"], raw_body=response["body"]
        )

    return call


@pytest.fixture
def quarantined(
    dynamodb_client: Any, events_table: str, received_at: datetime
) -> Callable[[str], QuarantinedBody | None]:
    """The body kept for the request with this id, if any."""

    def find(request_id: str) -> QuarantinedBody | None:
        item = dynamodb_client.get_item(
            TableName=events_table,
            Key={
                "pk": {
                    "S": keys.quarantine_key(
                        received_at.date().isoformat(), keys.shard_of(request_id)
                    )
                },
                "sk": {"S": keys.quarantine_sort_key(received_at, request_id)},
            },
        ).get("Item")
        return quarantined_from_item(item) if item else None

    return find


# ---- the local stack ---------------------------------------------------------------------

# The reconcile sweep on the template's schedule (every 5 min): nothing here needs it, and
# every pass reads the whole table on the embedded AWS.
FUZZ_STACK_ARGUMENTS = [
    "--seed", "20240611",
    "--pace", "0.05",
    "--failure-rate", "0",
    "--reconcile-interval", "0",
]  # fmt: skip


@pytest.fixture(scope="session")
def fuzz_stack() -> Iterator[StackProcess]:
    with stack_process(FUZZ_STACK_ARGUMENTS) as running:
        yield running


@pytest.fixture(scope="session")
def client(fuzz_stack: StackProcess) -> StackClient:
    """The running local stack, as its HTTP client."""
    stack: StackClient = fuzz_stack.client
    return stack
