"""DynamoDB's item-size rules, which decide the write units an item costs, and what each index
of the events table holds of an item (from ``template.yaml``).

No imports with side effects, so the benchmarks, the capacity model and their tests share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _number_size(value: str) -> int:
    digits = value.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def attribute_value_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value (names are counted by the caller)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(
            len(name.encode()) + attribute_value_size(inner) + 1 for name, inner in content.items()
        )
    if kind == "L":
        return 3 + sum(attribute_value_size(inner) + 1 for inner in content)
    if kind in ("SS", "BS"):
        return sum(len(part if isinstance(part, bytes) else part.encode()) for part in content)
    if kind == "NS":
        return sum(_number_size(part) for part in content)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """One write unit per started KB, at least one."""
    return max(1, math.ceil(size / 1024))


@dataclass(frozen=True)
class IndexShape:
    name: str
    partition_attribute: str
    projected: frozenset[str] | None  # None: every attribute (ProjectionType ALL)

    def entry(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the index holds of ``item``; None when the item lacks its key (sparse)."""
        if self.partition_attribute not in item:
            return None
        if self.projected is None:
            return dict(item)
        return {name: value for name, value in item.items() if name in self.projected}


def index_shapes(template: Mapping[str, Any]) -> list[IndexShape]:
    table = template["Resources"]["EventsTable"]["Properties"]
    table_keys = {part["AttributeName"] for part in table["KeySchema"]}
    shapes = []
    for index in table.get("GlobalSecondaryIndexes", []):
        index_keys = {part["AttributeName"]: part["KeyType"] for part in index["KeySchema"]}
        (partition,) = (name for name, kind in index_keys.items() if kind == "HASH")
        projection = index["Projection"]
        projected: frozenset[str] | None = None
        if projection["ProjectionType"] != "ALL":
            projected = frozenset(
                table_keys | set(index_keys) | set(projection.get("NonKeyAttributes", []))
            )
        shapes.append(IndexShape(index["IndexName"], partition, projected))
    return shapes
