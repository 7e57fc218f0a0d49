"""A bounded, in-process cache of answers that survives warm invocations.

Entries stay past their freshness, up to ``keep_until``, so that a stale answer can still be
served when the vendor fails. The least recently used entry goes first when it is full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

Value = TypeVar("Value")
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class CacheEntry(Generic[Value]):
    value: Value
    fresh_until: datetime
    keep_until: datetime

    def is_fresh(self, now: datetime) -> bool:
        return now < self.fresh_until


class MemoryCache(Generic[Value]):
    def __init__(self, *, max_entries: int, clock: Clock) -> None:
        if max_entries < 1:
            raise ValueError("a cache needs room for at least one entry")
        self._entries: OrderedDict[str, CacheEntry[Value]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    def get(self, key: str) -> CacheEntry[Value] | None:
        """The entry for ``key``, fresh or not, unless it is past ``keep_until``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.keep_until:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, value: Value, *, fresh_until: datetime, keep_until: datetime) -> None:
        if keep_until <= self._clock():
            # Nothing worth keeping (a zero TTL): do not evict a useful entry for it.
            return
        self._entries[key] = CacheEntry(value, fresh_until, max(fresh_until, keep_until))
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
