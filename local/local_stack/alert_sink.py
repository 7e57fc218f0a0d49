"""Where alerts land locally: the SNS topic's messages and the chat webhooks' posts.

An SQS queue subscribed to the alert topic stands in for the team's email subscriptions;
a loopback HTTP receiver stands in for Slack, Teams or a generic webhook. Both print what
arrives and keep it, so the console (and the end-to-end tests) can show it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_stack.worker import BackgroundWorker

# Not "...alerts": Powertools drops root-handler records whose logger name contains a
# function's service name ("alerts", "ingest", "lookup").
LOGGER = logging.getLogger("local_stack.sink")

MAX_KEPT = 1000


@dataclass(frozen=True)
class ReceivedAlert:
    target: str  # "sns" or "chat:<name>"
    subject: str
    message: str
    received_at: str
    headers: dict[str, str] = field(default_factory=dict)
    # For a signed (generic) webhook: "valid" or "invalid"; empty when not signed.
    signature: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlertLog:
    """The alerts received so far (the most recent ``MAX_KEPT``), printed as they come."""

    def __init__(self, *, echo: bool = True, max_kept: int = MAX_KEPT) -> None:
        self._alerts: deque[ReceivedAlert] = deque(maxlen=max_kept)
        self._lock = threading.Lock()
        self._echo = echo
        self.total = 0

    def add(self, alert: ReceivedAlert) -> None:
        with self._lock:
            self._alerts.append(alert)
            self.total += 1
        if not self._echo:
            return
        if alert.target == "sns":
            LOGGER.info("ALERT via SNS: %s\n%s", alert.subject, _indent(alert.message))
        else:
            signed = f" (signature {alert.signature})" if alert.signature else ""
            LOGGER.info("ALERT via %s%s: %s", alert.target, signed, alert.subject or "(no text)")

    def all(self) -> list[ReceivedAlert]:
        with self._lock:
            return list(self._alerts)


def _indent(text: str, limit: int = 20) -> str:
    lines = text.splitlines() or [""]
    shown = lines[:limit] + (
        [f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else []
    )
    return "\n".join(f"    {line}" for line in shown)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def alert_from_sns_envelope(body: str) -> ReceivedAlert:
    """An SNS notification as delivered to an SQS subscriber (not raw delivery)."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return ReceivedAlert("sns", "", body, _now())
    if not isinstance(envelope, dict):
        return ReceivedAlert("sns", "", body, _now())
    return ReceivedAlert(
        target="sns",
        subject=str(envelope.get("Subject") or ""),
        message=str(envelope.get("Message") or ""),
        received_at=_now(),
    )


def standard_webhook_signature_is_valid(
    key: bytes, headers: Mapping[str, str], body: bytes
) -> bool:
    """Check ``webhook-signature`` (Standard Webhooks) against the shared key."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    presented = headers.get("webhook-signature", "").split()
    return any(
        hmac.compare_digest(candidate.partition(",")[2], expected)
        for candidate in presented
        if candidate.startswith("v1,")
    )


def alert_from_chat_post(
    name: str, body: bytes, headers: Mapping[str, str], signing_key: bytes | None = None
) -> ReceivedAlert:
    """A chat webhook post: Slack/Teams carry ``text``, a generic webhook its own JSON."""
    text = body.decode("utf-8", errors="replace")
    subject = ""
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, (dict, list)):
        subject = _subject(payload)
        text = json.dumps(payload, indent=2, ensure_ascii=False)
    signature = ""
    if "webhook-signature" in headers:
        valid = signing_key is not None and standard_webhook_signature_is_valid(
            signing_key, headers, body
        )
        signature = "valid" if valid else "invalid"
    return ReceivedAlert(f"chat:{name}", subject, text, _now(), dict(headers), signature)


def _subject(payload: Any) -> str:
    """The first line of text a person would see first in the post (depth first)."""
    if isinstance(payload, Mapping):
        data = payload.get("data")
        if isinstance(payload.get("type"), str) and isinstance(data, Mapping):
            # A generic (Standard Webhooks) event: its type and the fields that identify it.
            fields = ("channel", "status", "code", "transid", "alerts")
            details = [f"{name}={data[name]}" for name in fields if data.get(name) is not None]
            return " ".join([payload["type"], *details])
        for key in ("subject", "title", "summary", "text"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value.splitlines()[0]
        children: list[Any] = list(payload.values())
    elif isinstance(payload, list):
        children = payload
    else:
        return ""
    for child in children:
        found = _subject(child)
        if found:
            return found
    return ""


class SnsSink(BackgroundWorker):
    """Drains the queue subscribed to the alert topic into the alert log."""

    def __init__(self, queue_url: str, sqs_client: Any, log: AlertLog) -> None:
        super().__init__(thread_name="sns-sink", stop_wait_seconds=10, warn_if_left_running=False)
        self.queue_url = queue_url
        self._sqs = sqs_client
        self._log = log

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self._sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                )
                for message in answer.get("Messages", []):
                    self._log.add(alert_from_sns_envelope(message.get("Body", "")))
                    self._sqs.delete_message(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            except Exception:
                if self._stop.is_set():
                    return
                LOGGER.exception("reading the alert topic's queue failed; retrying")
                self._stop.wait(1)
