"""tools/reindex_destinations.py: events stored before normalisation become findable again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools import reindex_destinations

from receipts.models.callback import parse_callback
from receipts.storage import EventStore, keys
from receipts.storage.event_store import CachedAnswer

CALLBACKS = Path(__file__).resolve().parents[3] / "events" / "callbacks"
RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _store_as_an_earlier_version_did(
    event_store: EventStore, dynamodb_client: Any, events_table: str, transid: str, raw: str
) -> None:
    """An event whose destination key holds the destination as the platform wrote it."""
    payload = json.loads((CALLBACKS / "01-sms-submitted.json").read_text(encoding="utf-8"))
    payload["deliveryInfoNotification"]["transid"] = transid
    payload["deliveryInfoNotification"]["deliveryInfo"]["destination"] = raw
    item = event_store.event_item(
        parse_callback(json.dumps(payload).encode()), received_at=RECEIVED, gtrid=None
    )
    item[keys.DESTINATION_KEY] = {"S": f"DEST#{raw}"}
    dynamodb_client.put_item(TableName=events_table, Item=item)


def test_old_destination_keys_are_rewritten_and_found_again(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    for transid, raw in [("old-1", "+91 888 666 1353"), ("old-2", "tel:+918886661353")]:
        _store_as_an_earlier_version_did(event_store, dynamodb_client, events_table, transid, raw)
    event_store.put_event(
        parse_callback((CALLBACKS / "02-sms-delivered.json").read_bytes()), received_at=RECEIVED
    )
    # Not an event: left alone.
    cached = CachedAnswer(body="[]", fetched_at=RECEIVED, final=False)
    event_store.put_cached_answer("old-1", cached, keep_for=timedelta(days=1))
    assert {m.transid for m in event_store.search(destination="918886661353").matches} == {
        "262895e4-2217-4eef-92ca-79fd0250c4a3"
    }

    dry = reindex_destinations.reindex(dynamodb_client, events_table, dry_run=True)
    assert (dry.events, dry.rekeyed) == (3, 2)
    assert len(event_store.search(destination="918886661353").matches) == 1  # nothing changed

    counts = reindex_destinations.reindex(dynamodb_client, events_table)
    again = reindex_destinations.reindex(dynamodb_client, events_table)

    assert (counts.events, counts.rekeyed, counts.changed_meanwhile) == (3, 2, 0)
    assert again.rekeyed == 0
    found = {m.transid for m in event_store.search(destination="+91 888-666-1353").matches}
    assert found == {"old-1", "old-2", "262895e4-2217-4eef-92ca-79fd0250c4a3"}
