"""Write units per callback of the index designs the events table could use, on the seed mix.

    .venv/bin/python benchmarks/index_designs.py

Each seed callback (``events/http/callbacks``) is stored through the layer's own item builder
(``EventStore.event_item``) and sized by DynamoDB's item-size rules (``dynamodb_sizes``); each
design then decides which index entries, and which other items, that callback writes. A
write costs one unit per started KB, an index entry at least one. What a design gives up is
said beside its figure: the table is how the shipped design was chosen, and why 2.0 units
is the floor of any design that keeps every search complete.

The lower bound, whatever the design: the event item is one unit; a search by destination
must find every event (or at least every transaction) sent to a number, and destinations
barely repeat, so that is one more entry per callback unless an event could know that
another event of its transaction carries it, which needs a read the webhook does not make.
So 2.0 is the floor before the correlation and in-progress searches cost anything at all.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "layers" / "shared", REPO_ROOT / "local"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from benchmarks.dynamodb_sizes import IndexShape, index_shapes, item_size, write_units  # noqa: E402
from receipts.models.callback import DeliveryEvent, parse_callback  # noqa: E402
from receipts.storage import EventStore, keys  # noqa: E402

RECEIVED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SEEDS = REPO_ROOT / "events" / "http" / "callbacks"
# A page entry of a stream-built index: transid, event sort key, status and the other key.
PAGE_ENTRY_OVERHEAD_BYTES = 8


@dataclass(frozen=True)
class Stored:
    event: DeliveryEvent
    item: dict[str, Any]


@dataclass(frozen=True)
class Design:
    name: str
    searches: str  # what a search finds under this design
    units: Callable[[list[Stored]], float]  # write units of the whole seed mix


def seed_items() -> list[Stored]:
    store = EventStore(None, "events")  # type: ignore[arg-type]  # event_item makes no call
    stored = []
    for path in sorted(SEEDS.glob("*.json")):
        sample = json.loads(path.read_text())
        event = parse_callback(sample["body"])
        item = store.event_item(
            event, received_at=RECEIVED_AT, gtrid=sample["headers"].get("x-wx-gtrid")
        )
        stored.append(Stored(event, item))
    return stored


@cache
def _shapes() -> dict[str, IndexShape]:
    from local_stack.template import load_template

    return {shape.name: shape for shape in index_shapes(load_template())}


def _entry_units(item: dict[str, Any], index: str) -> int:
    entry = _shapes()[index].entry(item)
    return 0 if entry is None else write_units(item_size(entry))


def _table_units(stored: Iterable[Stored]) -> int:
    return sum(write_units(item_size(each.item)) for each in stored)


def _indexed(stored: list[Stored], indexes_of: Callable[[Stored], Iterable[str]]) -> int:
    return _table_units(stored) + sum(
        _entry_units(each.item, index)
        for each in stored
        for index in indexes_of(each)
        if _keyed(each, index)
    )


ALL_INDEXES = (keys.DESTINATION_INDEX, keys.CORRELATION_INDEX, keys.OPEN_INDEX)


def per_event(stored: list[Stored]) -> float:
    return _indexed(stored, lambda each: ALL_INDEXES)


def without_correlation_index(stored: list[Stored]) -> float:
    return _indexed(stored, lambda each: (keys.DESTINATION_INDEX, keys.OPEN_INDEX))


def search_keys_on_final_events(stored: list[Stored]) -> float:
    return _indexed(
        stored,
        lambda each: (
            (keys.DESTINATION_INDEX, keys.CORRELATION_INDEX)
            if each.event.status.is_final
            else (keys.OPEN_INDEX,)
        ),
    )


def transaction_head_item(stored: list[Stored]) -> float:
    """Each callback also upserts one small item per transaction that alone carries the index
    keys: the indexes hold one entry per transaction, and the in-progress entry is deleted
    (one more index write) when the transaction turns final."""
    units = _table_units(stored)
    seen: dict[str, Stored] = {}
    final: set[str] = set()
    for each in stored:
        transid = each.event.transid
        head = {
            name: each.item[name]
            for name in (*keys.INDEX_KEYS[keys.DESTINATION_INDEX], keys.CORRELATION_KEY)
            if name in each.item
        }
        units += write_units(item_size({"pk": each.item["pk"], "sk": {"S": "HEAD"}, **head}))
        if transid not in seen:
            seen[transid] = each
            units += sum(
                _entry_units(each.item, index)
                for index in (keys.DESTINATION_INDEX, keys.CORRELATION_INDEX)
                if keys.INDEX_KEYS[index][0] in each.item
            )
            if not each.event.status.is_final:
                units += 1
        elif (
            each.event.status.is_final
            and transid not in final
            and (not seen[transid].event.status.is_final)
        ):
            units += 1  # the in-progress entry leaves the open index
        if each.event.status.is_final:
            final.add(transid)
    return units


def first_stored_event_carries_keys(stored: list[Stored]) -> float:
    """The webhook first reads whether its transaction has an event stored (one more round
    trip and about half a read unit per callback, not counted here); only the first stored
    event carries the search keys, and the in-progress key while it is not final. Two
    first events racing both carry them: searches stay complete, one match per
    transaction. Seeds arrive in file order."""
    units = _table_units(stored)
    seen: set[str] = set()
    for each in stored:
        if each.event.transid in seen:
            continue
        seen.add(each.event.transid)
        units += sum(_entry_units(each.item, index) for index in ALL_INDEXES if _keyed(each, index))
    return units


def _keyed(each: Stored, index: str) -> bool:
    return keys.INDEX_KEYS[index][0] in each.item


def stream_built_pages(stored: list[Stored]) -> float:
    """Destination entries per event; correlation and in-progress entries written by a
    stream consumer as one page item per key and stream batch (here: the whole seed mix as
    one batch, the most favourable case)."""
    units = _indexed(stored, lambda each: (keys.DESTINATION_INDEX,))
    pages: dict[str, int] = defaultdict(int)
    for each in stored:
        entry = (
            len(each.item[keys.SORT_KEY]["S"])
            + len(each.event.transid)
            + len(each.item.get(keys.DESTINATION_KEY, {}).get("S", ""))
            + PAGE_ENTRY_OVERHEAD_BYTES
        )
        for attribute in (keys.CORRELATION_KEY, keys.INDEX_KEYS[keys.OPEN_INDEX][0]):
            if attribute in each.item:
                pages[each.item[attribute]["S"]] += entry
    return units + sum(write_units(size + 64) for size in pages.values())


DESIGNS = (
    Design(
        "every event in every index it has a key for (shipped)",
        "complete, at once",
        per_event,
    ),
    Design(
        "no correlation index",
        "no search by correlation id (campaign listings gone)",
        without_correlation_index,
    ),
    Design(
        "search keys on final events only, in-progress events in the open index",
        "a message not yet final is not found by destination or campaign",
        search_keys_on_final_events,
    ),
    Design(
        "one head item per transaction carries the index keys",
        "complete, one match per transaction",
        transaction_head_item,
    ),
    Design(
        "only a transaction's first stored event carries the keys (a read before each write)",
        "complete, one match per transaction; the webhook reads before it writes",
        first_stored_event_carries_keys,
    ),
    Design(
        "correlation and in-progress pages built from the table's stream",
        "complete after the stream's delay; a new consumer, pages to merge",
        stream_built_pages,
    ),
)


def markdown(stored: list[Stored]) -> str:
    lines = [
        "| Index design | Write units per callback (seed mix) | What searches find |",
        "| --- | --- | --- |",
    ]
    for design in DESIGNS:
        lines.append(
            f"| {design.name} | {design.units(stored) / len(stored):.2f} | {design.searches} |"
        )
    return "\n".join(lines)


def main() -> int:
    stored = seed_items()
    print(markdown(stored))
    print(f"\n{len(stored)} seed callbacks; the floor of any complete design is 2.00.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
