"""AWS fault injection for the local stack (a test hook, never part of the deployed product).

Rehearses what the embedded AWS cannot do by itself: a throttled table, a failing topic, a
queue that refuses messages. A rule names an operation (``dynamodb:PutItem``), the error
the service answers (``ProvisionedThroughputExceededException``) and how long it lasts (a
number of requests, or seconds); ``match`` narrows it to requests whose body contains a
piece of text, or several (``"TX#`` for the webhook's event writes only, a queue's name and
a transaction id).

The rules are checked at botocore's ``before-send`` event of the sessions they are
installed on (the functions' default session, the stack's own), so the answer takes the
path a real error answer takes: botocore parses it, retries it per its retry mode, and the
caller sees the same ``ClientError`` it would see from AWS.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_HANDLER_ID_PREFIX = "local-stack-aws-faults"


@dataclass
class AwsFaultRule:
    operation: str  # "dynamodb:PutItem" (service:Operation, as in IAM), or "sns:*"
    error_code: str
    status: int
    match: tuple[str, ...]  # every piece must be in the request's body
    remaining: int | None  # None: until ``until``
    until: float | None  # time.monotonic() deadline, None: until ``remaining`` runs out

    def applies_to(self, service: str, operation: str, body: str) -> bool:
        wanted_service, _, wanted_operation = self.operation.partition(":")
        if wanted_service.lower() != service.lower():
            return False
        if wanted_operation not in ("*", operation):
            return False
        return all(piece in body for piece in self.match)


def default_status(error_code: str) -> int:
    """Throttling is a 400 in every AWS protocol; anything else is a server error here."""
    throttled = ("Throttl", "ProvisionedThroughputExceeded", "RequestLimitExceeded")
    return 400 if any(marker in error_code for marker in throttled) else 500


class _RawBody:
    """What botocore reads an HTTP body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def error_response(request: Any, error_code: str, status: int) -> Any:
    """An AWS error answer in the request's protocol (JSON for X-Amz-Target, else XML)."""
    from botocore.awsrequest import AWSResponse

    request_id = str(uuid.uuid4())
    message = "injected by the local stack's fault console"
    headers = {"x-amzn-RequestId": request_id}
    request_headers = {name.lower(): value for name, value in request.headers.items()}
    if "x-amz-target" in request_headers:
        body = json.dumps({"__type": error_code, "message": message}).encode()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        # SQS's JSON protocol is query-compatible: the code travels in this header too.
        headers["x-amzn-query-error"] = f"{error_code};Sender"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{error_code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers["Content-Type"] = "text/xml"
    return AWSResponse(request.url, status, headers, _RawBody(body))


@dataclass
class AwsFaultInjector:
    clock: Callable[[], float] = time.monotonic
    _rules: list[AwsFaultRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sessions: list[tuple[Any, str]] = field(default_factory=list)
    injected: int = 0

    def add(
        self,
        operation: str,
        error_code: str,
        *,
        status: int | None = None,
        match: str | Sequence[str] = (),
        count: int | None = None,
        seconds: float | None = None,
    ) -> None:
        service, separator, name = operation.partition(":")
        if not (service and separator and name):
            raise ValueError(f"an AWS fault names service:Operation, not {operation!r}")
        if not error_code:
            raise ValueError("an AWS fault needs the error code the service answers")
        if count is None and seconds is None:
            raise ValueError("a fault needs a count or a duration")
        until = self.clock() + seconds if seconds is not None else None
        rule = AwsFaultRule(
            operation=operation,
            error_code=error_code,
            status=status if status is not None else default_status(error_code),
            match=(match,) if isinstance(match, str) else tuple(match),
            remaining=count,
            until=until,
        )
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, service: str, operation: str, body: str) -> AwsFaultRule | None:
        """The rule that fails this request (counting it), or None."""
        now = self.clock()
        with self._lock:
            self._rules = [
                rule
                for rule in self._rules
                if (rule.remaining is None or rule.remaining > 0)
                and (rule.until is None or now < rule.until)
            ]
            for rule in self._rules:
                if rule.applies_to(service, operation, body):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.injected += 1
                    return rule
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "aws": rule.operation,
                    "error": rule.error_code,
                    "status": rule.status,
                    "match": list(rule.match),
                    "remaining": rule.remaining,
                }
                for rule in self._rules
            ]

    # ---- botocore wiring ------------------------------------------------------------------

    def before_send(self, request: Any, event_name: str = "", **_: Any) -> Any:
        # event_name is "before-send.<service>.<Operation>"
        parts = event_name.split(".")
        if len(parts) < 3:
            return None
        service, operation = parts[1], parts[2]
        body = request.body
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        rule = self.take(service, operation, text)
        if rule is None:
            return None
        return error_response(request, rule.error_code, rule.status)

    def install(self, session: Any) -> None:
        """Check the rules on every request of clients created from ``session`` from now on.

        ``session`` is a boto3 session; botocore copies a session's handlers into
        each client it creates, so clients created earlier are not affected.
        """
        events = session.events
        unique_id = f"{_HANDLER_ID_PREFIX}-{id(self)}"
        events.register("before-send", self.before_send, unique_id=unique_id)
        self._sessions.append((events, unique_id))

    def uninstall(self) -> None:
        for events, unique_id in self._sessions:
            events.unregister("before-send", unique_id=unique_id)
        self._sessions.clear()
