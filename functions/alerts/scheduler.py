"""Delayed digest markers, sent to the alerts queue itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from alerts.model import DigestMarker

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
else:
    SQSClient = Any

# SQS delays a message by at most 15 minutes; longer windows chain several markers.
MAX_DELAY_SECONDS = 900


class DigestScheduler(Protocol):
    def schedule(self, marker: DigestMarker, delay_seconds: int) -> None: ...


class SqsDigestScheduler:
    def __init__(self, queue_url: str, client: Callable[[], SQSClient]) -> None:
        self._queue_url = queue_url
        self._client = client

    def schedule(self, marker: DigestMarker, delay_seconds: int) -> None:
        self._client().send_message(
            QueueUrl=self._queue_url,
            MessageBody=marker.to_body(),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
        )
