"""The suppression registers: one item per destination, moved only to a later verdict.

A register is written whole (a conditional put) when a verdict later than the stored one
comes (``receipts.suppressions.verdicts``); an older or equal one fails the condition and
changes nothing. While suppressed, the item is in the sparse ``open`` index under its
channel's list keys (sharded by destination), so a channel's suppressions can be listed; a
lifted register leaves the index and expires with the events' retention.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError

from receipts.channels import Channel
from receipts.codes.suppression import SuppressionReason
from receipts.destinations import normalise_destination
from receipts.lifecycle import DeliveryStatus
from receipts.storage import keys
from receipts.storage.event_store import (
    AttributeMap,
    StoreUnavailableError,
    _call,
    _s,
    batch_get,
    if_condition_holds,
    side_by_side,
)
from receipts.storage.search_cursor import InvalidCursorError
from receipts.suppressions.verdicts import DECIDED_BY_EVENT, Verdict, operator_lift
from receipts.timestamps import isoformat_millis, truncate_to_millis

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

# The verdicts of one batch are written side by side, this many at once (each is its own
# conditional put: a batch write takes no condition).
MOST_WRITES_AT_ONCE = 16
_NEWER = "attribute_not_exists(pk) OR version < :version"


class Suppression(NamedTuple):
    """A destination's register as stored: the verdict that set it, and when it was set."""

    verdict: Verdict
    updated_at: datetime

    @property
    def suppressed(self) -> bool:
        return self.verdict.suppressed


class Move(StrEnum):
    """What offering a verdict did to its register."""

    SUPPRESSED = "suppressed"  # it was not suppressed (or did not exist) and now is
    LIFTED = "lifted"  # it was suppressed and now is not
    RENEWED = "renewed"  # still suppressed, by a later failure
    RECORDED = "recorded"  # still not suppressed, by a later delivery
    UNCHANGED = "unchanged"  # it already held this verdict or a later one
    # The table refuses the register whatever the moment (a destination too long for a
    # key): left out, so that it cannot hold the stream back for a day.
    REFUSED = "refused"


class Offered(NamedTuple):
    moves: dict[Move, int]
    failed: list[tuple[Verdict, Exception]]  # verdicts not written: offer them again
    refused: list[Verdict]  # verdicts the table will never take (logged, not retried)


class Lifted(NamedTuple):
    """An operator's lift: the suppression that was in force, and the register now."""

    before: Suppression
    after: Suppression


class ListPage(NamedTuple):
    suppressions: list[Suppression]
    next_cursor: str | None


def register_key(channel: Channel | str, destination: str) -> AttributeMap:
    return {
        keys.PARTITION_KEY: _s(keys.suppression_key(str(channel), destination)),
        keys.SORT_KEY: _s(keys.SUPPRESSION_SORT_KEY),
    }


