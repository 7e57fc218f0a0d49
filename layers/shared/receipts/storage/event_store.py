"""The events table: callbacks, cached status answers and quarantined bodies.

Uses the low-level DynamoDB client with hand-written attribute maps: it is the cheapest
path per call and keeps boto3's resource layer off the cold start. Keys that are split into
write shards (``receipts.storage.keys``) are read shard by shard, side by side, and merged.
"""

from __future__ import annotations

import base64
import heapq
import json
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.lifecycle import DeliveryStatus, EventOrigin, is_final_event
from receipts.models.callback import DeliveryEvent
from receipts.storage import keys
from receipts.storage.search_cursor import (
    After,
    InvalidCursorError,
    SearchIdentity,
    decode_cursor,
    encode_cursor,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

AttributeMap = dict[str, Any]
Result = TypeVar("Result")

__all__ = [
    "CachedAnswer",
    "EventStore",
    "EventSummary",
    "IndexPage",
    "InvalidCursorError",
    "QuarantineReplay",
    "QuarantinedBody",
    "SearchMatch",
    "SearchPage",
    "StoreUnavailableError",
    "StoredEvent",
    "event_of_item",
    "event_summary_from_item",
    "quarantined_from_item",
    "scan_items",
    "search_match_from_item",
    "side_by_side",
    "stored_description",
    "stored_event_from_item",
]

# Projected into the search indexes: enough to list matches without touching the table,
# but for the other search key (see EventStore._other_search_keys).
SEARCH_PROJECTION = ("channel", "status", "code", "classification")
# BatchGetItem takes at most 100 keys; a search page holds at most 100 events.
_BATCH_GET_LIMIT = 100
_BATCH_GET_ROUNDS = 4


# Value types are NamedTuples rather than dataclasses: immutable all the same, and several
# milliseconds cheaper to define on a cold start.


class StoreUnavailableError(RuntimeError):
    """The table could not be reached or throttled us: a retry may succeed."""


class StoredEvent(NamedTuple):
    event: DeliveryEvent
    received_at: datetime
    gtrid: str | None


class SearchMatch(NamedTuple):
    transid: str
    channel: Channel
    status: DeliveryStatus
    occurred_at: datetime
    code: int | None
    classification: Classification
    destination: str
    correlationid: str


class SearchPage(NamedTuple):
    matches: list[SearchMatch]
    next_cursor: str | None


class EventSummary(NamedTuple):
    """A stored event as the reconcile sweep sees it (``LifecycleEvent``): no body read."""

    status: DeliveryStatus
    origin: EventOrigin
    occurred_at: datetime
    received_at: datetime
    code: int | None
    channel: Channel
    destination: str
    correlationid: str
    raw_status: str = ""


class IndexPage(NamedTuple):
    """A page of the open index: the ids in its entries' leading keys, and where to go on
    (``next``: the page's LastEvaluatedKey as JSON, opaque to callers)."""

    ids: list[str]
    next: str | None


class CachedAnswer(NamedTuple):
    body: str
    fetched_at: datetime
    final: bool


class QuarantineReplay(NamedTuple):
    """One replay of a quarantined body: ``stored``, ``duplicate`` or ``refused`` (then with
    the reason of this release's refusal)."""

    at: datetime
    run: str
    outcome: str
    transid: str | None = None
    error_code: str | None = None
    reason: str | None = None
    field: str | None = None


_REPLAY_TEXTS = ("transid", "error_code", "reason", "field")


class QuarantinedBody(NamedTuple):
    day: str
    sort_key: str
    received_at: datetime
    reason: str
    error_code: str
    field: str | None
    headers: dict[str, str]
    body: bytes
    # The item's partition (its write shard's, or shard 0's for a body kept before sharding).
    partition: str = ""
    replays: tuple[QuarantineReplay, ...] = ()
    # Why the webhook first refused it, once a replay's refusal has replaced the reason.
    first_reason: str | None = None
    first_error_code: str | None = None

    @property
    def id(self) -> str:
        """What an operator names it by: the sort key (arrival instant and request id)."""
        return self.sort_key


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
    return (
        code
        in {
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
            "InternalServerError",
            "ServiceUnavailable",
            "TransactionConflictException",
        }
        or status >= 500
    )


def _call(operation: Callable[..., Any], *args: Any, **request: Any) -> Any:
    """Run one DynamoDB call; faults a retry may cure become StoreUnavailableError."""
    try:
        return operation(*args, **request)
    except ClientError as error:
        if _retryable(error):
            raise StoreUnavailableError(str(error)) from error
        raise
    except BotoCoreError as error:
        raise StoreUnavailableError(str(error)) from error


def batch_get(
    client: DynamoDBClient,
    table: str,
    item_keys: list[AttributeMap],
    options: Mapping[str, Any],
    *,
    unread: str,
) -> list[AttributeMap]:
    """The items of ``item_keys`` that exist, 100 keys a call, unprocessed keys asked again.

    ``options`` go into each call's request for the table (a projection, consistent reads);
    ``unread`` names what is missing when the table leaves keys unread after every round.
    """
    found: list[AttributeMap] = []
    pending = list(item_keys)
    rounds = 0
    while pending:
        if rounds == _BATCH_GET_ROUNDS:
            raise StoreUnavailableError(f"the table left {unread} unread")
        batch, pending = pending[:_BATCH_GET_LIMIT], pending[_BATCH_GET_LIMIT:]
        answer = _call(client.batch_get_item, RequestItems={table: {"Keys": batch, **options}})
        found.extend(answer.get("Responses", {}).get(table, []))
        unprocessed = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if unprocessed:
            # DynamoDB's advice for unprocessed keys: back off, then ask for them again.
            rounds += 1
            time.sleep(0.025 * 2**rounds)
            pending = unprocessed + pending
    return found


def scan_items(
    client: DynamoDBClient, table: str, *, prefix: str | None = None
) -> Iterator[AttributeMap]:
    """Every item of the table (those whose partition key starts with ``prefix``): a full
    read, for recounts and rebuilds, never on a request's path."""
    request: dict[str, Any] = {"TableName": table}
    if prefix is not None:
        request["FilterExpression"] = "begins_with(pk, :prefix)"
        request["ExpressionAttributeValues"] = {":prefix": {"S": prefix}}
    for page in client.get_paginator("scan").paginate(**request):
        yield from page.get("Items", [])


def index_page(
    client: DynamoDBClient,
    table: str,
    key_condition: str,
    values: AttributeMap,
    *,
    prefix: str,
    limit: int,
    start: str | None = None,
    names: Mapping[str, str] | None = None,
) -> IndexPage:
    """One page of a query on the open index, keys only: the ids after ``prefix``."""
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": keys.OPEN_INDEX,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": values,
        "ProjectionExpression": keys.PARTITION_KEY,
        "Limit": limit,
    }
    if names:
        request["ExpressionAttributeNames"] = dict(names)
    if start:
        request["ExclusiveStartKey"] = json.loads(start)
    answer = _call(client.query, **request)
    last = answer.get("LastEvaluatedKey")
    return IndexPage(
        [item[keys.PARTITION_KEY]["S"].removeprefix(prefix) for item in answer.get("Items", [])],
        json.dumps(last, sort_keys=True) if last else None,
    )


