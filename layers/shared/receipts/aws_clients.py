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


def client_config(
    *,
    connect_timeout: float = 1,
    read_timeout: float = 2,
    total_max_attempts: int = 3,
    max_pool_connections: int = 10,
) -> Any:
    from botocore.config import Config

    # By default three attempts of at most ~3 s each stay inside the platform's 10 s
    # callback timeout.
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # total_max_attempts counts the first try; botocore's max_attempts counts retries only.
        retries={"mode": "standard", "total_max_attempts": total_max_attempts},
        tcp_keepalive=True,
        max_pool_connections=max_pool_connections,
    )


def new_client(
    service: str,
    *,
    connect_timeout: float = 1,
    read_timeout: float = 2,
    total_max_attempts: int = 3,
    max_pool_connections: int = 10,
) -> Any:
    """A new client of boto3's default session, for a caller that keeps it (a provider, or a
    function that bounds its calls by other timeouts than the webhook's).

    ``max_pool_connections`` (botocore's default is 10) is how many calls may be in flight
    at once without churn; past it, botocore opens extra connections and drops them after use
    (with a "Connection pool is full" warning).
    """
    import boto3

    config = client_config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        total_max_attempts=total_max_attempts,
        max_pool_connections=max_pool_connections,
    )
    return boto3.client(service, config=config)


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3

    client: DynamoDBClient = boto3.client("dynamodb", config=client_config())
    return client


@cache
def sns_client() -> SNSClient:
    import boto3

    client: SNSClient = boto3.client("sns", config=client_config())
    return client


@cache
def sqs_client() -> SQSClient:
    import boto3

    client: SQSClient = boto3.client("sqs", config=client_config())
    return client
