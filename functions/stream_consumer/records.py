"""Stream records as the consumer reads them: the stored event each one inserted.

The event source's filter passes only inserts of event items (``EV#`` sort keys); the
check is repeated here so that a record let through by a wider filter is skipped, never
miscounted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from receipts.storage.event_store import EventSummary, event_of_item
from receipts.suppressions.verdicts import description_for


class StreamEvent(NamedTuple):
    transid: str
    event: EventSummary
    sequence_number: str
    # The callback's Description, read only where a verdict depends on it (a bounce's type):
    # the body is otherwise left compressed.
    description: str = ""


class ReadRecords(NamedTuple):
    events: list[StreamEvent]
    skipped: int  # not an event insert (filtered out upstream in AWS)
    unreadable: list[str]  # sequence numbers of event inserts whose image could not be read


def _event_of(record: Mapping[str, Any]) -> tuple[str, EventSummary, str] | None:
    if record.get("eventName") != "INSERT":
        return None
    image = record.get("dynamodb", {}).get("NewImage") or {}
    found = event_of_item(image)
    if found is None:
        return None
    transid, summary = found
    return transid, summary, description_for(summary, image)


def read_records(records: Iterable[Mapping[str, Any]]) -> ReadRecords:
    events: list[StreamEvent] = []
    skipped = 0
    unreadable: list[str] = []
    for record in records:
        sequence_number = str(record.get("dynamodb", {}).get("SequenceNumber", ""))
        try:
            found = _event_of(record)
        except (KeyError, ValueError, TypeError, IndexError):
            # Stored events are written by this product's own code: an image it cannot
            # read is a defect to look at, not a reason to hold the stream back.
            unreadable.append(sequence_number)
            continue
        if found is None:
            skipped += 1
            continue
        events.append(StreamEvent(found[0], found[1], sequence_number, found[2]))
    return ReadRecords(events, skipped, unreadable)


def by_transaction(events: Sequence[StreamEvent]) -> dict[str, list[EventSummary]]:
    grouped: dict[str, list[EventSummary]] = {}
    for event in events:
        grouped.setdefault(event.transid, []).append(event.event)
    return grouped


def first_sequence_number(events: Iterable[StreamEvent], transids: set[str]) -> str | None:
    """The earliest record of these transactions: the stream goes on from there on a retry."""
    numbers = [
        event.sequence_number
        for event in events
        if event.transid in transids and event.sequence_number.isdecimal()
    ]
    # Returned as the record spelled it: the event source matches the string.
    return min(numbers, key=int) if numbers else None