def put_if_absent(client: DynamoDBClient, table: str, item: AttributeMap) -> bool:
    """Put an item unless one with its key is stored; whether it was put."""
    put = if_condition_holds(
        client.put_item,
        TableName=table,
        Item=item,
        ConditionExpression="attribute_not_exists(pk)",
    )
    return put is not None


def if_condition_holds(operation: Callable[..., Any], **request: Any) -> Any | None:
    """Run one conditional write; its answer, or None when its condition did not hold."""
    try:
        return _call(operation, **request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise


def _parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


@cache
def _reader_pool() -> ThreadPoolExecutor:
    # One query per shard at once: a sharded read then takes about as long as one query.
    # Shared by every store of the process and started on the first sharded read.
    return ThreadPoolExecutor(max_workers=keys.WRITE_SHARDS, thread_name_prefix="table-read")


def side_by_side(calls: Sequence[Callable[[], Result]]) -> list[Result]:
    """Run the calls in parallel; their results in order, or the first call's error."""
    if len(calls) == 1:
        return [calls[0]()]
    futures = [_reader_pool().submit(call) for call in calls]
    return [future.result() for future in futures]


class _ShardRead(NamedTuple):
    items: list[AttributeMap]
    has_more: bool


def _event_key(event: DeliveryEvent) -> AttributeMap:
    """An event's item key: its transaction, then when, what and which (its identity)."""
    return {
        keys.PARTITION_KEY: _s(keys.transaction_key(event.transid)),
        keys.SORT_KEY: _s(keys.event_sort_key(event.occurred_at, event.status, event.identity)),
    }


def _match_sort(item: AttributeMap) -> str:
    return str(item[keys.INDEX_SORT_ATTRIBUTE]["S"])


class EventStore:
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

    # ---- events -------------------------------------------------------------------------

    def event_item(
        self,
        event: DeliveryEvent,
        *,
        received_at: datetime,
        gtrid: str | None,
        alert: bool | None = None,
    ) -> AttributeMap:
        """The stored form of one callback (public so benchmarks can size it)."""
        item: AttributeMap = {
            **_event_key(event),
            # transid and time are not repeated as attributes: the keys hold them, and
            # every byte counts towards the one write unit a callback should cost.
            "channel": _s(event.channel.value),
            "status": _s(event.status.value),
            "classification": _s(event.classification.value),
            "received_at": _s(received_at.isoformat()),
            "raw": {"B": zlib.compress(event.raw_body, 6)},
            keys.TTL_ATTRIBUTE: _n(int((received_at + self._retention).timestamp())),
        }
        if event.code is not None:
            item["code"] = _n(event.code)
        if gtrid:
            item["gtrid"] = _s(gtrid)
        if event.origin is not EventOrigin.CALLBACK:
            # Callbacks, nearly every event, carry no origin: absent means "callback".
            item["origin"] = _s(event.origin.value)
        # One sort attribute serves all three indexes: it is the same "when, which" value.
        item[keys.INDEX_SORT_ATTRIBUTE] = _s(keys.index_sort_key(event.occurred_at, event.transid))
        if event.destination.strip():
            item[keys.DESTINATION_KEY] = _s(keys.destination_key(event.destination))
        # Sharded by transid: every event of one transaction shares its shard.
        shard = keys.shard_of(event.transid)
        if event.correlationid:
            item[keys.CORRELATION_KEY] = _s(keys.correlation_key(event.correlationid, shard))
        if not is_final_event(event):
            item["open_key"] = _s(keys.open_key(keys.arrival_bucket(received_at), shard))
        if event.is_failure if alert is None else alert:
            # The alerts pipe filters the table's stream on this flag.
            item["alert"] = {"BOOL": True}
        return item

    def put_event(
        self,
        event: DeliveryEvent,
        *,
        received_at: datetime,
        gtrid: str | None = None,
        alert: bool | None = None,
    ) -> bool:
        """Store an event once. True when stored now, False when it was already there.

        ``alert`` overrides whether the alerts pipe picks the event up (by default: a
        failure does); the horizon's "no final receipt" is alerted only when asked for.
        """
        item = self.event_item(event, received_at=received_at, gtrid=gtrid, alert=alert)
        return put_if_absent(self._client, self._table, item)

    def list_events(self, transid: str) -> list[StoredEvent]:
        """Every stored event of one transaction, oldest first."""
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": _s(keys.transaction_key(transid)),
                ":prefix": _s(keys.EVENT_SORT_PREFIX),
            },
        )
        return [stored_event_from_item(item) for item in items]

    def has_final_event(self, transid: str) -> bool:
        """Whether a final event of the transaction is stored (keys and a few attributes)."""
        return any(is_final_event(event) for event in self.event_summaries(transid))

    def _query(self, **request: Any) -> list[AttributeMap]:
        items: list[AttributeMap] = []
        start: AttributeMap | None = None
        while True:
            page_request = dict(request, TableName=self._table)
            if start:
                page_request["ExclusiveStartKey"] = start
            answer = _call(self._client.query, **page_request)
            items.extend(answer.get("Items", []))
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

    # ---- search -------------------------------------------------------------------------

    def search(
        self,
        *,
        destination: str | None = None,
        correlationid: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage:
        """Events matching a destination or a correlation id, newest first.

        A correlation id's events are spread over write shards. Each shard is queried for
        ``limit`` events past the token's position, side by side, and the answers merged
        newest first; the page is the first ``limit``. That is exact: an event of the overall
        newest ``limit`` is among the newest ``limit`` of its own shard. Every shard is
        queried on every page, since any of them may hold the next event: one that holds
        nothing more costs half a read unit. A destination is one partition, read through
        the same token.
        """
        if destination:
            index, partitions = keys.DESTINATION_INDEX, [keys.destination_key(destination)]
        elif correlationid:
            index, partitions = keys.CORRELATION_INDEX, keys.correlation_keys(correlationid)
        else:
            raise ValueError("search needs a destination or a correlation id")
        search = SearchIdentity(index, partitions[0])
        after = decode_cursor(cursor, search=search) if cursor else None
        resumed = _shards_holding_transaction(after.transid, len(partitions)) if after else set()
        try:
            reads = side_by_side(
                [
                    partial(
                        self._read_shard,
                        index,
                        partition,
                        after,
                        resume_after=shard in resumed,
                        limit=limit,
                    )
                    for shard, partition in enumerate(partitions)
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ValidationException" and cursor:
                raise InvalidCursorError("the 'next' token is not valid") from error
            raise
        items, exhausted = _merge_newest_first(reads, limit)
        other = keys.CORRELATION_KEY if index == keys.DESTINATION_INDEX else keys.DESTINATION_KEY
        other_keys = self._other_search_keys(items, other)
        matches = [
            search_match_from_item({**item, **other_keys.get(item[keys.PARTITION_KEY]["S"], {})})
            for item in items
        ]
        # A page that took nothing yet has more to read starts the next one where it began.
        last = After(_match_sort(items[-1]), items[-1][keys.SORT_KEY]["S"]) if items else after
        return SearchPage(
            matches=matches,
            next_cursor=None if exhausted or last is None else encode_cursor(search, last),
        )

    def _read_shard(
        self,
        index: str,
        partition: str,
        after: After | None,
        *,
        resume_after: bool,
        limit: int,
    ) -> _ShardRead:
        partition_attribute, sort_attribute = keys.INDEX_KEYS[index]
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{partition_attribute} = :key",
            "ExpressionAttributeValues": {":key": _s(partition)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after and resume_after:
            # Right after the position, so events tied with it (one transaction, one
            # instant) that the last page did not reach still come. Rebuilt from this
            # search's own key: a token cannot lead into another search.
            request["ExclusiveStartKey"] = {
                keys.PARTITION_KEY: _s(after.pk),
                keys.SORT_KEY: _s(after.sk),
                partition_attribute: _s(partition),
                sort_attribute: _s(after.match_sort),
            }
        elif after:
            # No event of the position's transaction is here, so none ties with it.
            request["KeyConditionExpression"] += f" AND {sort_attribute} < :after"
            request["ExpressionAttributeValues"][":after"] = _s(after.match_sort)
        answer = _call(self._client.query, **request)
        return _ShardRead(answer.get("Items", []), has_more="LastEvaluatedKey" in answer)

    def _other_search_keys(
        self, items: list[AttributeMap], attribute: str
    ) -> dict[str, AttributeMap]:
        """The other search key of each matched transaction, read from one of its events.

        A match must show both its destination and its correlation id, and an index holds
        only its own key. Projecting the other into it would change the projection of a
        deployed index, which DynamoDB does not allow (the index would have to be dropped
        and rebuilt), so one BatchGetItem of one event per transaction reads it instead:
        half a read unit per transaction on the page, on the search route only.
        """
        one_event_each = {
            item[keys.PARTITION_KEY]["S"]: {
                keys.PARTITION_KEY: item[keys.PARTITION_KEY],
                keys.SORT_KEY: item[keys.SORT_KEY],
            }
            for item in items
        }
        items = batch_get(
            self._client,
            self._table,
            list(one_event_each.values()),
            {
                "ProjectionExpression": "#pk, #other",
                "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#other": attribute},
            },
            unread="part of a search's keys",
        )
        return {
            item[keys.PARTITION_KEY]["S"]: {attribute: item[attribute]}
            for item in items
            if attribute in item
        }

    def event_summaries(self, transid: str) -> list[EventSummary]:
        """What the reconcile sweep needs of each stored event, without reading raw bodies."""
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": _s(keys.transaction_key(transid)),
                ":prefix": _s(keys.EVENT_SORT_PREFIX),
            },
            ProjectionExpression="sk, received_at, channel, origin, code, #d, #c",
            ExpressionAttributeNames={"#d": keys.DESTINATION_KEY, "#c": keys.CORRELATION_KEY},
        )
        return [event_summary_from_item(item) for item in items]

    def open_page(
        self, bucket: str, shard: int, *, start: str | None = None, limit: int = 200
    ) -> IndexPage:
        """One page of a bucket's shard in the open index: the transids, and where to go on."""
        page = index_page(
            self._client,
            self._table,
            "open_key = :key",
            {":key": _s(keys.open_key(bucket, shard))},
            prefix=keys.TRANSACTION_PREFIX,
            limit=limit,
            start=start,
        )
        # One transaction may have several in-progress events in one bucket.
        return page._replace(ids=list(dict.fromkeys(page.ids)))

    def open_transactions(self, bucket: str, limit: int = 200) -> list[str]:
        """Every transid with an in-progress event in ``bucket``, every shard and page read."""

        def whole_shard(shard: int) -> list[str]:
            found: list[str] = []
            start: str | None = None
            while True:
                page = self.open_page(bucket, shard, start=start, limit=limit)
                found.extend(page.ids)
                if not (start := page.next):
                    return found

        shards = side_by_side([partial(whole_shard, shard) for shard in range(keys.WRITE_SHARDS)])
        return sorted({transid for transids in shards for transid in transids})

    # ---- cached status-API answers ------------------------------------------------------

    def get_cached_answer(self, transid: str) -> CachedAnswer | None:
        answer = _call(
            self._client.get_item,
            TableName=self._table,
            Key={
                keys.PARTITION_KEY: _s(keys.cache_key(transid)),
                keys.SORT_KEY: _s(keys.CACHED_STATUS_SORT_KEY),
            },
        )
        item = answer.get("Item")
        if not item:
            return None
        return CachedAnswer(
            body=item["body"]["S"],
            fetched_at=_parse_instant(item["fetched_at"]["S"]),
            final=item.get("final", {}).get("BOOL", False),
        )

    def put_cached_answer(self, transid: str, answer: CachedAnswer, *, keep_for: timedelta) -> None:
        """Store an upstream answer; DynamoDB's TTL removes it after ``keep_for``."""
        item: AttributeMap = {
            keys.PARTITION_KEY: _s(keys.cache_key(transid)),
            keys.SORT_KEY: _s(keys.CACHED_STATUS_SORT_KEY),
            "body": _s(answer.body),
            "fetched_at": _s(answer.fetched_at.isoformat()),
            "final": {"BOOL": answer.final},
            keys.TTL_ATTRIBUTE: _n(int((answer.fetched_at + keep_for).timestamp())),
        }
        _call(self._client.put_item, TableName=self._table, Item=item)

    # ---- quarantine ---------------------------------------------------------------------

    def quarantine(
        self,
        *,
        body: bytes,
        received_at: datetime,
        request_id: str,
        reason: str,
        error_code: str,
        field: str | None,
        headers: Mapping[str, str],
    ) -> QuarantinedBody:
        """Keep a rejected body, raw, so an operator can inspect and replay it."""
        day = received_at.astimezone(UTC).date().isoformat()
        sort_key = keys.quarantine_sort_key(received_at, request_id)
        item: AttributeMap = {
            keys.PARTITION_KEY: _s(keys.quarantine_key(day, keys.shard_of(request_id))),
            keys.SORT_KEY: _s(sort_key),
            "received_at": _s(received_at.isoformat()),
            "reason": _s(reason),
            "error_code": _s(error_code),
            "headers": {"M": {name: _s(value) for name, value in headers.items()}},
            "body": {"B": body},
            keys.TTL_ATTRIBUTE: _n(int((received_at + self._retention).timestamp())),
        }
        if field:
            item["field"] = _s(field)
        _call(self._client.put_item, TableName=self._table, Item=item)
        return quarantined_from_item(item)

    def quarantined(self, quarantine_id: str) -> QuarantinedBody | None:
        """One quarantined body by its id (ValueError for a malformed id), read consistently."""
        for partition, sort in keys.quarantine_keys_of_id(quarantine_id):
            answer = _call(
                self._client.get_item,
                TableName=self._table,
                Key={keys.PARTITION_KEY: _s(partition), keys.SORT_KEY: _s(sort)},
                ConsistentRead=True,
            )
            if "Item" in answer:
                return quarantined_from_item(answer["Item"])
        return None

    def record_replay(
        self, kept: QuarantinedBody, replay: QuarantineReplay, *, keep_reason: bool = False
    ) -> None:
        """Add ``replay`` to the body's record; a refusal also becomes its reason (and field),
        the webhook's first one kept beside it, unless ``keep_reason``.

        Conditional on the item: a body that expired meanwhile is not written back as a
        husk of replays (ConditionalCheckFailedException).
        """
        entry: AttributeMap = {"at": _s(replay.at.isoformat()), "run": _s(replay.run)}
        entry["outcome"] = _s(replay.outcome)
        for name in _REPLAY_TEXTS:
            value = getattr(replay, name)
            if value is not None:
                entry[name] = _s(value)
        values: AttributeMap = {":one": {"L": [{"M": entry}]}, ":none": {"L": []}}
        assignments = ["replays = list_append(if_not_exists(replays, :none), :one)"]
        removals = []
        if replay.outcome == "refused" and replay.reason and replay.error_code and not keep_reason:
            # Right-hand sides read the item as it was: the first reason is the webhook's.
            assignments += [
                "first_reason = if_not_exists(first_reason, reason)",
                "first_error_code = if_not_exists(first_error_code, error_code)",
                "reason = :reason",
                "error_code = :code",
            ]
            values |= {":reason": _s(replay.reason), ":code": _s(replay.error_code)}
            if replay.field:
                assignments.append("#field = :field")
                values[":field"] = _s(replay.field)
            else:
                removals.append("#field")
        update = "SET " + ", ".join(assignments)
        if removals:
            update += " REMOVE " + ", ".join(removals)
        names = {"#field": "field"} if "#field" in update else {}
        _call(
            self._client.update_item,
            TableName=self._table,
            Key={
                keys.PARTITION_KEY: _s(kept.partition),
                keys.SORT_KEY: _s(kept.sort_key),
            },
            UpdateExpression=update,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": names} if names else {}),
        )

    def has_event(self, event: DeliveryEvent) -> bool:
        """Whether ``event`` (its identity) is stored already: a replay's dry run asks."""
        answer = _call(
            self._client.get_item,
            TableName=self._table,
            Key=_event_key(event),
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return "Item" in answer

    def list_quarantine(self, day: str) -> list[QuarantinedBody]:
        """Every body quarantined on ``day``, in order of arrival (then of request id)."""
        shards = side_by_side(
            [
                partial(
                    self._query,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": _s(key)},
                )
                for key in keys.quarantine_keys(day)
            ]
        )
        merged = heapq.merge(*shards, key=lambda item: str(item[keys.SORT_KEY]["S"]))
        return [quarantined_from_item(item) for item in merged]


def stored_event_from_item(item: AttributeMap) -> StoredEvent:
    """Rebuild the normalised event from its stored form (the raw body is re-parsed)."""
    from receipts.models.callback import parse_callback

    event = parse_callback(zlib.decompress(item["raw"]["B"]))
    origin = item.get("origin", {}).get("S")
    if origin:
        event = replace(event, origin=EventOrigin(origin))
    return StoredEvent(
        event=event,
        received_at=_parse_instant(item["received_at"]["S"]),
        gtrid=item.get("gtrid", {}).get("S"),
    )


def event_summary_from_item(item: AttributeMap) -> EventSummary:
    # sk: EV#{occurred}#{status}#{identity}
    _, occurred, status, _ = item[keys.SORT_KEY]["S"].split("#", 3)
    code = item.get("code", {}).get("N")
    return EventSummary(
        status=DeliveryStatus(status),
        origin=EventOrigin(item.get("origin", {}).get("S", EventOrigin.CALLBACK.value)),
        occurred_at=_parse_instant(occurred),
        received_at=_parse_instant(item["received_at"]["S"]),
        code=int(code) if code is not None else None,
        channel=Channel(item["channel"]["S"]),
        destination=keys.strip_prefix(item.get(keys.DESTINATION_KEY, {}).get("S", "")),
        correlationid=keys.strip_prefix(item.get(keys.CORRELATION_KEY, {}).get("S", "")),
    )


def event_of_item(item: Mapping[str, Any]) -> tuple[str, EventSummary] | None:
    """The transid and summary of a stored event's item (or stream image); None for any
    other kind of item (a tally, a counter, a register, a cached answer, ...)."""
    partition = item.get(keys.PARTITION_KEY, {}).get("S", "")
    sort = item.get(keys.SORT_KEY, {}).get("S", "")
    if not (
        partition.startswith(keys.TRANSACTION_PREFIX) and sort.startswith(keys.EVENT_SORT_PREFIX)
    ):
        return None
    return partition.removeprefix(keys.TRANSACTION_PREFIX), event_summary_from_item(dict(item))


def stored_description(item: Mapping[str, Any]) -> str:
    """The stored callback's Description, read from its compressed body.

    The body is binary: bytes as boto3 gives it, base64 text as Lambda's stream event does.
    Every stored body was read when it was stored; one that no longer reads gives "".
    """
    from receipts.models.callback import parse_callback

    try:
        raw = item["raw"]["B"]
        compressed = base64.b64decode(raw, validate=True) if isinstance(raw, str) else bytes(raw)
        return parse_callback(zlib.decompress(compressed)).description
    except (KeyError, ValueError, TypeError, zlib.error):
        return ""


def search_match_from_item(item: AttributeMap) -> SearchMatch:
    code = item.get("code", {}).get("N")
    occurred, _, transid = item[keys.INDEX_SORT_ATTRIBUTE]["S"].partition("#")
    return SearchMatch(
        transid=transid,
        channel=Channel(item["channel"]["S"]),
        status=DeliveryStatus(item["status"]["S"]),
        occurred_at=_parse_instant(occurred),
        code=int(code) if code is not None else None,
        classification=Classification(item["classification"]["S"]),
        destination=keys.strip_prefix(item.get(keys.DESTINATION_KEY, {}).get("S", "")),
        correlationid=keys.strip_prefix(item.get(keys.CORRELATION_KEY, {}).get("S", "")),
    )


def quarantined_from_item(item: AttributeMap) -> QuarantinedBody:
    return QuarantinedBody(
        day=keys.strip_prefix(item[keys.PARTITION_KEY]["S"]),
        sort_key=item[keys.SORT_KEY]["S"],
        received_at=_parse_instant(item["received_at"]["S"]),
        reason=item["reason"]["S"],
        error_code=item["error_code"]["S"],
        field=item.get("field", {}).get("S"),
        headers={name: value["S"] for name, value in item["headers"]["M"].items()},
        body=bytes(item["body"]["B"]),
        partition=item[keys.PARTITION_KEY]["S"],
        replays=tuple(
            _replay_from_map(entry["M"]) for entry in item.get("replays", {}).get("L", [])
        ),
        first_reason=item.get("first_reason", {}).get("S"),
        first_error_code=item.get("first_error_code", {}).get("S"),
    )


def _replay_from_map(entry: AttributeMap) -> QuarantineReplay:
    return QuarantineReplay(
        at=_parse_instant(entry["at"]["S"]),
        run=entry["run"]["S"],
        outcome=entry["outcome"]["S"],
        **{name: entry[name]["S"] for name in _REPLAY_TEXTS if name in entry},
    )


def _shards_holding_transaction(transid: str, shards: int) -> set[int]:
    """The shards of a search key where events of ``transid`` may be.

    Its own shard, and shard 0, where events stored before the keys were sharded stayed.
    Both resume right after the position; that is exact as long as no transaction has events
    of one millisecond on both sides of that change.
    """
    return {0} if shards == 1 else {0, keys.shard_of(transid)}


def _merge_newest_first(reads: Sequence[_ShardRead], limit: int) -> tuple[list[AttributeMap], bool]:
    """The newest ``limit`` items of the shards' answers, and whether nothing is left after.

    Each shard's answer is newest first, and the merge keeps each shard's own order. Equal
    ``match_sort`` values name one transaction, which is in one shard, so no tie crosses
    shards. A shard whose answer stopped short of ``limit`` with more to come (DynamoDB's
    1 MB page) bounds the page at its oldest item, below which it may hold unread events.
    """
    floor = max(
        (_match_sort(read.items[-1]) for read in reads if read.has_more and read.items),
        default="",
    )
    merged = heapq.merge(*(read.items for read in reads), key=_match_sort, reverse=True)
    taken: list[AttributeMap] = []
    for item in merged:
        if len(taken) == limit or _match_sort(item) < floor:
            break
        taken.append(item)
    exhausted = not any(read.has_more for read in reads) and len(taken) == sum(
        len(read.items) for read in reads
    )
    return taken, exhausted
