"""The lookup handler in-process: the events table under moto, the fake vendor on loopback."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import urllib3
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.integration.lookup.lookup_harness import (
    API_KEY,
    API_KEYS_REFERENCE,
    VENDOR_KEY_REFERENCE,
    CountingStore,
    FakeSecrets,
    LambdaContextStub,
    SerializedWatches,
    callback_body,
)
from tests.unit.lookup.lookup_fakes import FakeClock

from lookup.handler import lambda_handler
from lookup.memory_cache import MemoryCache
from lookup.service import Remembered
from lookup.settings import LookupSettings, settings_from
from lookup.wiring import VENDOR_USER_AGENT, LookupDependencies, build_dependencies
from receipts.models.callback import parse_callback
from receipts.storage import EventStore
from receipts.storage.aggregates import AggregateStore
from receipts.storage.suppressions import SuppressionStore
from receipts.storage.watches import WatchStore
from receipts.vendor import VendorStatusClient, service_key_loader


@pytest.fixture
def fake_vendor() -> Iterator[FakeVendorStatusApi]:
    with FakeVendorStatusApi() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def secrets(fake_vendor: FakeVendorStatusApi) -> FakeSecrets:
    return FakeSecrets({VENDOR_KEY_REFERENCE: fake_vendor.service_key, API_KEYS_REFERENCE: API_KEY})


@pytest.fixture
def settings(fake_vendor: FakeVendorStatusApi, events_table: str) -> LookupSettings:
    return settings_from(
        {
            "VENDOR_BASE_URL": fake_vendor.base_url,
            # Roomy, so a loaded machine never turns a served answer into a retry; the
            # tests of slow vendors set their own, shorter timeouts.
            "VENDOR_TIMEOUT_SECONDS": "3",
            "VENDOR_MAX_ATTEMPTS": "3",
            "VENDOR_BUDGET_SECONDS": "5",
            "VENDOR_SERVICE_KEY_REFERENCE": VENDOR_KEY_REFERENCE,
            "LOOKUP_API_KEYS_REFERENCE": API_KEYS_REFERENCE,
            "NON_FINAL_CACHE_SECONDS": "30",
            "FINAL_CACHE_SECONDS": "86400",
            "STALE_SERVING_SECONDS": "86400",
            "EVENTS_TABLE_NAME": events_table,
        }
    )


@dataclass
class LookupProcess:
    """One warm Lambda process: its own memory cache and connection pool."""

    dependencies: LookupDependencies
    store: CountingStore
    pool: urllib3.PoolManager

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = lambda_handler(
            event, LambdaContextStub(), dependencies=self.dependencies
        )
        return response


@pytest.fixture
def watch_store(dynamodb_client: Any, events_table: str) -> WatchStore:
    return WatchStore(dynamodb_client, events_table)


@pytest.fixture
def aggregate_store(dynamodb_client: Any, events_table: str) -> AggregateStore:
    """The reports' counters, each write on the next shard: readers must add every shard."""
    shards = itertools.count()
    return AggregateStore(
        dynamodb_client, events_table, pick_shard=lambda count: next(shards) % count
    )


@pytest.fixture
def suppression_store(dynamodb_client: Any, events_table: str) -> SuppressionStore:
    return SuppressionStore(dynamodb_client, events_table)


@pytest.fixture
def new_process(
    settings: LookupSettings,
    event_store: EventStore,
    watch_store: WatchStore,
    aggregate_store: AggregateStore,
    suppression_store: SuppressionStore,
    secrets: FakeSecrets,
    clock: FakeClock,
) -> Iterator[Callable[..., LookupProcess]]:
    """Build a process as a cold start would: same table and vendor, nothing in memory."""
    pools: list[urllib3.PoolManager] = []

    def build(**setting_overrides: Any) -> LookupProcess:
        effective = settings.model_copy(update=setting_overrides)
        pool = urllib3.PoolManager(retries=False)
        pools.append(pool)
        vendor = VendorStatusClient(
            base_url=effective.vendor_base_url,
            service_key=service_key_loader(
                effective.vendor_service_key_reference, max_age=0, load=secrets
            ),
            pool=pool,
            timeout_seconds=effective.vendor_timeout_seconds,
            max_attempts=effective.vendor_max_attempts,
            budget_seconds=effective.vendor_budget_seconds,
            # Short real pauses keep retry tests quick without changing their logic.
            jitter=lambda: 0.1,
            user_agent=VENDOR_USER_AGENT,
        )
        store = CountingStore(event_store)
        memory: MemoryCache[Remembered] = MemoryCache(max_entries=1000, clock=clock)
        dependencies = build_dependencies(
            effective,
            store=store,
            memory=memory,
            vendor=vendor,
            watches=SerializedWatches(watch_store),
            counters=aggregate_store,
            registers=suppression_store,
            load=secrets,
            clock=clock,
        )
        return LookupProcess(dependencies=dependencies, store=store, pool=pool)

    yield build
    for pool in pools:
        pool.clear()


@pytest.fixture
def lookup(new_process: Callable[..., LookupProcess]) -> LookupProcess:
    return new_process()


@pytest.fixture
def store_callback(event_store: EventStore, clock: FakeClock) -> Callable[..., None]:
    """Store a callback sample as the ingest function would, received at the clock's time."""

    def store(sample: str, *, received_after_seconds: float = 0, **changes: Any) -> None:
        event = parse_callback(callback_body(sample, **changes))
        received_at = clock.now + timedelta(seconds=received_after_seconds)
        assert event_store.put_event(event, received_at=received_at)

    return store
