from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.lookup.lookup_fakes import FakeClock

from lookup.memory_cache import MemoryCache


def test_an_entry_is_fresh_until_its_time_then_kept_for_stale_serving(clock: FakeClock) -> None:
    # Given an entry fresh for 30 s and kept for a minute
    cache: MemoryCache[str] = MemoryCache(max_entries=10, clock=clock)
    cache.put(
        "tx",
        "answer",
        fresh_until=clock.now + timedelta(seconds=30),
        keep_until=clock.now + timedelta(seconds=60),
    )

    entry = cache.get("tx")
    assert entry is not None and entry.value == "answer" and entry.is_fresh(clock.now)

    # When its freshness runs out it is still there, but not fresh
    clock.advance(30)
    entry = cache.get("tx")
    assert entry is not None and not entry.is_fresh(clock.now)

    # And once past keep_until it is gone
    clock.advance(30)
    assert cache.get("tx") is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first_when_full(clock: FakeClock) -> None:
    cache: MemoryCache[int] = MemoryCache(max_entries=2, clock=clock)
    later = clock.now + timedelta(minutes=1)
    cache.put("a", 1, fresh_until=later, keep_until=later)
    cache.put("b", 2, fresh_until=later, keep_until=later)
    assert cache.get("a") is not None  # "a" is now the most recently used

    cache.put("c", 3, fresh_until=later, keep_until=later)

    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2


def test_an_entry_with_nothing_left_to_keep_is_not_stored(clock: FakeClock) -> None:
    cache: MemoryCache[int] = MemoryCache(max_entries=1, clock=clock)
    later = clock.now + timedelta(minutes=1)
    cache.put("useful", 1, fresh_until=later, keep_until=later)

    cache.put("worthless", 2, fresh_until=clock.now, keep_until=clock.now)

    assert cache.get("worthless") is None
    assert cache.get("useful") is not None


def test_a_cache_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MemoryCache[int](max_entries=0, clock=FakeClock())
