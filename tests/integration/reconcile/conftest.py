"""Fixtures of the reconcile sweep's tests."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.reconcile.reconcile_harness import Harness, ScriptedStatusApi

from receipts.storage import EventStore
from receipts.storage.watches import WatchStore


@pytest.fixture
def harness(dynamodb_client: Any, events_table: str) -> Harness:
    return Harness(
        events=EventStore(dynamodb_client, events_table),
        watches=WatchStore(dynamodb_client, events_table),
        vendor=ScriptedStatusApi(),
        client=dynamodb_client,
        table=events_table,
    )
