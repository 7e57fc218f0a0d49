"""The simulator over HTTP (loopback): the vendor's routes plus a few of its own.

- ``POST /resources/v1/messaging``: the send API (``key`` header).
- ``GET /resources/v1/messaging/status/{transactionid}``: the status API (``key`` header).
- ``GET /_simulator/stats``: counters (sent, callbacks delivered, retried, dropped ...).
- ``GET /_simulator/transactions/{transactionid}``: the planned lifecycle of one delivery.

A test hook: ``faults`` (the local stack's console arms it) makes the status API answer an
error status, or drop the connection unanswered (status ``DROP_CONNECTION``), to rehearse
the vendor being down; an injected 429 says ``Retry-After``, as the vendor's rate limit does.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Protocol
from urllib.parse import unquote

from simulator.engine import Simulator
from simulator.http_server import LoopbackServer, QuietHandler
from simulator.ledger import SentTransaction

SEND_PATH = "/resources/v1/messaging"
STATUS_PREFIX = "/resources/v1/messaging/status/"
TRANSACTION_PREFIX = "/_simulator/transactions/"
# The route key fault rules name to fail the status API.
STATUS_ROUTE_KEY = "GET /resources/v1/messaging/status/{transactionid}"
# A fault status that closes the connection without an answer (the vendor unreachable).
DROP_CONNECTION = 0
RATE_LIMITED = 429
# Short, so a rehearsed rate limit pauses a local sweep for seconds, not the usual minute.
INJECTED_RETRY_AFTER_SECONDS = 5


class FaultSource(Protocol):
    def take(self, route_key: str) -> int | None: ...


def describe_transaction(
    sent: SentTransaction, deliveries: list[str], *, status_requests: int = 0
) -> dict[str, Any]:
    plan = sent.plan
    return {
        "transid": plan.transid,
        "deliveries": deliveries,
        "parent_transid": plan.parent_transid,
        "channel": plan.profile.name,
        "destination": plan.destination,
        "destination_type": plan.destination_type,
        "correlationid": plan.recipient.correlationid,
        "outcome": plan.outcome,
        "failed": plan.failed,
        "out_of_order": plan.out_of_order,
        "events": [
            {
                "step": event.step,
                "deliveryStatus": event.raw_status,
                "code": event.report.code,
                "description": event.description,
                "occurred_at": event.occurred_at.isoformat(),
            }
            for event in plan.events
        ],
        "callbacks": len(plan.callbacks),
        "duplicates": sum(1 for callback in plan.callbacks if callback.duplicate),
        # Status-API requests answered about this id (injected faults not counted).
        "status_requests": status_requests,
    }


def _make_handler(simulator: Simulator, faults: FaultSource | None) -> type[QuietHandler]:
    class SimulatorHandler(QuietHandler):
        def _headers(self) -> dict[str, str]:
            return {name.lower(): value for name, value in self.headers.items()}

        def _injected_fault(self) -> bool:
            """Answer (or drop) a status request as a fault rule says; False if none applies."""
            fault = faults.take(STATUS_ROUTE_KEY) if faults is not None else None
            if fault is None:
                return False
            if fault == DROP_CONNECTION:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return True
            retry_after = str(INJECTED_RETRY_AFTER_SECONDS)
            headers = [("Retry-After", retry_after)] if fault == RATE_LIMITED else []
            self.send_json(fault, {"message": "injected fault"}, headers=headers)
            return True

        def do_POST(self) -> None:  # noqa: N802
            body = self.read_body()
            if body is None:
                return
            if self.path.split("?", 1)[0].rstrip("/") != SEND_PATH:
                self.send_json(404, {"message": "Not Found"})
                return
            status, answer = simulator.send(body, self._headers())
            self.send_json(status, answer)

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path.startswith(STATUS_PREFIX) and len(path) > len(STATUS_PREFIX):
                if self._injected_fault():
                    return
                transid = unquote(path.removeprefix(STATUS_PREFIX))
                status, answer = simulator.status(transid, self._headers().get("key"))
                self.send_json(status, answer)
            elif path.rstrip("/") == "/_simulator/stats":
                self.send_json(200, simulator.stats())
            elif path.startswith(TRANSACTION_PREFIX):
                transid = unquote(path.removeprefix(TRANSACTION_PREFIX))
                sent = simulator.ledger.get(transid)
                if sent is None:
                    self.send_json(404, {"message": "unknown transaction"})
                else:
                    deliveries = simulator.ledger.deliveries(transid) or [sent.plan.transid]
                    requests = simulator.status_requests_about(transid)
                    self.send_json(
                        200, describe_transaction(sent, deliveries, status_requests=requests)
                    )
            else:
                self.send_json(404, {"message": "Not Found"})

    return SimulatorHandler


def serve_simulator(
    simulator: Simulator,
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    faults: FaultSource | None = None,
) -> LoopbackServer:
    server = LoopbackServer(_make_handler(simulator, faults), port=port, host=host)
    server.start(name="simulator-http")
    return server
