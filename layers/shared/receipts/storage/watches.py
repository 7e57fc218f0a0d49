"""Watched transactions and the reconcile sweep's own state, in the events table.

A watch is one item per transaction the sweep keeps asking the status API about (it found
the transaction quiet without a final status, or a client registered its id): when it is
next due, how many times it was asked, when the horizon closes it, and how it ended. While
it is being watched it sits in the sparse ``open`` index under the day it is next due,
sorted by the due time, so a sweep reads only what is due; a watch that ended leaves the
index (its item stays, until the retention's TTL, as the record of what happened).

The sweep's state is an item per run that must not overlap itself: each part of discovery
keeps its lease and where it is in the arrival buckets; the asks keep theirs, the earliest
due day still to read, and until when the vendor asked them to hold back (``Retry-After``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from receipts.storage import keys
from receipts.storage.event_store import (
    IndexPage,
    _call,
    _n,
    _s,
    batch_get,
    if_condition_holds,
    index_page,
    put_if_absent,
)
from receipts.timestamps import isoformat_millis

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

AttributeMap = dict[str, Any]


class WatchSource(StrEnum):
    SWEEP = "sweep"  # found quiet in the open index
    REGISTERED = "registered"  # posted to POST /v1/reconcile


class WatchState(StrEnum):
    WATCHING = "watching"
    RECONCILED = "reconciled"  # the status API told a final status
    FINAL = "final"  # a final event was stored meanwhile (a late callback)
    CLOSED = "closed"  # closed at the horizon, "no final receipt"


class Watch(NamedTuple):
    transid: str
    source: WatchSource
    state: WatchState
    first_seen: datetime
    horizon_at: datetime
    due_at: datetime
    attempts: int
    # What the last ask heard, or why the sweep stopped asking (7601): for an operator.
    note: str
    # True once the vendor said the transaction is not ours to ask about (7601): no more
    # asks, but the horizon still closes it.
    stopped: bool


class SweepState(NamedTuple):
    """The sweep's position: the next arrival bucket, the shard in it, the page in it."""

    bucket: str | None
    shard: int
    page: str | None
    paused_until: datetime | None
    # The earliest due day that may still hold a watch due: the asks read from here to
    # today, so a watch is found however long the sweep was stopped.
    asks_from: str | None = None


def _names(*expressions: str) -> dict[str, str]:
    """``#name`` placeholders for every attribute the expressions name (none is then a
    reserved word, and DynamoDB refuses names an expression does not use)."""
    return {
        token: token[1:]
        for expression in expressions
        for token in re.findall(r"#[A-Za-z_]+", expression)
    }


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _due_attributes(transid: str, due_at: datetime) -> AttributeMap:
    return {
        "due_at": _s(isoformat_millis(due_at)),
        "open_key": _s(
            keys.due_key(due_at.astimezone(UTC).date().isoformat(), keys.shard_of(transid))
        ),
        keys.INDEX_SORT_ATTRIBUTE: _s(keys.index_sort_key(due_at, transid)),
    }


def watch_from_item(item: AttributeMap) -> Watch:
    return Watch(
        transid=item[keys.PARTITION_KEY]["S"].removeprefix("WATCH#"),
        source=WatchSource(item["source"]["S"]),
        state=WatchState(item["state"]["S"]),
        first_seen=_instant(item["first_seen"]["S"]),
        horizon_at=_instant(item["horizon_at"]["S"]),
        due_at=_instant(item["due_at"]["S"]),
        attempts=int(item["attempts"]["N"]),
        note=item.get("note", {}).get("S", ""),
        stopped=item.get("stopped", {}).get("BOOL", False),
    )


