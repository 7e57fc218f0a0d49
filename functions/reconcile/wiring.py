"""The production collaborators, built on first use from the settings and kept per process."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from receipts.aws_clients import new_client
from receipts.storage import EventStore, keys
from receipts.storage.watches import WatchStore
from receipts.vendor import VendorStatusClient, build_pool, service_key_loader
from reconcile.pacing import CallPacer
from reconcile.run import SweepPolicy
from reconcile.settings import ReconcileSettings, get_settings
from reconcile.sweep import ReconcileSweep

USER_AGENT = "imiconnect-receipts-reconcile/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_sweep(settings: ReconcileSettings) -> ReconcileSweep:
    client = new_client("dynamodb", max_pool_connections=keys.WRITE_SHARDS)
    vendor = VendorStatusClient(
        base_url=settings.vendor_base_url,
        service_key=service_key_loader(
            settings.vendor_service_key_reference, max_age=settings.secrets_max_age_seconds
        ),
        pool=build_pool(),
        timeout_seconds=settings.vendor_timeout_seconds,
        # One attempt: a failed ask is tried again by a later run, not within this one.
        max_attempts=1,
        budget_seconds=settings.vendor_timeout_seconds,
        user_agent=USER_AGENT,
    )
    return ReconcileSweep(
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
    )


@cache
def default_sweep() -> ReconcileSweep:
    return build_sweep(get_settings())
