"""What the handler needs, built once per container on first use, or injected by tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from ingest.adapters import TableCallbackStore, secret_source
from ingest.authentication import SecretSource, build_authenticator, credential_headers
from ingest.service import CallbackIngestor, CallbackStore
from ingest.settings import AuthMode, IngestSettings, get_settings
from receipts.aws_clients import dynamodb_client
from receipts.storage import EventStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _no_secrets() -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class IngestDependencies:
    settings: IngestSettings
    store: CallbackStore
    secrets: SecretSource = _no_secrets
    clock: Callable[[], datetime] = field(default=_utc_now)

    @cached_property
    def ingestor(self) -> CallbackIngestor:
        """Built once per container: the secrets themselves are read on every request."""
        return CallbackIngestor(
            store=self.store,
            authenticator=build_authenticator(self.settings, self.secrets),
            max_body_bytes=self.settings.max_callback_bytes,
            credential_headers=credential_headers(self.settings),
        )


def table_store(client: DynamoDBClient, settings: IngestSettings) -> TableCallbackStore:
    """The events table of ``settings`` behind ``client`` (boto3's, or a test's stand-in)."""
    return TableCallbackStore(
        EventStore(
            client, settings.events_table_name, retention=timedelta(days=settings.retention_days)
        )
    )


@cache
def default_dependencies() -> IngestDependencies:
    """The deployed wiring: settings from the environment, boto3 clients, secrets via SSM/SM."""
    settings = get_settings()
    secrets = (
        _no_secrets
        if settings.auth_mode is AuthMode.NONE
        else secret_source(
            settings.secret_reference, max_age_seconds=settings.secrets_max_age_seconds
        )
    )
    return IngestDependencies(
        settings=settings, store=table_store(dynamodb_client(), settings), secrets=secrets
    )
