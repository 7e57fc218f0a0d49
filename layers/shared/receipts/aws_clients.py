"""Lazily created, cached boto3 clients with timeouts sized for a 10 s webhook budget.

boto3 honours ``AWS_ENDPOINT_URL``, which is how the local stack points the same code at its
embedded AWS; nothing here knows whether it runs in Lambda.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient
else:
    DynamoDBClient = SNSClient = SQSClient = Any


def _config() -> Any:
    from botocore.config import Config

    # Three attempts of at most ~3 s each stay inside the platform's 10 s callback timeout.
    return Config(
        connect_timeout=1,
        read_timeout=2,
        # total_max_attempts counts the first try; botocore's max_attempts counts retries only.
        retries={"mode": "standard", "total_max_attempts": 3},
        tcp_keepalive=True,
    )


def new_client(service: str) -> Any:
    """A new client of boto3's default session (for a caller that keeps it, e.g. a provider)."""
    import boto3

    return boto3.client(service, config=_config())


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3

    client: DynamoDBClient = boto3.client("dynamodb", config=_config())
    return client


@cache
def sns_client() -> SNSClient:
    import boto3

    client: SNSClient = boto3.client("sns", config=_config())
    return client


@cache
def sqs_client() -> SQSClient:
    import boto3

    client: SQSClient = boto3.client("sqs", config=_config())
    return client
