"""Fixtures for driving the real ingest handler against the events table under moto."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.integration.ingest.ingest_support import (
    FIRST_SECRET,
    SECOND_SECRET,
    SECRET_REFERENCE,
    Answer,
    FakeLambdaContext,
)

from ingest.dependencies import IngestDependencies, default_dependencies, table_store
from ingest.handler import lambda_handler
from ingest.observability import logger
from ingest.settings import IngestSettings, get_settings, settings_from


@pytest.fixture
def received_at() -> datetime:
    """The instant every callback of a test arrives at (TTLs stay in the future)."""
    return datetime.now(UTC).replace(microsecond=123000)


@pytest.fixture
def make_settings(events_table: str) -> Callable[..., IngestSettings]:
    def make(**environment: str) -> IngestSettings:
        return settings_from(
            {
                "EVENTS_TABLE_NAME": events_table,
                "CALLBACK_AUTH_MODE": "hub-signature",
                "CALLBACK_SECRET_REFERENCE": SECRET_REFERENCE,
                "RETENTION_DAYS": "90",
                **environment,
            }
        )

    return make


@pytest.fixture
def make_dependencies(
    dynamodb_client: Any, make_settings: Callable[..., IngestSettings], received_at: datetime
) -> Callable[..., IngestDependencies]:
    """Dependencies on the moto table; secrets and settings chosen per test."""

    def make(
        *,
        secrets: tuple[str, ...] = (FIRST_SECRET, SECOND_SECRET),
        client: Any = None,
        **environment: str,
    ) -> IngestDependencies:
        settings = make_settings(**environment)
        return IngestDependencies(
            settings=settings,
            store=table_store(client or dynamodb_client, settings),
            secrets=lambda: secrets,
            clock=lambda: received_at,
        )

    return make


@pytest.fixture
def dependencies(make_dependencies: Callable[..., IngestDependencies]) -> IngestDependencies:
    return make_dependencies()


@pytest.fixture
def invoke() -> Callable[..., Answer]:
    """Call the deployed entry point (decorators included) and read its answer."""

    def call(event: dict[str, Any], dependencies: IngestDependencies | None = None) -> Answer:
        response = lambda_handler(event, FakeLambdaContext(), dependencies=dependencies)
        assert set(response) >= {"statusCode", "headers", "body"}
        return Answer(
            status=response["statusCode"], headers=response["headers"], raw_body=response["body"]
        )

    return call


@pytest.fixture
def fresh_default_wiring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget cached settings, clients and secrets so the environment of one test applies."""
    from aws_lambda_powertools.utilities import parameters

    from receipts.aws_clients import dynamodb_client

    def forget() -> None:
        get_settings.cache_clear()
        default_dependencies.cache_clear()
        dynamodb_client.cache_clear()
        parameters.clear_caches()

    forget()
    yield
    forget()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Every line the function logs, formatted (and masked) exactly as Lambda would print it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)
