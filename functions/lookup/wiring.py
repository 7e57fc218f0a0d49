"""The production collaborators, built on first use from the settings and kept per process.

Nothing here runs at import time: the handler asks for :func:`default_dependencies` on its
first call, and tests pass collaborators of their own instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import urllib3

from lookup.auth import ApiKeyVerifier
from lookup.errors import ServiceKeyUnavailableError
from lookup.memory_cache import MemoryCache
from lookup.service import CachePolicy, LookupService, LookupStore, Remembered
from lookup.settings import LookupSettings, get_settings
from lookup.vendor_client import VendorStatusClient, build_pool
from receipts.aws_clients import dynamodb_client
from receipts.secret_values import load_secrets
from receipts.storage import EventStore

SecretsLoader = Callable[..., tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class LookupDependencies:
    service: LookupService
    api_keys: ApiKeyVerifier


def utc_now() -> datetime:
    return datetime.now(UTC)


def service_key_loader(
    reference: str, *, max_age: int, load: SecretsLoader = load_secrets
) -> Callable[[], str]:
    """The vendor service key (the first value behind ``reference``), cached by the loader."""

    def service_key() -> str:
        try:
            return load(reference, max_age=max_age)[0]
        except Exception as error:
            # The key's value must never reach a log or an answer: only the error's type does.
            raise ServiceKeyUnavailableError(type(error).__name__) from None

    return service_key


def build_dependencies(
    settings: LookupSettings,
    *,
    store: LookupStore,
    memory: MemoryCache[Remembered],
    vendor: VendorStatusClient,
    load: SecretsLoader = load_secrets,
    clock: Callable[[], datetime] = utc_now,
) -> LookupDependencies:
    policy = CachePolicy(
        final_fresh_for=settings.final_fresh_for,
        non_final_fresh_for=settings.non_final_fresh_for,
        stale_for=settings.stale_for,
    )
    service = LookupService(
        store=store, status_api=vendor, memory=memory, policy=policy, clock=clock
    )
    reference, max_age = settings.lookup_api_keys_reference, settings.secrets_max_age_seconds
    return LookupDependencies(
        service=service,
        api_keys=ApiKeyVerifier(lambda: load(reference, max_age=max_age)),
    )


def vendor_client(
    settings: LookupSettings,
    *,
    load: SecretsLoader = load_secrets,
    pool: urllib3.PoolManager | None = None,
) -> VendorStatusClient:
    return VendorStatusClient(
        base_url=settings.vendor_base_url,
        service_key=service_key_loader(
            settings.vendor_service_key_reference,
            max_age=settings.secrets_max_age_seconds,
            load=load,
        ),
        pool=pool if pool is not None else process_pool(),
        timeout_seconds=settings.vendor_timeout_seconds,
        max_attempts=settings.vendor_max_attempts,
        budget_seconds=settings.vendor_budget_seconds,
    )


@cache
def process_pool() -> urllib3.PoolManager:
    return build_pool()


@cache
def process_memory_cache() -> MemoryCache[Remembered]:
    """The memory cache of this process, so that it survives warm invocations."""
    return MemoryCache(max_entries=get_settings().memory_cache_entries, clock=utc_now)


@cache
def default_dependencies() -> LookupDependencies:
    settings = get_settings()
    return build_dependencies(
        settings,
        store=EventStore(dynamodb_client(), settings.events_table_name),
        memory=process_memory_cache(),
        vendor=vendor_client(settings),
    )
