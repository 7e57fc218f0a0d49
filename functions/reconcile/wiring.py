"""The production collaborators, built on first use from the settings and kept per process."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from receipts.aws_clients import new_client
from receipts.storage import EventStore, keys
from receipts.storage.watches import WatchStore
from receipts.vendor import VendorStatusClient, build_pool, service_key_loader
from reconcile.pacing import CallPacer
from reconcile.run import SweepPolicy
from reconcile.settings import (
    DiscoverySettings,
    ReconcileSettings,
    get_discovery_settings,
    get_settings,
)
from reconcile.sweep import AskingSweep, DiscoverySweep

USER_AGENT = "imiconnect-receipts-reconcile/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _table_client(side_by_side: int = keys.WRITE_SHARDS) -> Any:
    # Calls run side by side (a bucket's shards, a page's transactions, the asks in flight):
    # one connection each.
    return new_client("dynamodb", max_pool_connections=max(side_by_side, keys.WRITE_SHARDS))


def build_discovery_sweep(settings: DiscoverySettings) -> DiscoverySweep:
    client = _table_client()
    return DiscoverySweep(
        events=EventStore(client, settings.events_table_name, retention=settings.retention),
        watches=WatchStore(client, settings.events_table_name, retention=settings.retention),
        policy=SweepPolicy(after=settings.after, horizon=settings.horizon),
        wall_clock=utc_now,
    )


def build_asking_sweep(settings: ReconcileSettings) -> AskingSweep:
    client = _table_client(settings.concurrent_asks)
    vendor = VendorStatusClient(
        base_url=settings.vendor_base_url,
        service_key=service_key_loader(
            settings.vendor_service_key_reference, max_age=settings.secrets_max_age_seconds
        ),
        pool=build_pool(connections=settings.concurrent_asks),
        timeout_seconds=settings.vendor_timeout_seconds,
        # One attempt: a failed ask is tried again by a later run, not within this one.
        max_attempts=1,
        budget_seconds=settings.vendor_timeout_seconds,
        user_agent=USER_AGENT,
    )
    return AskingSweep(
        events=EventStore(client, settings.events_table_name, retention=settings.retention),
        watches=WatchStore(client, settings.events_table_name, retention=settings.retention),
        status_api=vendor,
        policy=SweepPolicy(
            after=settings.after,
            horizon=settings.horizon,
            max_per_run=settings.max_per_run,
            alert_on_no_receipt=settings.alert_on_no_receipt,
        ),
        pacer=CallPacer(settings.max_calls_per_second),
        vendor_timeout_seconds=settings.vendor_timeout_seconds,
        wall_clock=utc_now,
        concurrency=settings.concurrent_asks,
    )


@cache
def default_asking_sweep() -> AskingSweep:
    return build_asking_sweep(get_settings())


@cache
def default_discovery_sweep() -> DiscoverySweep:
    return build_discovery_sweep(get_discovery_settings())
