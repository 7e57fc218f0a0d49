"""Test doubles for the alerts function: a settable clock, targets and a scheduler."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from tests.fakes.lambda_context import FakeLambdaContext as LambdaContext

from alerts.errors import TargetError, TargetRefusedError
from alerts.model import DigestMarker, Notice
from receipts.models.callback import DeliveryEvent
from receipts.storage import EventStore
from receipts.storage.alert_records import matches_alert_filter, pipe_message_from_stream_record

REPO_ROOT = Path(__file__).resolve().parents[3]
EVENTS_DIR = REPO_ROOT / "events"
SQS_EVENTS_DIR = EVENTS_DIR / "sqs"


class FakeClock:
    def __init__(self, now: datetime = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingTarget:
    """Records what it is sent; fails the next ``failures`` sends when told to, and refuses
    the next ``refusals`` for good (as a webhook answering 404 would)."""

    minimum_seconds = 0.0

    def __init__(
        self, name: str, *, failures: int = 0, retryable: bool = True, refusals: int = 0
    ) -> None:
        self.name = name
        self.failures = failures
        self.retryable = retryable
        self.refusals = refusals
        self.sent: list[Notice] = []
        self.attempts = 0

    def send(self, notice: Notice, deadline: float) -> None:
        self.attempts += 1
        if self.refusals > 0:
            self.refusals -= 1
            raise TargetRefusedError(self.name, "HTTP 404 no_service")
        if self.failures > 0:
            self.failures -= 1
            raise TargetError(self.name, "scripted failure", retryable=self.retryable)
        self.sent.append(notice)


@dataclass(frozen=True)
class ToldRefusal:
    target: str
    reason: str
    message_id: str


@dataclass
class RecordingOperations:
    """Keeps what the operations topic would be told; fails the next ``failures`` times."""

    told: list[ToldRefusal] = field(default_factory=list)
    failures: int = 0

    def target_refused(self, target: str, reason: str, notice: Notice) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("scripted operations topic failure")
        self.told.append(ToldRefusal(target, reason, notice.message_id))


@dataclass
class RecordingScheduler:
    """Keeps the markers instead of delaying them on a queue; can be told to fail."""

    markers: list[tuple[DigestMarker, int]] = field(default_factory=list)
    failures: int = 0

    def schedule(self, marker: DigestMarker, delay_seconds: int) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("scripted scheduler failure")
        self.markers.append((marker, delay_seconds))

    def take(self) -> list[DigestMarker]:
        taken = [marker for marker, _ in self.markers]
        self.markers.clear()
        return taken


def load_sqs_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SQS_EVENTS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def alert_body(sample: str) -> str:
    """The alerts-queue body of one failure sample (from the generated events)."""
    body: str = load_sqs_event(f"alert-{sample}.json")["Records"][0]["body"]
    return body


def body_for_transid(sample: str, transid: str) -> str:
    """A failure sample's queue body with another transid: a distinct alert of its kind."""
    record = json.loads(alert_body(sample))
    image = record["dynamodb"]["NewImage"]
    payload = json.loads(zlib.decompress(base64.b64decode(image["raw"]["B"])))
    payload["deliveryInfoNotification"]["transid"] = transid
    image["raw"]["B"] = zlib.compress(json.dumps(payload).encode())
    return pipe_message_from_stream_record(record)


def stored_event_body(
    event: DeliveryEvent,
    *,
    received_at: datetime = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),
) -> str:
    """The alerts-queue body of any event the table stores flagged for alerting (a status-API
    failure, a horizon closure): its item as the store writes it, in a stream record."""
    store = EventStore(client=None, table_name="events")  # type: ignore[arg-type]
    item = store.event_item(event, received_at=received_at, gtrid=None, alert=True)
    record = {
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": item["pk"], "sk": item["sk"]},
            "NewImage": item,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    assert matches_alert_filter(record)
    return pipe_message_from_stream_record(record)


def sqs_event(*bodies: str, first_id: int = 1) -> dict[str, Any]:
    """An SQS event with one record per body; messageIds are ``m-<n>``."""
    return {
        "Records": [
            {
                "messageId": f"m-{first_id + index}",
                "receiptHandle": f"handle-{first_id + index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1714557600000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


FakeLambdaContext = partial(
    LambdaContext,
    function_name="alerts",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:alerts",
    remaining_millis=30_000,
)


def failed_ids(response: dict[str, Any]) -> list[str]:
    return sorted(item["itemIdentifier"] for item in response["batchItemFailures"])
