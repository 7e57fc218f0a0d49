"""The reports' counters recounted from the stored events: what the stream's counters must equal.

A full read of the table: for tests, checks and a rebuild after an outage longer than the
stream keeps records (24 hours), never on a request's path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from receipts.aggregates.tally import (
    CAMPAIGN,
    DAY,
    AggregateKey,
    Counters,
    TallyEvent,
    add_into,
    contribution,
    fold,
)
from receipts.storage import keys
from receipts.storage.aggregates import counters_from_item
from receipts.storage.event_store import event_of_item, scan_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any


def recount(events: Mapping[str, Iterable[TallyEvent]]) -> dict[AggregateKey, Counters]:
    """The counters that these transactions' events imply."""
    total: dict[AggregateKey, Counters] = {}
    for its_events in events.values():
        tally = fold(its_events)
        if tally is not None:
            add_into(total, contribution(tally))
    return total


def recount_table(client: DynamoDBClient, table: str) -> dict[AggregateKey, Counters]:
    """Recount from every event stored in the table."""
    events: dict[str, list[TallyEvent]] = {}
    for item in scan_items(client, table, prefix=keys.TRANSACTION_PREFIX):
        found = event_of_item(item)
        if found is not None:
            events.setdefault(found[0], []).append(found[1])
    return recount(events)


def stored_counters(client: DynamoDBClient, table: str) -> dict[AggregateKey, Counters]:
    """Every counter item in the table, its shards added up (zeros dropped)."""
    total: dict[AggregateKey, Counters] = {}
    for item in scan_items(client, table):
        partition, sort = item[keys.PARTITION_KEY]["S"], item[keys.SORT_KEY]["S"]
        word, _, name = partition.partition("#")
        word = word.split(".")[0]
        if word == keys.CAMPAIGN_WORD:
            key = AggregateKey(CAMPAIGN, name, keys.strip_prefix(sort))
        elif word == keys.DAILY_WORD:
            day, _, channel = sort.partition("#")
            key = AggregateKey(DAY, day, channel)
        else:
            continue
        add_into(total, {key: counters_from_item(item)})
    return total
