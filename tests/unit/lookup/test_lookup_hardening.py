"""Drop-in fidelity and safety: the vendor URL, a wrong id's cost, the request's deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.unit.layer.test_vendor_status_client import FakePool, _response
from tests.unit.lookup.lookup_fakes import (
    POLICY,
    FakeClock,
    InMemoryStore,
    ScriptedVendor,
    stored,
    vendor_body,
)

from local_stack.template import load_template, resource
from lookup.memory_cache import MemoryCache
from lookup.service import CachePolicy, LookupService, Remembered
from lookup.settings import settings_from
from lookup.wiring import table_client, vendor_client
from receipts.deadline import Deadline
from receipts.storage import keys
from receipts.vendor import VendorRejectedError, VendorUnreachableError

SETTINGS = {
    "VENDOR_BASE_URL": "https://api.imiconnect.io",
    "VENDOR_SERVICE_KEY_REFERENCE": "ssm:/x/vendor-service-key",
    "LOOKUP_API_KEYS_REFERENCE": "ssm:/x/lookup-api-keys",
    "EVENTS_TABLE_NAME": "events",
}


# ---- the vendor URL ----------------------------------------------------------------------


def test_the_lookup_asks_the_vendor_as_it_always_has() -> None:
    # The client is shared with the reconcile sweep; the lookup's requests still say who
    # sends them, so nothing the vendor sees from it changed when the client moved.
    pool = FakePool(_response(200, []))
    client = vendor_client(
        settings_from(SETTINGS), load=lambda *_args, **_kw: ("service-key",), pool=pool
    )

    client.fetch_status("a/b")

    [request] = pool.requests
    assert request["url"] == "https://api.imiconnect.io/resources/v1/messaging/status/a%2Fb"
    assert request["headers"] == {
        "key": "service-key",
        "accept": "application/json",
        "user-agent": "imiconnect-receipts-lookup/1",
    }


# ---- the deadline ------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_deadline_comes_from_the_functions_remaining_time_less_a_margin() -> None:
    ticks = Ticks()

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 10_000

    deadline = Deadline.for_invocation(
        Context(), margin_seconds=2.0, ceiling_seconds=20.0, monotonic=ticks
    )

    assert deadline.remaining() == pytest.approx(8.0)
    ticks.now += 7.5
    assert deadline.remaining() == pytest.approx(0.5)
    assert not deadline.allows(0.6)


def test_without_a_lambda_context_the_ceiling_is_the_deadline() -> None:
    deadline = Deadline.for_invocation(
        object(), margin_seconds=2.0, ceiling_seconds=20.0, monotonic=Ticks()
    )

    assert deadline.remaining() == pytest.approx(20.0)


def _service(store: InMemoryStore, vendor: ScriptedVendor, clock: FakeClock) -> LookupService:
    return LookupService(
        store=store,
        status_api=vendor,
        memory=MemoryCache(max_entries=10, clock=clock),
        policy=POLICY,
        clock=clock,
        table_call_seconds=1.0,
    )


def test_table_reads_that_cannot_finish_in_time_are_skipped() -> None:
    clock, store, vendor, ticks = FakeClock(), InMemoryStore(), ScriptedVendor(), Ticks()
    vendor.answers["tx"] = [VendorUnreachableError("slow")]

    with pytest.raises(VendorUnreachableError):
        _service(store, vendor, clock).vendor_status("tx", deadline=Deadline(ticks() + 0.5, ticks))

    assert store.calls == []
    assert vendor.calls == ["tx"]


def test_the_vendor_gets_the_time_left_after_the_table() -> None:
    clock, store, vendor, ticks = FakeClock(), InMemoryStore(), ScriptedVendor(), Ticks()
    vendor.answers["tx"] = [vendor_body("tx")]

    _service(store, vendor, clock).vendor_status("tx", deadline=Deadline(ticks() + 9, ticks))

    assert store.calls == ["list_events", "get_cached_answer", "put_cached_answer"]
    assert vendor.time_given == [pytest.approx(9.0)]


def test_the_table_client_is_bounded_by_its_settings() -> None:
    settings = settings_from(
        {**SETTINGS, "TABLE_TIMEOUT_SECONDS": "0.7", "TABLE_MAX_ATTEMPTS": "2"}
    )

    config = table_client(settings).meta.config

    assert config.read_timeout == pytest.approx(0.7)
    assert config.connect_timeout == pytest.approx(0.5)
    assert config.retries["total_max_attempts"] == 2
    # A correlation search queries every write shard at once, none waiting for a connection.
    assert config.max_pool_connections >= keys.WRITE_SHARDS
    # Two attempts of connect + read, and botocore's first back-off of at most 1 s.
    assert settings.table_call_seconds == pytest.approx(2 * (0.5 + 0.7) + 1)


# ---- a wrong id --------------------------------------------------------------------------


def test_settings_default_to_a_one_minute_not_found_cache_and_a_margin() -> None:
    settings = settings_from(SETTINGS)

    assert settings.not_found_cache_seconds == 60
    assert settings.not_found_fresh_for == timedelta(seconds=60)
    assert 0 < settings.deadline_margin_seconds < 25


def test_a_cached_7600_is_dropped_once_a_callback_is_stored() -> None:
    clock, store, vendor = FakeClock(), InMemoryStore(), ScriptedVendor()
    vendor.answers["tx"] = [VendorRejectedError("7600", "No results found"), vendor_body("tx")]
    service = _service(store, vendor, clock)
    with pytest.raises(VendorRejectedError):
        service.vendor_status("tx")
    with pytest.raises(VendorRejectedError):
        service.vendor_status("tx")
    assert vendor.calls == ["tx"]

    store.events["tx"] = [stored("01-sms-submitted", transid="tx")]

    assert service.vendor_status("tx").body == vendor_body("tx")
    assert vendor.calls == ["tx", "tx"]


def test_a_cached_7600_is_kept_in_the_table_for_its_own_time() -> None:
    clock, store, vendor = FakeClock(), InMemoryStore(), ScriptedVendor()
    vendor.answers["tx"] = [VendorRejectedError("7600", "No results found")]
    policy = CachePolicy(
        final_fresh_for=timedelta(days=1),
        non_final_fresh_for=timedelta(seconds=30),
        stale_for=timedelta(days=1),
        not_found_fresh_for=timedelta(seconds=45),
    )
    service = LookupService(
        store=store,
        status_api=vendor,
        memory=MemoryCache[Remembered](max_entries=10, clock=clock),
        policy=policy,
        clock=clock,
    )

    with pytest.raises(VendorRejectedError):
        service.vendor_status("tx")

    assert store.kept_for["tx"] == timedelta(seconds=45)


# ---- the template ------------------------------------------------------------------------


def _lookup_events() -> dict[str, Any]:
    events: dict[str, Any] = resource("LookupFunction")["Properties"]["Events"]
    return events


def test_the_template_routes_the_key_in_the_path_form() -> None:
    paths = {event["Properties"]["Path"] for event in _lookup_events().values()}

    assert "/resources/v1/messaging/status/{key}/{transactionid}" in paths


def test_the_access_log_never_holds_a_raw_path() -> None:
    template = load_template()
    log_format = template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]

    assert "$context.routeKey" in log_format
    for raw in ("$context.path", "$context.resourcePath", "rawPath", "$context.requestOverride"):
        assert raw not in log_format


def test_the_not_found_cache_time_is_a_template_parameter() -> None:
    template = load_template()
    variables = resource("LookupFunction")["Properties"]["Environment"]["Variables"]

    assert template["Parameters"]["NotFoundCacheSeconds"]["Default"] == 60
    assert variables["NOT_FOUND_CACHE_SECONDS"] == {"Ref": "NotFoundCacheSeconds"}
