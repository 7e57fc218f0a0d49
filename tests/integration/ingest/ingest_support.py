"""Helpers for the ingest integration tests: vendor events, signatures, answers, EMF lines."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tests.fakes.lambda_context import FakeLambdaContext as LambdaContext

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
CALLBACK_EVENTS = sorted((EVENTS_DIR / "http" / "callbacks").glob("*.json"))
FIRST_SECRET = "first-callback-secret"
SECOND_SECRET = "second-callback-secret"
SECRET_REFERENCE = "ssm:/imiconnect-receipts/test/callback-secret"


def http_event(name: str) -> dict[str, Any]:
    """A fresh copy of a vendor HTTP API event: ``04-sms-failed``, ``callbacks-probe-head``..."""
    path = EVENTS_DIR / "http" / "callbacks" / f"{name}.json"
    if not path.exists():
        path = EVENTS_DIR / "http" / f"{name}.json"
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def hub_signature(
    body: bytes | str, secret: str = FIRST_SECRET, algorithm: str = "sha256", prefix: bool = True
) -> str:
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), raw, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}" if prefix else digest


def signed(event: dict[str, Any], secret: str = FIRST_SECRET, **options: Any) -> dict[str, Any]:
    """``event`` with an x-hub-signature over its body as sent (decoded when base64)."""
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    event["headers"]["x-hub-signature"] = hub_signature(raw, secret, **options)
    return event


def with_body(
    event: dict[str, Any], body: bytes | str, *, base64_encoded: bool = False
) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    if base64_encoded:
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = raw.decode()
        event["isBase64Encoded"] = False
    return event


def basic_authorization(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


FakeLambdaContext = partial(
    LambdaContext,
    function_name="ingest-test",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:ingest-test",
    aws_request_id="00000000-0000-0000-0000-000000000001",
    log_group_name="/aws/lambda/ingest-test",
    remaining_millis=8000,
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    raw_body: str

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json["error"]
        return error


def emf_metrics(output: str) -> list[dict[str, Any]]:
    """The EMF blobs Powertools printed, one dict per flushed metric set."""
    blobs = []
    for line in output.splitlines():
        if line.startswith('{"_aws"'):
            blobs.append(json.loads(line))
    return blobs


def metric_total(output: str, name: str) -> float:
    return sum(sum(blob.get(name, [])) for blob in emf_metrics(output))
