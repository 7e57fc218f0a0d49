"""Fixtures shared by every suite: fake AWS credentials, and the events table under moto."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from local_stack.template import table_definition, time_to_live_attribute


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials, one region, no endpoint override."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "imiconnect-receipts-tests")
    monkeypatch.setenv("POWERTOOLS_DEV", os.environ.get("POWERTOOLS_DEV", "false"))


@pytest.fixture
def mocked_aws() -> Iterator[None]:
    from moto import mock_aws

    from local_stack import moto_transactions

    # One table copy per transaction, as the local stack has it (see the module).
    moto_transactions.install()
    with mock_aws():
        yield


@pytest.fixture
def dynamodb_client(mocked_aws: None) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def events_table(dynamodb_client: Any) -> str:
    """The events table exactly as template.yaml declares it, TTL included."""
    name = "events-test"
    dynamodb_client.create_table(TableName=name, **table_definition())
    dynamodb_client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": time_to_live_attribute()},
    )
    return name


@pytest.fixture
def event_store(dynamodb_client: Any, events_table: str) -> Any:
    from receipts.storage import EventStore

    return EventStore(dynamodb_client, events_table, retention=timedelta(days=90))