class WatchStore:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        retention: timedelta = timedelta(days=90),
    ) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention

    def _key(self, transid: str) -> AttributeMap:
        return {
            keys.PARTITION_KEY: _s(keys.watch_key(transid)),
            keys.SORT_KEY: _s(keys.WATCH_SORT_KEY),
        }

    # ---- watches ------------------------------------------------------------------------

    def watch(
        self,
        transid: str,
        *,
        source: WatchSource,
        first_seen: datetime,
        due_at: datetime,
        horizon_at: datetime,
    ) -> bool:
        """Start watching ``transid``; False when it is already watched (or was)."""
        item: AttributeMap = {
            **self._key(transid),
            "source": _s(source.value),
            "state": _s(WatchState.WATCHING.value),
            "first_seen": _s(isoformat_millis(first_seen)),
            "horizon_at": _s(isoformat_millis(horizon_at)),
            "attempts": _n(0),
            keys.TTL_ATTRIBUTE: _n(int((horizon_at + self._retention).timestamp())),
            **_due_attributes(transid, due_at),
        }
        return put_if_absent(self._client, self._table, item)

    def get(self, transid: str) -> Watch | None:
        answer = _call(
            self._client.get_item,
            TableName=self._table,
            Key=self._key(transid),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return watch_from_item(item) if item else None

    def due_page(
        self, day: str, shard: int, *, now: datetime, limit: int, start: str | None = None
    ) -> IndexPage:
        """Watched transids of one due day and shard due by ``now``, oldest first, a page."""
        return index_page(
            self._client,
            self._table,
            "open_key = :key AND #sort <= :now",
            {
                ":key": _s(keys.due_key(day, shard)),
                # Every transid sorts after "#" and before "~" at one instant.
                ":now": _s(f"{isoformat_millis(now)}#~"),
            },
            names={"#sort": keys.INDEX_SORT_ATTRIBUTE},
            prefix="WATCH#",
            limit=limit,
            start=start,
        )

    def get_many(self, transids: list[str]) -> list[Watch]:
        """The watches of ``transids`` (those that exist), in no particular order."""
        items = batch_get(
            self._client,
            self._table,
            [self._key(transid) for transid in dict.fromkeys(transids)],
            {"ConsistentRead": True},
            unread="part of the due watches",
        )
        return [watch_from_item(item) for item in items]

    def reschedule(
        self, watch: Watch, *, due_at: datetime, attempts: int, note: str, stopped: bool = False
    ) -> bool:
        """Ask again at ``due_at``; False when another run changed the watch meanwhile."""
        return self._update(
            watch,
            "SET #state = :watching, #attempts = :attempts, #note = :note, #stopped = :stopped, "
            "#due_at = :due_at, #open_key = :open_key, #match_sort = :match_sort",
            {
                ":watching": _s(WatchState.WATCHING.value),
                ":attempts": _n(attempts),
                ":note": _s(note),
                ":stopped": {"BOOL": stopped},
                **{
                    f":{name}": value
                    for name, value in _due_attributes(watch.transid, due_at).items()
                },
            },
        )

    def finish(self, watch: Watch, state: WatchState, *, attempts: int, note: str) -> bool:
        """End the watch: it leaves the index; the item stays as the record."""
        return self._update(
            watch,
            "SET #state = :state, #attempts = :attempts, #note = :note "
            "REMOVE #open_key, #match_sort",
            {":state": _s(state.value), ":attempts": _n(attempts), ":note": _s(note)},
        )

    def _update(self, watch: Watch, expression: str, values: AttributeMap) -> bool:
        # Guarded by the attempts seen: a run that read an older watch cannot overwrite it.
        updated = if_condition_holds(
            self._client.update_item,
            TableName=self._table,
            Key=self._key(watch.transid),
            UpdateExpression=expression,
            ConditionExpression="#attempts = :seen AND #state = :seen_state",
            ExpressionAttributeNames=_names(expression, "#attempts #state"),
            ExpressionAttributeValues={
                **values,
                ":seen": _n(watch.attempts),
                ":seen_state": _s(watch.state.value),
            },
        )
        return updated is not None

    # ---- the sweep's state --------------------------------------------------------------
    # One item per run that must not overlap itself: the asks' (``keys.ASKS_STATE``) and
    # each part of discovery's (``keys.discovery_state_key``).

    @staticmethod
    def _sweep_key(state_key: keys.StateKey) -> AttributeMap:
        partition, sort = state_key
        return {keys.PARTITION_KEY: _s(partition), keys.SORT_KEY: _s(sort)}

    def earliest_position(self) -> str | None:
        """The earliest arrival bucket any discovery state holds, or the one sweep held
        before discovery ran in parts: where a part with no position of its own starts, so
        that a change of parts (or the move to parts) skips no minute. None if none."""
        buckets: list[str] = []
        for partition in (keys.DISCOVERY_KEY, keys.SWEEP_KEY):
            answer = _call(
                self._client.query,
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(partition)},
                ProjectionExpression="#bucket",
                ExpressionAttributeNames={"#bucket": "bucket"},
            )
            buckets += [
                item["bucket"]["S"] for item in answer.get("Items", []) if item.get("bucket")
            ]
        found = [bucket for bucket in buckets if bucket]
        return min(found, key=keys.bucket_order) if found else None

    def acquire_lease(
        self,
        owner: str,
        *,
        now: datetime,
        until: datetime,
        state_key: keys.StateKey = keys.ASKS_STATE,
    ) -> SweepState | None:
        """Take a sweep state's lease until ``until``; None while another run holds it."""
        answer = if_condition_holds(
            self._client.update_item,
            TableName=self._table,
            Key=self._sweep_key(state_key),
            UpdateExpression="SET #lease_owner = :owner, #lease_until = :until",
            ConditionExpression="attribute_not_exists(#lease_until) OR #lease_until < :now",
            ExpressionAttributeNames=_names("#lease_owner #lease_until"),
            ExpressionAttributeValues={
                ":owner": _s(owner),
                ":until": _s(isoformat_millis(until)),
                ":now": _s(isoformat_millis(now)),
            },
            ReturnValues="ALL_NEW",
        )
        if answer is None:
            return None
        item = answer.get("Attributes", {})
        paused = item.get("paused_until", {}).get("S")
        return SweepState(
            bucket=item.get("bucket", {}).get("S") or None,
            shard=int(item.get("shard", {}).get("N", "0")),
            page=item.get("page", {}).get("S"),
            paused_until=_instant(paused) if paused else None,
            asks_from=item.get("asks_from", {}).get("S"),
        )

    def save_position(
        self, owner: str, state: SweepState, *, state_key: keys.StateKey = keys.ASKS_STATE
    ) -> None:
        """Record where a run got to (only while ``owner`` holds the lease): discovery's
        bucket, shard and page, or the asks' earliest due day; what a state has not, it
        leaves as it is."""
        values: AttributeMap = {":owner": _s(owner)}
        sets: list[str] = []
        removes: list[str] = []
        if state.bucket:
            sets += ["#bucket = :bucket", "#shard = :shard"]
            values |= {":bucket": _s(state.bucket), ":shard": _n(state.shard)}
            if state.page:
                sets.append("#page = :page")
                values[":page"] = _s(state.page)
            else:
                removes.append("#page")
        if state.asks_from:
            sets.append("#asks_from = :asks_from")
            values[":asks_from"] = _s(state.asks_from)
        if not sets:
            return
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        self._update_sweep(state_key, expression, values)

    def pause_until(
        self, owner: str, until: datetime, *, state_key: keys.StateKey = keys.ASKS_STATE
    ) -> None:
        self._update_sweep(
            state_key,
            "SET #paused_until = :until",
            {":owner": _s(owner), ":until": _s(isoformat_millis(until))},
        )

    def release_lease(self, owner: str, *, state_key: keys.StateKey = keys.ASKS_STATE) -> None:
        self._update_sweep(state_key, "REMOVE #lease_owner, #lease_until", {":owner": _s(owner)})

    def _update_sweep(
        self, state_key: keys.StateKey, expression: str, values: AttributeMap
    ) -> None:
        updated = if_condition_holds(
            self._client.update_item,
            TableName=self._table,
            Key=self._sweep_key(state_key),
            UpdateExpression=expression,
            ConditionExpression="#lease_owner = :owner",
            ExpressionAttributeNames=_names(expression, "#lease_owner"),
            ExpressionAttributeValues=values,
        )
        if updated is None:
            raise LeaseLostError("another run holds the sweep's lease")


class LeaseLostError(RuntimeError):
    """This run's lease ran out and another run took it: stop without writing more."""
