"""The local stack's console: chat-webhook receiver, alerts seen, counters, fault injection,
and the reconcile sweep on demand.

Routes (loopback only, never part of the deployed API):

- ``POST /chat/{name}``: a chat webhook target (Slack, Teams or generic); answers 200.
- ``GET /alerts``: every alert received so far, from the SNS topic and the chat webhooks.
- ``GET /stats``: requests per route and status, the pipe, the SQS poller, the schedules
  (runs, failures, skipped ticks, the last summary), queue depths.
- ``POST /reconcile``: one reconcile pass now, through the reconcile function (after any
  scheduled run in progress). The body may be ``{"at": "<ISO 8601 instant>"}`` to run as
  of that instant (it reaches the handler as the event's ``detail.at``); an empty body runs
  as of now. Answers the handler's summary (200), 400 for a body that is not a JSON object,
  has other fields or an ``at`` that is not an instant with its offset, 503 with a
  ``message`` when the stack has no reconcile function or the handler raised.
- ``GET /faults``, ``POST /faults``, ``DELETE /faults``: make the HTTP API answer an error
  status for the next N requests (or S seconds) of a route, to rehearse a webhook outage.
  Test hooks on the same route: ``{"vendor": "status", "status": 503}`` fails the simulated
  vendor's status API (status 0 drops the connection unanswered); ``{"aws":
  "dynamodb:PutItem", "error": "ProvisionedThroughputExceededException", "match": "..."}``
  makes an AWS call answer that error (``local_stack.aws_faults``). Each takes ``count`` or
  ``seconds``; ``DELETE`` clears them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_stack.alert_sink import AlertLog, alert_from_chat_post
from local_stack.aws_faults import AwsFaultInjector
from local_stack.http_api import FaultInjector
from simulator.http_server import LoopbackServer, QuietHandler
from simulator.server import STATUS_ROUTE_KEY

StatsProvider = Callable[[], dict[str, Any]]
# Runs one reconcile pass with the event's ``detail``; returns the handler's summary.
ReconcileRunner = Callable[[dict[str, Any]], Any]


class ReconcileUnavailableError(RuntimeError):
    """The stack has no reconcile function to run."""


def reconcile_detail(body: bytes) -> dict[str, Any]:
    """The event detail a ``POST /reconcile`` body asks for; ValueError when malformed."""
    if not body.strip():
        return {}
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None
    if not isinstance(request, dict):
        raise ValueError('the body must be a JSON object, such as {"at": "..."}')
    unknown = sorted(set(request) - {"at"})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    if "at" not in request:
        return {}
    at = request["at"]
    # An instant: a date, a time and an offset; a local time names no single instant.
    try:
        parsed = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f'"at" must be an ISO 8601 instant with its offset, not {at!r}')
    return {"at": at}


def _make_handler(
    alerts: AlertLog,
    faults: FaultInjector,
    stats: StatsProvider,
    signing_key: bytes | None,
    vendor_faults: FaultInjector,
    aws_faults: AwsFaultInjector,
    run_reconcile: ReconcileRunner | None,
) -> type[QuietHandler]:
    class ConsoleHandler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/alerts":
                self.send_json(200, {"alerts": [alert.as_dict() for alert in alerts.all()]})
            elif path == "/stats":
                self.send_json(200, stats())
            elif path == "/faults":
                self.send_json(
                    200,
                    {
                        "faults": faults.describe(),
                        "injected": faults.injected,
                        "vendor_faults": vendor_faults.describe(),
                        "aws_faults": aws_faults.describe(),
                    },
                )
            else:
                self.send_json(404, {"message": "Not Found"})

        def do_POST(self) -> None:  # noqa: N802
            body = self.read_body()
            if body is None:
                return
            path = self.path.split("?", 1)[0].rstrip("/")
            if path.startswith("/chat/") and len(path) > len("/chat/"):
                headers = {name.lower(): value for name, value in self.headers.items()}
                name = path.removeprefix("/chat/")
                alerts.add(alert_from_chat_post(name, body, headers, signing_key))
                self.send_json(200, {"ok": True})
            elif path == "/faults":
                self._add_fault(body)
            elif path == "/reconcile":
                self._reconcile(body)
            else:
                self.send_json(404, {"message": "Not Found"})

        def do_DELETE(self) -> None:  # noqa: N802
            if self.path.split("?", 1)[0].rstrip("/") == "/faults":
                faults.clear()
                vendor_faults.clear()
                aws_faults.clear()
                self.send_json(200, {"faults": []})
            else:
                self.send_json(404, {"message": "Not Found"})

        def _add_fault(self, body: bytes) -> None:
            try:
                request = json.loads(body or b"{}")
                count = int(request["count"]) if "count" in request else None
                seconds = float(request["seconds"]) if "seconds" in request else None
                if "aws" in request:
                    aws_faults.add(
                        str(request["aws"]),
                        str(request.get("error", "InternalServerError")),
                        status=int(request["status"]) if "status" in request else None,
                        match=_match_pieces(request.get("match")),
                        count=count,
                        seconds=seconds,
                    )
                elif "vendor" in request:
                    if request["vendor"] != "status":
                        raise ValueError('the vendor fault applies to "status" only')
                    vendor_faults.add(
                        STATUS_ROUTE_KEY,
                        int(request.get("status", 503)),
                        count=count,
                        seconds=seconds,
                    )
                else:
                    faults.add(
                        str(request.get("route", "*")),
                        int(request.get("status", 503)),
                        count=count,
                        seconds=seconds,
                    )
            except (ValueError, TypeError, AttributeError) as error:
                self.send_json(400, {"message": f"bad fault: {error}"})
                return
            self.send_json(
                201,
                {
                    "faults": faults.describe(),
                    "vendor_faults": vendor_faults.describe(),
                    "aws_faults": aws_faults.describe(),
                },
            )

        def _reconcile(self, body: bytes) -> None:
            try:
                detail = reconcile_detail(body)
            except ValueError as error:
                self.send_json(400, {"message": f"bad reconcile request: {error}"})
                return
            if run_reconcile is None:
                self.send_json(503, {"message": "this stack has no reconcile function"})
                return
            try:
                summary = run_reconcile(detail)
            except ReconcileUnavailableError as error:
                self.send_json(503, {"message": str(error)})
                return
            except Exception as error:
                # The stack's log has the traceback; the caller gets what failed.
                self.send_json(
                    503, {"message": f"the reconcile run failed: {type(error).__name__}: {error}"}
                )
                return
            # Whatever the handler returned, answered as JSON (default=str for the odd value).
            self.send_json(200, json.loads(json.dumps(summary, default=str)))

    return ConsoleHandler


def _match_pieces(value: Any) -> tuple[str, ...]:
    """A fault's ``match``: one piece of text, or a list of pieces that must all appear."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(piece) for piece in value)
    return (str(value),)


def serve_console(
    alerts: AlertLog,
    faults: FaultInjector,
    stats: StatsProvider,
    port: int,
    host: str,
    *,
    signing_key: bytes | None = None,
    vendor_faults: FaultInjector | None = None,
    aws_faults: AwsFaultInjector | None = None,
    run_reconcile: ReconcileRunner | None = None,
) -> LoopbackServer:
    """Serve the console; ``signing_key`` checks the generic chat webhook's signatures and
    ``run_reconcile`` runs one reconcile pass for ``POST /reconcile``."""
    handler = _make_handler(
        alerts,
        faults,
        stats,
        signing_key,
        vendor_faults if vendor_faults is not None else FaultInjector(),
        aws_faults if aws_faults is not None else AwsFaultInjector(),
        run_reconcile,
    )
    server = LoopbackServer(handler, port=port, host=host)
    server.start(name="console")
    return server
