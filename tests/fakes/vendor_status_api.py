"""A scriptable stand-in for the vendor's transaction status API, on 127.0.0.1.

Runs a small threaded HTTP/1.1 server (keep-alive, so connection re-use can be observed) on
a free port. By default it behaves like the vendor: the service key in the ``key`` header,
7002 without one, 7001 with a wrong one, 7600 for an id it does not know. Tests script the
answers for an id (a status, a body, headers, a delay, a dropped connection) and read back
how many requests and connections it saw.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

STATUS_PREFIX = "/resources/v1/messaging/status/"
EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
DEFAULT_SERVICE_KEY = "fake-vendor-service-key"


def vendor_error(code: str) -> dict[str, str]:
    """A vendor error body from ``events/status_api/errors`` (``{"code", "description"}``)."""
    for path in (EVENTS_DIR / "status_api" / "errors").glob(f"{code}-*.json"):
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return {"code": code, "description": "made-up code for a test"}


def transaction_answer(
    transid: str, *, status: str = "sent", sample: str = "01-sms", **fields: Any
) -> list[dict[str, Any]]:
    """A success body: the vendor's sample transaction with this id, status and fields."""
    path = EVENTS_DIR / "status_api" / f"{sample}.json"
    transaction = json.loads(path.read_text(encoding="utf-8"))[0]
    transaction.update(transactionid=transid, status=status, **fields)
    return [transaction]


@dataclass(frozen=True)
class Answer:
    """One scripted reply. ``body`` that is not bytes or str is sent as JSON."""

    status: int = 200
    body: Any = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    drop_connection: bool = False

    def encoded_body(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    transid: str
    headers: dict[str, str]


class FakeVendorStatusApi:
    def __init__(
        self, *, service_key: str = DEFAULT_SERVICE_KEY, error_http_status: int = 400
    ) -> None:
        self.service_key = service_key
        # The vendor's HTTP status for its own error codes is not documented; tests vary it.
        self.error_http_status = error_http_status
        self._scripts: dict[str, deque[Answer]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._connections = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- life cycle ---------------------------------------------------------------------

    def start(self) -> FakeVendorStatusApi:
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        # A short poll keeps stop() quick: shutdown waits for the serving loop's next poll.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeVendorStatusApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake vendor is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- scripting ----------------------------------------------------------------------

    def script(self, transid: str, *answers: Answer) -> None:
        """Answer the next requests for ``transid`` in this order; the last one repeats."""
        if not answers:
            raise ValueError("script at least one answer")
        with self._lock:
            self._scripts[transid] = deque(answers)

    def set_status(self, transid: str, status: str = "sent", **fields: Any) -> None:
        self.script(transid, Answer(body=transaction_answer(transid, status=status, **fields)))

    def fail_with(self, transid: str, code: str, *, http_status: int | None = None) -> None:
        self.script(
            transid,
            Answer(status=http_status or self.error_http_status, body=vendor_error(code)),
        )

    # ---- observations -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    def requests_for(self, transid: str) -> int:
        return sum(1 for request in self.requests if request.transid == transid)

    @property
    def connection_count(self) -> int:
        with self._lock:
            return self._connections

    # ---- serving (called from the server's threads) -------------------------------------

    def _connected(self) -> None:
        with self._lock:
            self._connections += 1

    def _answer_for(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        known_path = path.startswith(STATUS_PREFIX)
        transid = unquote(path.removeprefix(STATUS_PREFIX)) if known_path else ""
        with self._lock:
            self._requests.append(RecordedRequest(method, path, transid, headers))
        if method != "GET" or not known_path or not transid:
            return Answer(status=404, body={"message": "Not Found"})
        presented = headers.get("key")
        if not presented:
            return Answer(status=self.error_http_status, body=vendor_error("7002"))
        if presented != self.service_key:
            return Answer(status=self.error_http_status, body=vendor_error("7001"))
        with self._lock:
            script = self._scripts.get(transid)
            if script:
                return script.popleft() if len(script) > 1 else script[0]
        return Answer(status=self.error_http_status, body=vendor_error("7600"))

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the tests, not an error.
        return


def _handler_for(fake: FakeVendorStatusApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            fake._connected()

        def do_GET(self) -> None:
            self._reply()

        def do_POST(self) -> None:
            self._reply()

        def _reply(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = fake._answer_for(self.command, self.path, headers)
            if answer.delay_seconds:
                fake._pause(answer.delay_seconds)
            if answer.drop_connection:
                self.close_connection = True
                return
            body = answer.encoded_body()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                # The client gave up (a timeout under test): nothing left to answer.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