class SuppressionStore:
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

    # ---- writes ------------------------------------------------------------------------

    def item(self, verdict: Verdict, now: datetime) -> AttributeMap:
        """The stored form of a register holding ``verdict`` (public so benchmarks size it)."""
        item: AttributeMap = {
            **register_key(verdict.channel, verdict.destination),
            "channel": _s(verdict.channel.value),
            "destination": _s(verdict.destination),
            "suppressed": {"BOOL": verdict.suppressed},
            "version": _s(verdict.version),
            "at": _s(isoformat_millis(verdict.at)),
            "decided_by": _s(verdict.decided_by),
            "updated_at": _s(isoformat_millis(now)),
        }
        if verdict.reason is not None:
            item["reason"] = _s(verdict.reason.value)
        if verdict.status is not None:
            item["status"] = _s(verdict.status.value)
        if verdict.code is not None:
            item["code"] = {"N": str(verdict.code)}
        if verdict.transid:
            item["transid"] = _s(verdict.transid)
        if verdict.suppressed:
            shard = keys.shard_of(verdict.destination)
            item["open_key"] = _s(keys.suppressed_list_key(verdict.channel.value, shard))
            item[keys.INDEX_SORT_ATTRIBUTE] = _s(
                keys.suppressed_sort_key(isoformat_millis(verdict.at), verdict.destination)
            )
        else:
            # A suppressed register is kept until something lifts it; a lifted one only as
            # long as the events that could still be offered to it.
            expires = int((now + self._retention).timestamp())
            item[keys.TTL_ATTRIBUTE] = {"N": str(expires)}
        return item

    def offer(self, verdict: Verdict, now: datetime) -> Move:
        """Move the register to ``verdict`` if it is later than the stored one."""
        try:
            put = if_condition_holds(
                self._client.put_item,
                TableName=self._table,
                Item=self.item(verdict, now),
                ConditionExpression=_NEWER,
                ExpressionAttributeValues={":version": _s(verdict.version)},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ValidationException":
                return Move.REFUSED
            raise
        if put is None:
            return Move.UNCHANGED
        was = bool(put.get("Attributes", {}).get("suppressed", {}).get("BOOL", False))
        if verdict.suppressed:
            return Move.RENEWED if was else Move.SUPPRESSED
        return Move.LIFTED if was else Move.RECORDED

    def offer_all(self, verdicts: Sequence[Verdict], now: datetime) -> Offered:
        """Offer each verdict (at most one per destination); a failed write is reported, not
        raised, so the others are still written."""
        moves: dict[Move, int] = {}
        failed: list[tuple[Verdict, Exception]] = []
        refused: list[Verdict] = []
        for start in range(0, len(verdicts), MOST_WRITES_AT_ONCE):
            part = verdicts[start : start + MOST_WRITES_AT_ONCE]
            outcomes = side_by_side([partial(self._offer_one, verdict, now) for verdict in part])
            for verdict, outcome in zip(part, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    failed.append((verdict, outcome))
                    continue
                moves[outcome] = moves.get(outcome, 0) + 1
                if outcome is Move.REFUSED:
                    refused.append(verdict)
        return Offered(moves, failed, refused)

    def _offer_one(self, verdict: Verdict, now: datetime) -> Move | Exception:
        try:
            return self.offer(verdict, now)
        except Exception as error:  # reported to the caller with its verdict
            return error

    def lift(
        self, channel: Channel, destination: str, now: datetime, *, attempts: int = 3
    ) -> Lifted | None:
        """An operator's lift; None when no suppression is in force.

        Timed ``now``, or at the suppression's own time when that is later (a platform
        clock ahead of this one): an operator's lift outranks an event of its second, so it
        always replaces the suppression it read. Put on that suppression's version; one that
        changed meanwhile (a newer event) is read again.
        """
        for _ in range(attempts):
            stored = self.get(channel, destination, consistent=True)
            if stored is None or not stored.suppressed:
                return None
            verdict = operator_lift(channel, destination, max(now, stored.verdict.at))
            put = if_condition_holds(
                self._client.put_item,
                TableName=self._table,
                Item=self.item(verdict, now),
                ConditionExpression="version = :stored",
                ExpressionAttributeValues={":stored": _s(stored.verdict.version)},
            )
            if put is not None:
                return Lifted(stored, Suppression(verdict, truncate_to_millis(now)))
        raise StoreUnavailableError("the suppression kept changing while it was lifted")

    # ---- reads -------------------------------------------------------------------------

    def get(
        self, channel: Channel, destination: str, *, consistent: bool = False
    ) -> Suppression | None:
        answer = _call(
            self._client.get_item,
            TableName=self._table,
            Key=register_key(channel, destination),
            ConsistentRead=consistent,
        )
        item = answer.get("Item")
        return suppression_from_item(item) if item else None

    def get_many(self, channel: Channel, destinations: Iterable[str]) -> dict[str, Suppression]:
        """The stored registers of these destinations, by normalised destination."""
        wanted = list(dict.fromkeys(normalise_destination(d) for d in destinations))
        items = batch_get(
            self._client,
            self._table,
            [register_key(channel, destination) for destination in wanted],
            {},
            unread="some suppression registers",
        )
        found = (suppression_from_item(item) for item in items)
        return {suppression.verdict.destination: suppression for suppression in found}

    def list_suppressed(
        self,
        channel: Channel,
        limit: int,
        cursor: str | None,
        *,
        out_of_time: Callable[[], bool] = lambda: False,
    ) -> ListPage:
        """A page of the channel's suppressed destinations: shard after shard, each one's
        oldest suppression first. Each shard is one query; when ``out_of_time`` says so
        before the next, the page ends there (shorter) and its cursor goes on from there."""
        shard, start = _decode_list_cursor(cursor, channel) if cursor else (0, None)
        found: list[Suppression] = []
        while shard < keys.WRITE_SHARDS and len(found) < limit:
            if found and out_of_time():
                break
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": keys.OPEN_INDEX,
                "KeyConditionExpression": "open_key = :key",
                "ExpressionAttributeValues": {
                    ":key": _s(keys.suppressed_list_key(channel.value, shard))
                },
                "Limit": limit - len(found),
            }
            if start:
                request["ExclusiveStartKey"] = start
            answer = _call(self._client.query, **request)
            item_keys = [
                {name: item[name] for name in (keys.PARTITION_KEY, keys.SORT_KEY)}
                for item in answer.get("Items", [])
            ]
            found.extend(self._read_suppressed(item_keys))
            start = answer.get("LastEvaluatedKey")
            if not start:
                shard += 1
        if shard >= keys.WRITE_SHARDS:
            return ListPage(found, None)
        return ListPage(found, _encode_list_cursor(channel, shard, start))

    def _read_suppressed(self, item_keys: list[AttributeMap]) -> list[Suppression]:
        if not item_keys:
            return []
        items = batch_get(
            self._client, self._table, item_keys, {}, unread="some suppression registers"
        )
        by_key = {item[keys.PARTITION_KEY]["S"]: item for item in items}
        # In the index's order; one lifted since the index was read is left out.
        ordered = (by_key.get(key[keys.PARTITION_KEY]["S"]) for key in item_keys)
        registers = (suppression_from_item(item) for item in ordered if item)
        return [register for register in registers if register.suppressed]


def suppression_from_item(item: AttributeMap) -> Suppression:
    code = item.get("code", {}).get("N")
    reason = item.get("reason", {}).get("S")
    status = item.get("status", {}).get("S")
    return Suppression(
        verdict=Verdict(
            channel=Channel(item["channel"]["S"]),
            destination=item["destination"]["S"],
            suppressed=bool(item["suppressed"]["BOOL"]),
            reason=SuppressionReason(reason) if reason else None,
            status=DeliveryStatus(status) if status else None,
            code=int(code) if code is not None else None,
            transid=item.get("transid", {}).get("S", ""),
            at=datetime.fromisoformat(item["at"]["S"]),
            decided_by=item.get("decided_by", {}).get("S", DECIDED_BY_EVENT),
        ),
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
    )


# ---- the list's cursor: its channel, the shard it stopped in and the position there.
#
# Only what names a position is carried (the suppression's time and destination); the keys
# are rebuilt here from it, so a forged cursor can only name another position of its own
# channel's shard, never another key or a malformed one.

_SINCE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_MOST_DESTINATION_BYTES = 2048


def _encode_list_cursor(channel: Channel, shard: int, start: AttributeMap | None) -> str:
    position = None
    if start is not None:
        since = start[keys.INDEX_SORT_ATTRIBUTE]["S"].partition("#")[0]
        destination = start[keys.PARTITION_KEY]["S"].split("#", 2)[2]
        position = [since, destination]
    document = {"channel": channel.value, "shard": shard, "after": position}
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refused() -> InvalidCursorError:
    return InvalidCursorError("the cursor is not one this API gave")


def _decode_list_cursor(cursor: str, channel: Channel) -> tuple[int, AttributeMap | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise _refused() from None
    if (
        not isinstance(document, dict)
        or set(document) != {"channel", "shard", "after"}
        or document["channel"] != channel.value
    ):
        raise _refused()
    shard, after = document["shard"], document["after"]
    if not isinstance(shard, int) or isinstance(shard, bool) or not 0 <= shard < keys.WRITE_SHARDS:
        raise _refused()
    if after is None:
        return shard, None
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(v, str) for v in after)):
        raise _refused()
    since, destination = after
    try:
        size = len(destination.encode("utf-8"))
    except UnicodeEncodeError:
        raise _refused() from None
    normalised = normalise_destination(destination)
    if (
        not _SINCE.fullmatch(since)
        or normalised != destination
        or not 0 < size <= _MOST_DESTINATION_BYTES
    ):
        raise _refused()
    return shard, {
        **register_key(channel, destination),
        "open_key": _s(keys.suppressed_list_key(channel.value, shard)),
        keys.INDEX_SORT_ATTRIBUTE: _s(keys.suppressed_sort_key(since, destination)),
    }
