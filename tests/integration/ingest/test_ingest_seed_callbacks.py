"""Every vendor sample through the real handler: stored once, then answered duplicate."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.integration.ingest.ingest_support import CALLBACK_EVENTS, Answer, http_event, signed

from ingest.dependencies import IngestDependencies
from receipts.storage import EventStore


def _table_items(dynamodb_client: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb_client.scan(TableName=table)["Items"])


@pytest.mark.parametrize("event_file", CALLBACK_EVENTS, ids=lambda path: Path(path).stem)
def test_every_seed_callback_is_stored_once_then_answered_duplicate(
    event_file: Path,
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    dynamodb_client: Any,
    events_table: str,
    received_at: datetime,
) -> None:
    # Given a vendor callback, signed as the console would
    event = signed(http_event(event_file.stem))
    body = event["body"].encode()
    transid = json.loads(body)["deliveryInfoNotification"]["transid"]

    # When it arrives, then again (a retry after a slow 200)
    first = invoke(event, dependencies)
    second = invoke(event, dependencies)

    # Then it is stored once, with its raw body, arrival time and trace id
    assert first.status == 200
    assert first.json == {"status": "accepted", "transid": transid}
    assert second.status == 200
    assert second.json == {"status": "duplicate", "transid": transid}
    stored = event_store.list_events(transid)
    assert len(stored) == 1
    assert stored[0].event.raw_body == body
    assert stored[0].received_at == received_at
    assert stored[0].gtrid == event["headers"]["x-wx-gtrid"]
    items = _table_items(dynamodb_client, events_table)
    assert len(items) == 1
    assert zlib.decompress(items[0]["raw"]["B"]) == body
    expected_expiry = int((received_at + timedelta(days=90)).timestamp())
    assert int(items[0]["expires_at"]["N"]) == expected_expiry


def test_a_callback_without_trace_header_is_stored_without_gtrid(
    invoke: Callable[..., Answer], dependencies: IngestDependencies, event_store: EventStore
) -> None:
    event = http_event("02-sms-delivered")
    del event["headers"]["x-wx-gtrid"]

    answer = invoke(signed(event), dependencies)

    assert answer.status == 200
    (stored,) = event_store.list_events("262895e4-2217-4eef-92ca-79fd0250c4a3")
    assert stored.gtrid is None


def test_stored_events_are_searchable_by_destination_and_correlation_id(
    invoke: Callable[..., Answer], dependencies: IngestDependencies, event_store: EventStore
) -> None:
    invoke(signed(http_event("01-sms-submitted")), dependencies)

    by_destination = event_store.search(destination="918886661353")
    by_correlation = event_store.search(correlationid="4eef-92ca-79fd0250c4a3-262895e4-2217")

    assert [match.transid for match in by_destination.matches] == [
        "262895e4-2217-4eef-92ca-79fd0250c4a3"
    ]
    assert [match.transid for match in by_correlation.matches] == [
        "262895e4-2217-4eef-92ca-79fd0250c4a3"
    ]
