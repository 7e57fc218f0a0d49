"""The reports' items in the events table: each transaction's tally, and sharded counters.

A tally changes only together with the counters it moves: one ``TransactWriteItems`` holds
the new tallies (each on the condition that the stored one is still the one read: its
version) and one ``ADD`` per counter item touched. Either all of it is stored or none, so
a batch read again, a retried function or two batches racing can never count a transaction
twice (``receipts.aggregates.tally`` explains why the counters stay exact).

Counters are write-sharded (``keys.AGGREGATE_SHARDS``): each write picks one shard at
random for the counter items it touches, since any shard may hold any part of a sum;
readers add up every shard. A counter can be negative in one shard (a transaction counted
in one shard and moved out of its status in another); the sums are what mean something, so
all the shards of a day expire at the same instant and a campaign's never do.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError

from receipts.aggregates.tally import (
    CAMPAIGN,
    AggregateKey,
    Counters,
    CurrentEvent,
    Tally,
    add_counters,
)
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage import keys
from receipts.storage.event_store import (
    StoreUnavailableError,
    _call,
    _n,
    _s,
    batch_get,
    side_by_side,
)
from receipts.timestamps import isoformat_millis

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

AttributeMap = dict[str, Any]

# TransactWriteItems takes at most 100 items.
MOST_ITEMS_PER_WRITE = 100
# Attributes of a counter item that are not counters.
_NOT_COUNTERS = frozenset({keys.PARTITION_KEY, keys.SORT_KEY, keys.TTL_ATTRIBUTE})
# Cancellation reasons that a retry after re-reading the tallies cures.
_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict", "None"})
# Reasons no retry cures: something in the write the table will never take (a key over
# 2 KB, an item over 400 KB). Any other reason (a throttle) may pass later.
_REFUSALS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


class UnstorableWriteError(ValueError):
    """The table refuses this write whatever the moment: retrying it as is cannot help."""


class StoredTally(NamedTuple):
    tally: Tally
    version: int


class TallyChange(NamedTuple):
    transid: str
    before: StoredTally | None
    after: Tally


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def tally_item(transid: str, tally: Tally, version: int, expires_at: int) -> AttributeMap:
    current = tally.current
    item: AttributeMap = {
        keys.PARTITION_KEY: _s(keys.tally_key(transid)),
        keys.SORT_KEY: _s(keys.TALLY_SORT_KEY),
        "v": _n(version),
        "first": _s(isoformat_millis(tally.first)),
        "channel": _s(tally.channel.value),
        "status": _s(current.status.value),
        "origin": _s(current.origin.value),
        "occurred": _s(isoformat_millis(current.occurred_at)),
        "rec": {"BOOL": tally.reconciled},
        keys.TTL_ATTRIBUTE: _n(expires_at),
    }
    if tally.campaign:
        item["campaign"] = _s(tally.campaign)
    if current.code is not None:
        item["code"] = _n(current.code)
    if tally.delivered_at is not None:
        item["delivered"] = _s(isoformat_millis(tally.delivered_at))
    if tally.read_at is not None:
        item["read"] = _s(isoformat_millis(tally.read_at))
    return item


def stored_tally_from_item(item: AttributeMap) -> StoredTally:
    code = item.get("code", {}).get("N")
    delivered = item.get("delivered", {}).get("S")
    read = item.get("read", {}).get("S")
    tally = Tally(
        first=_instant(item["first"]["S"]),
        channel=Channel(item["channel"]["S"]),
        campaign=item.get("campaign", {}).get("S", ""),
        current=CurrentEvent(
            status=DeliveryStatus(item["status"]["S"]),
            origin=EventOrigin(item["origin"]["S"]),
            occurred_at=_instant(item["occurred"]["S"]),
            code=int(code) if code is not None else None,
        ),
        delivered_at=_instant(delivered) if delivered else None,
        read_at=_instant(read) if read else None,
        reconciled=bool(item["rec"]["BOOL"]),
    )
    return StoredTally(tally, int(item["v"]["N"]))


def counters_from_item(item: AttributeMap) -> Counters:
    return {
        name: int(value["N"])
        for name, value in item.items()
        if name not in _NOT_COUNTERS and "N" in value
    }


def counters_item_key(key: AggregateKey, shard: int) -> AttributeMap:
    if key.kind == CAMPAIGN:
        partition = keys.campaign_counters_key(key.name, shard)
        sort = keys.campaign_counters_sort_key(key.channel)
    else:
        partition = keys.daily_counters_key(key.name[:7], shard)
        sort = keys.daily_counters_sort_key(key.name, key.channel)
    return {keys.PARTITION_KEY: _s(partition), keys.SORT_KEY: _s(sort)}


# A day's counters outlive its events' retention by the longest reconcile horizon (30 days),
# so a transaction closed late still finds its day's counters.
_DAY_COUNTERS_KEPT_BEYOND_RETENTION = timedelta(days=31)


def day_counters_expire_at(day: str, retention: timedelta) -> int:
    """When a day's counters expire: one instant for all of its shards and channels.

    The same for every write, so shards never expire one by one (a shard alone can hold a
    negative part of a sum). Campaign counters do not expire: a campaign has at most
    16 x 9 small items, and a report of an old campaign should not shrink.
    """
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    kept = timedelta(days=1) + retention + _DAY_COUNTERS_KEPT_BEYOND_RETENTION
    return int((start + kept).timestamp())


def _counters_update(
    table: str, key: AggregateKey, shard: int, counters: Counters, retention: timedelta
) -> AttributeMap:
    names: dict[str, str] = {}
    values: AttributeMap = {}
    additions = []
    for index, (name, value) in enumerate(sorted(counters.items())):
        names[f"#c{index}"] = name
        values[f":c{index}"] = _n(value)
        additions.append(f"#c{index} :c{index}")
    expression = "ADD " + ", ".join(additions)
    if key.kind != CAMPAIGN:
        names["#expires"] = keys.TTL_ATTRIBUTE
        values[":expires"] = _n(day_counters_expire_at(key.name, retention))
        expression = "SET #expires = :expires " + expression
    return {
        "Update": {
            "TableName": table,
            "Key": counters_item_key(key, shard),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _tally_put(table: str, change: TallyChange, expires_at: int) -> AttributeMap:
    before = change.before
    version = before.version + 1 if before else 1
    put: AttributeMap = {
        "TableName": table,
        "Item": tally_item(change.transid, change.after, version, expires_at),
    }
    if before is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "v = :read"
        put["ExpressionAttributeValues"] = {":read": _n(before.version)}
    return {"Put": put}


class AggregateStore:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        retention: timedelta = timedelta(days=90),
        pick_shard: Callable[[int], int] = random.randrange,
    ) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention
        self._pick_shard = pick_shard

    # ---- the stream consumer's side -----------------------------------------------------

    def tallies(self, transids: Iterable[str]) -> dict[str, StoredTally]:
        """The stored tallies of these transactions (strongly consistent: the version read
        is the one the next write is conditioned on)."""
        item_keys = [
            {
                keys.PARTITION_KEY: _s(keys.tally_key(transid)),
                keys.SORT_KEY: _s(keys.TALLY_SORT_KEY),
            }
            for transid in dict.fromkeys(transids)
        ]
        items = batch_get(
            self._client, self._table, item_keys, {"ConsistentRead": True}, unread="tallies"
        )
        return {
            item[keys.PARTITION_KEY]["S"].removeprefix(keys.TALLY_PREFIX): stored_tally_from_item(
                item
            )
            for item in items
        }

    def commit(
        self, changes: Sequence[TallyChange], moved: Mapping[AggregateKey, Counters], now: datetime
    ) -> bool:
        """Store the new tallies and move the counters, all or nothing.

        False when another write got there first (a tally is not the version read, or a
        concurrent transaction holds an item): re-read and try again. Raises
        :class:`StoreUnavailableError` when the table throttles or fails.
        """
        items = len(changes) + len(moved)
        if items > MOST_ITEMS_PER_WRITE:
            raise ValueError(f"{items} items: one write takes at most {MOST_ITEMS_PER_WRITE}")
        if not items:
            return True
        expires_at = int((now + self._retention).timestamp())
        writes = [_tally_put(self._table, change, expires_at) for change in changes]
        # One shard for every counter item of the write: two writes in flight then conflict
        # only when they picked the same shard (1 in 16), not when any of their ~10 counter
        # items did (nearly always, with a shard per item).
        shard = self._pick_shard(keys.AGGREGATE_SHARDS)
        writes.extend(
            _counters_update(self._table, key, shard, counters, self._retention)
            for key, counters in moved.items()
            if counters
        )
        try:
            _call(self._client.transact_write_items, TransactItems=writes)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ValidationException":
                raise UnstorableWriteError(str(error)) from error
            if code != "TransactionCanceledException":
                raise
            reasons = {
                reason.get("Code", "None")
                for reason in error.response.get("CancellationReasons", [])
            }
            if reasons <= _RACES:
                return False
            if reasons & _REFUSALS:
                raise UnstorableWriteError(
                    f"the table refused the write: {sorted(reasons)}"
                ) from error
            raise StoreUnavailableError(
                f"the reports' write was cancelled: {sorted(reasons)}"
            ) from error
        return True

    # ---- the reports' side -------------------------------------------------------------

    def _query_all(self, request: Mapping[str, Any]) -> list[AttributeMap]:
        items: list[AttributeMap] = []
        start: AttributeMap | None = None
        while True:
            page = dict(request)
            if start:
                page["ExclusiveStartKey"] = start
            answer = _call(self._client.query, TableName=self._table, **page)
            items.extend(answer.get("Items", []))
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

    def campaign_counters(self, correlationid: str) -> dict[str, Counters]:
        """A campaign's counters by channel, every shard added up."""

        def shard(number: int) -> Callable[[], list[AttributeMap]]:
            return lambda: self._query_all(
                {
                    "KeyConditionExpression": "pk = :pk",
                    "ExpressionAttributeValues": {
                        ":pk": _s(keys.campaign_counters_key(correlationid, number))
                    },
                }
            )

        reads = side_by_side([shard(number) for number in range(keys.AGGREGATE_SHARDS)])
        by_channel: dict[str, Counters] = {}
        for item in (item for items in reads for item in items):
            channel = keys.strip_prefix(item[keys.SORT_KEY]["S"])
            add_counters(by_channel.setdefault(channel, {}), counters_from_item(item))
        return by_channel

    def daily_counters(
        self, first: date, last: date, channel: str | None = None
    ) -> dict[tuple[str, str], Counters]:
        """The counters of each (day, channel) from ``first`` to ``last``, shards added up."""
        months = sorted(
            {
                (first + timedelta(days=offset)).isoformat()[:7]
                for offset in range((last - first).days + 1)
            }
        )
        low = keys.daily_counters_sort_key(first.isoformat(), "")
        # "~" sorts after every channel name: the last day's items are all inside.
        high = keys.daily_counters_sort_key(last.isoformat(), "~")

        def shard(month: str, number: int) -> Callable[[], list[AttributeMap]]:
            return lambda: self._query_all(
                {
                    "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
                    "ExpressionAttributeValues": {
                        ":pk": _s(keys.daily_counters_key(month, number)),
                        ":low": _s(low),
                        ":high": _s(high),
                    },
                }
            )

        reads = side_by_side(
            [shard(month, number) for month in months for number in range(keys.AGGREGATE_SHARDS)]
        )
        by_day: dict[tuple[str, str], Counters] = {}
        now = time.time()
        for item in (item for items in reads for item in items):
            # TTL deletes an expired item some time later: until then it is not there either.
            if int(item.get(keys.TTL_ATTRIBUTE, {}).get("N", now + 1)) <= now:
                continue
            day, _, item_channel = item[keys.SORT_KEY]["S"].partition("#")
            if channel is not None and item_channel != channel:
                continue
            add_counters(by_day.setdefault((day, item_channel), {}), counters_from_item(item))
        return by_day
