"""Fixtures for the lookup's logic: a service over in-memory fakes and a hand-driven clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.lookup.lookup_fakes import POLICY, FakeClock, InMemoryStore, ScriptedVendor

from lookup.memory_cache import MemoryCache
from lookup.service import LookupService, Remembered


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def vendor() -> ScriptedVendor:
    return ScriptedVendor()


@pytest.fixture
def new_service(
    store: InMemoryStore, vendor: ScriptedVendor, clock: FakeClock
) -> Callable[[], LookupService]:
    """A service as a fresh process would build it: same table and vendor, empty memory."""

    def build() -> LookupService:
        memory: MemoryCache[Remembered] = MemoryCache(max_entries=100, clock=clock)
        return LookupService(
            store=store, status_api=vendor, memory=memory, policy=POLICY, clock=clock
        )

    return build


@pytest.fixture
def service(new_service: Callable[[], LookupService]) -> LookupService:
    return new_service()
