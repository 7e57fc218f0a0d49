"""What a dead-lettered message is, and how it goes back to the alerts queue.

Two queues hold dead letters for the alerts: the alerts queue's own (a record the alerts
function failed ``AlertMaxReceiveCount`` times, or a digest marker) and the pipe's (what
the pipe could not put on the alerts queue). A message in either is one of:

- a **stream record** of a stored failure (the pipe's format): it names its transaction and
  status, and the alert ledger says which targets already have its alert;
- a **digest marker** of a storm window (``{"alertsDigest": ...}``);
- a **stream batch** (what a pipe dead-letters on AWS for a stream source): a shard and a
  range of sequence numbers, whose records the stream keeps 24 hours;
- anything else (poison): shown, never moved.

Moving one sends it to the alerts queue, then deletes it: a record or marker as it is; a
batch as the alert records of its range, read again from the stream. The alerts function
de-duplicates, so a record sent twice alerts once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus
from receipts.storage import keys
from receipts.storage.alert_records import (
    DIGEST_MARKER_KEY,
    matches_alert_filter,
    pipe_message_from_stream_record,
    stored_event_from_pipe_message,
)
from receipts_cli.aws_errors import error_code

RECORD, MARKER, BATCH, POISON = "stream record", "digest marker", "stream batch", "unreadable"


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    body: str
    receives: int
    attributes: dict[str, Any] = field(default_factory=dict)
    kind: str = POISON
    transid: str | None = None
    status: str | None = None
    batch: dict[str, Any] | None = None

    @property
    def movable(self) -> bool:
        return self.kind != POISON


def classify(message: dict[str, Any]) -> DeadLetter:
    """A received SQS message, read for what it is: a stream record by the alerts function's
    own rule (``stored_event_from_pipe_message``), so what it would refuse is poison here."""
    body = message.get("Body", "")
    base = {
        "message_id": message["MessageId"],
        "receipt_handle": message["ReceiptHandle"],
        "body": body,
        "receives": int(message.get("Attributes", {}).get("ApproximateReceiveCount", "0")),
        "attributes": message.get("MessageAttributes", {}),
    }
    try:
        payload = json.loads(body)
    except ValueError:
        return DeadLetter(**base)
    if not isinstance(payload, dict):
        return DeadLetter(**base)
    if DIGEST_MARKER_KEY in payload:
        window = payload[DIGEST_MARKER_KEY]
        label = window.get("window") if isinstance(window, dict) else None
        return DeadLetter(**base, kind=MARKER, status=f"digest of {label}")
    try:
        event = stored_event_from_pipe_message(body).event
    except NotificationValidationError:
        batch = _find_batch(payload)
        kind = BATCH if batch is not None else POISON
        return DeadLetter(**base, kind=kind, batch=batch)
    return DeadLetter(**base, kind=RECORD, transid=event.transid, status=event.status.value)


def _find_batch(payload: Any) -> dict[str, Any] | None:
    """The object naming a shard and a first sequence number, wherever the format puts it
    (Lambda's ``DDBStreamBatchInfo``, a pipe's context)."""
    if isinstance(payload, dict):
        if "shardId" in payload and "startSequenceNumber" in payload:
            return payload
        children: Iterator[Any] = iter(payload.values())
    elif isinstance(payload, list):
        children = iter(payload)
    else:
        return None
    for child in children:
        found = _find_batch(child)
        if found is not None:
            return found
    return None


def alert_targets(client: Any, table: str, letter: DeadLetter) -> str:
    """Which alert targets already have a record's alert (from the alert ledger)."""
    if letter.kind != RECORD or letter.transid is None or letter.status is None:
        return "-"
    try:
        status = DeliveryStatus(letter.status)
    except ValueError:
        return "-"
    answer = client.get_item(
        TableName=table,
        Key={
            keys.PARTITION_KEY: {"S": keys.alert_key(letter.transid, status)},
            keys.SORT_KEY: {"S": keys.ALERT_SORT_KEY},
        },
        ConsistentRead=True,
    )
    item = answer.get("Item")
    if item is None:
        return "none yet"
    sent = sorted(item.get("sent", {}).get("M", {}))
    given_up = sorted(item.get("given_up", {}).get("SS", []))
    parts = [f"sent to {', '.join(sent)}" if sent else "none yet"]
    if given_up:
        parts.append(f"given up for {', '.join(given_up)}")
    return "; ".join(parts)


_EMPTY_PAGES_AT_THE_END = 5


class StreamRecordsGoneError(RuntimeError):
    """The stream no longer holds the batch's records (they are kept 24 hours)."""


def batch_alert_messages(streams: Any, batch: dict[str, Any]) -> list[str]:
    """The alert messages of a dead-lettered stream batch, read again from the stream."""
    from botocore.exceptions import ClientError

    start, end = int(batch["startSequenceNumber"]), batch.get("endSequenceNumber")
    last = int(end) if end is not None else start
    messages: list[str] = []
    empty_pages = 0
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=batch["streamArn"],
            ShardId=batch["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=str(start),
        ).get("ShardIterator")
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = answer.get("Records", [])
            for record in records:
                if int(record["dynamodb"]["SequenceNumber"]) > last:
                    return messages
                if matches_alert_filter(record):
                    messages.append(pipe_message_from_stream_record(record))
            # A page may come back empty before the records (the service says so); an open
            # shard's end is empty for ever, hence the bound.
            empty_pages = 0 if records else empty_pages + 1
            if empty_pages > _EMPTY_PAGES_AT_THE_END:
                return messages
            iterator = answer.get("NextShardIterator")
    except ClientError as error:
        code = error_code(error)
        if code in {"TrimmedDataAccessException", "ResourceNotFoundException"}:
            raise StreamRecordsGoneError(code) from None
        raise
    return messages
