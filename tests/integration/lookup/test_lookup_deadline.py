"""One deadline per look-up: a slow table and a slow vendor together never outlast it.

The table is a real botocore client, built the way the function builds it, pointed at an
endpoint that accepts connections and never answers; the vendor answers after its timeout.
Either alone fits in the function's time; together, without a shared deadline, they would
not. The answer must be a stale copy (when one is cached) or a clear 504, in time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import urllib3
from tests.fakes.vendor_status_api import Answer, FakeVendorStatusApi, transaction_answer
from tests.integration.lookup.lookup_harness import (
    API_KEYS_REFERENCE,
    VENDOR_KEY_REFERENCE,
    FakeSecrets,
    LambdaContextStub,
    body_of,
    vendor_status_event,
)
from tests.unit.lookup.lookup_fakes import FakeClock

from lookup.handler import lambda_handler
from lookup.memory_cache import MemoryCache
from lookup.service import Remembered
from lookup.settings import LookupSettings, settings_from
from lookup.wiring import build_dependencies, table_client, vendor_client
from receipts.storage import EventStore
from receipts.storage.event_store import CachedAnswer

TRANSID = "262895e4-2217-4eef-92ca-79fd0250c4a3"
# What the function has left when the request arrives: the platform's timeout, shrunk.
REMAINING_MILLIS = 4_000


class SilentEndpoint:
    """Accepts TCP connections and never answers: a table read that hangs."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._held: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        self._socket.settimeout(0.05)
        while not self._closing.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(connection)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=2)
        for connection in self._held:
            connection.close()
        self._socket.close()


@pytest.fixture
def silent_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentEndpoint]:
    endpoint = SilentEndpoint()
    # boto3 honours AWS_ENDPOINT_URL, as on the local stack.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    yield endpoint
    endpoint.close()


@pytest.fixture
def slow_vendor() -> Iterator[FakeVendorStatusApi]:
    with FakeVendorStatusApi() as fake:
        fake.script(TRANSID, Answer(body=transaction_answer(TRANSID), delay_seconds=3))
        yield fake


@pytest.fixture
def settings(slow_vendor: FakeVendorStatusApi) -> LookupSettings:
    return settings_from(
        {
            "VENDOR_BASE_URL": slow_vendor.base_url,
            "VENDOR_TIMEOUT_SECONDS": "1",
            "VENDOR_MAX_ATTEMPTS": "3",
            "VENDOR_BUDGET_SECONDS": "5",
            "VENDOR_SERVICE_KEY_REFERENCE": VENDOR_KEY_REFERENCE,
            "LOOKUP_API_KEYS_REFERENCE": API_KEYS_REFERENCE,
            "EVENTS_TABLE_NAME": "events-test",
            "TABLE_TIMEOUT_SECONDS": "0.4",
            "TABLE_MAX_ATTEMPTS": "2",
            "LOOKUP_DEADLINE_MARGIN_SECONDS": "0.5",
        }
    )


def _invoke(
    settings: LookupSettings, memory: MemoryCache[Remembered], clock: FakeClock
) -> tuple[dict[str, object], float]:
    secrets = FakeSecrets(
        {VENDOR_KEY_REFERENCE: "fake-vendor-service-key", API_KEYS_REFERENCE: "lookup-key-1"}
    )
    pool = urllib3.PoolManager(retries=False)
    dependencies = build_dependencies(
        settings,
        store=EventStore(table_client(settings), settings.events_table_name),
        memory=memory,
        vendor=vendor_client(settings, load=secrets, pool=pool),
        load=secrets,
        clock=clock,
    )
    started = time.monotonic()
    response = lambda_handler(
        vendor_status_event(TRANSID),
        LambdaContextStub(remaining_millis=REMAINING_MILLIS),
        dependencies=dependencies,
    )
    elapsed = time.monotonic() - started
    pool.clear()
    return response, elapsed


def test_without_a_cached_answer_a_slow_table_and_vendor_give_a_504_in_time(
    settings: LookupSettings, silent_table: SilentEndpoint, slow_vendor: FakeVendorStatusApi
) -> None:
    clock = FakeClock()
    memory: MemoryCache[Remembered] = MemoryCache(max_entries=10, clock=clock)

    response, elapsed = _invoke(settings, memory, clock)

    assert response["statusCode"] == 504
    assert body_of(response)["error"]["code"] == "vendor_unreachable"  # type: ignore[arg-type]
    assert elapsed < REMAINING_MILLIS / 1000 - 0.3
    assert silent_table.connections >= 1  # the table was tried, not skipped outright


def test_with_a_cached_answer_a_slow_table_and_vendor_give_it_stale_in_time(
    settings: LookupSettings, silent_table: SilentEndpoint, slow_vendor: FakeVendorStatusApi
) -> None:
    clock = FakeClock()
    memory: MemoryCache[Remembered] = MemoryCache(max_entries=10, clock=clock)
    cached = CachedAnswer(
        body=slow_vendor_body(), fetched_at=clock.now - timedelta(minutes=5), final=False
    )
    memory.put(
        TRANSID,
        Remembered(answer=cached, from_callbacks=False),
        fresh_until=cached.fetched_at + timedelta(seconds=30),
        keep_until=clock.now + timedelta(days=1),
    )

    response, elapsed = _invoke(settings, memory, clock)

    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["x-cache"] == "stale"  # type: ignore[index]
    assert elapsed < REMAINING_MILLIS / 1000 - 0.3


def slow_vendor_body() -> str:
    import json

    return json.dumps(transaction_answer(TRANSID, status="sent"))
