"""The production collaborators, built on first use from the settings and kept per process.

Nothing here runs at import time: the handler asks for :func:`default_dependencies` on its
first call, and tests pass collaborators of their own instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import urllib3

from lookup.auth import ApiKeyVerifier
from lookup.memory_cache import MemoryCache
from lookup.service import CachePolicy, LookupService, LookupStore, Remembered
from lookup.settings import LookupSettings, get_settings
from receipts.aws_clients import new_client
from receipts.deadline import Deadline
from receipts.secret_values import load_secrets
from receipts.storage import EventStore, keys
from receipts.vendor import SecretsLoader, VendorStatusClient, build_pool, service_key_loader

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from lookup.registration import TransactionRegistrar, WatchRegistry
    from lookup.reports import CounterReader, ReportService
    from lookup.suppressions import SuppressionRegisters, SuppressionService
else:
    DynamoDBClient = Any

# What the vendor's logs see: the lookup's calls, told apart from the reconcile sweep's.
VENDOR_USER_AGENT = "imiconnect-receipts-lookup/1"


@dataclass(frozen=True, slots=True)
class LookupDependencies:
    service: LookupService
    api_keys: ApiKeyVerifier
    # POST /v1/reconcile's; None where nothing registers ids (benchmarks, some tests).
    registrar: TransactionRegistrar | None = None
    # GET /v1/reports/...'s; None where no counters are read (benchmarks, some tests).
    reports: ReportService | None = None
    # /v1/suppressions...'s; None where no suppression list is read (benchmarks, some tests).
    suppressions: SuppressionService | None = None
    # Each request's deadline: the function's remaining time less this margin, at most the
    # ceiling (the ceiling alone when the invocation has no clock).
    deadline_margin_seconds: float = 2.0
    request_budget_seconds: float = 22.0

    def deadline_for(self, context: object) -> Deadline:
        return Deadline.for_invocation(
            context,
            margin_seconds=self.deadline_margin_seconds,
            ceiling_seconds=self.request_budget_seconds,
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_dependencies(
    settings: LookupSettings,
    *,
    store: LookupStore,
    memory: MemoryCache[Remembered],
    vendor: VendorStatusClient,
    watches: WatchRegistry | None = None,
    counters: CounterReader | None = None,
    registers: SuppressionRegisters | None = None,
    load: SecretsLoader = load_secrets,
    clock: Callable[[], datetime] = utc_now,
) -> LookupDependencies:
    policy = CachePolicy(
        final_fresh_for=settings.final_fresh_for,
        non_final_fresh_for=settings.non_final_fresh_for,
        stale_for=settings.stale_for,
        not_found_fresh_for=settings.not_found_fresh_for,
    )
    service = LookupService(
        store=store,
        status_api=vendor,
        memory=memory,
        policy=policy,
        clock=clock,
        table_call_seconds=settings.table_call_seconds,
    )
    reference, max_age = settings.lookup_api_keys_reference, settings.secrets_max_age_seconds
    return LookupDependencies(
        service=service,
        api_keys=ApiKeyVerifier(lambda: load(reference, max_age=max_age)),
        registrar=build_registrar(settings, store=store, watches=watches, clock=clock)
        if watches is not None
        else None,
        reports=build_reports(settings, counters=counters) if counters is not None else None,
        suppressions=build_suppressions(settings, registers=registers, clock=clock)
        if registers is not None
        else None,
        deadline_margin_seconds=settings.deadline_margin_seconds,
        request_budget_seconds=settings.request_budget_seconds,
    )


def build_registrar(
    settings: LookupSettings,
    *,
    store: LookupStore,
    watches: WatchRegistry,
    clock: Callable[[], datetime],
) -> TransactionRegistrar:
    # Imported here, not with the module: importing the handler costs what it did before
    # the route existed.
    from lookup.registration import RegistrationPolicy, TransactionRegistrar

    return TransactionRegistrar(
        events=store,
        watches=watches,
        policy=RegistrationPolicy(
            first_ask_after=settings.reconcile_after, horizon=settings.reconcile_horizon
        ),
        clock=clock,
        table_call_seconds=settings.table_call_seconds,
    )


def build_reports(settings: LookupSettings, *, counters: CounterReader) -> ReportService:
    from lookup.reports import ReportService  # see build_registrar()

    return ReportService(counters, table_call_seconds=settings.table_call_seconds)


def build_suppressions(
    settings: LookupSettings, *, registers: SuppressionRegisters, clock: Callable[[], datetime]
) -> SuppressionService:
    from lookup.suppressions import SuppressionService  # see build_registrar()

    return SuppressionService(
        registers, clock=clock, table_call_seconds=settings.table_call_seconds
    )


def table_client(settings: LookupSettings) -> DynamoDBClient:
    """A DynamoDB client whose every call has a known longest duration.

    botocore fixes timeouts per client, not per call: they are set so that one call, all
    attempts and pauses included, takes at most ``settings.table_call_seconds``, and the
    service starts no call that could outlast the request's deadline.
    """
    client: DynamoDBClient = new_client(
        "dynamodb",
        connect_timeout=settings.table_connect_timeout_seconds,
        read_timeout=settings.table_timeout_seconds,
        total_max_attempts=settings.table_max_attempts,
        # A correlation search queries every write shard at once; with fewer connections
        # the queries would wait in line and one search would take several calls' time.
        max_pool_connections=keys.WRITE_SHARDS,
    )
    return client


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
        user_agent=VENDOR_USER_AGENT,
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
    from receipts.storage.aggregates import AggregateStore  # see build_registrar()
    from receipts.storage.suppressions import SuppressionStore
    from receipts.storage.watches import WatchStore

    settings = get_settings()
    client = table_client(settings)
    return build_dependencies(
        settings,
        store=EventStore(client, settings.events_table_name),
        memory=process_memory_cache(),
        vendor=vendor_client(settings),
        watches=WatchStore(client, settings.events_table_name, retention=settings.retention),
        counters=AggregateStore(client, settings.events_table_name, retention=settings.retention),
        registers=SuppressionStore(
            client, settings.events_table_name, retention=settings.retention
        ),
    )
