"""A tiny threaded HTTP receiver on 127.0.0.1 that records requests and fails on command.

::

    with WebhookReceiver() as receiver:
        receiver.fail_next(2, status=503)      # the next two requests get 503
        receiver.script(ScriptedResponse(delay=3.0))  # then one slow answer
        receiver.fail_next(1, path="/teams")   # only requests to /teams
        post(receiver.url("/slack"), ...)
        assert receiver.requests[0].json() == {...}

It binds a free port chosen by the system, on the loopback interface only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ScriptedResponse:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0  # seconds to wait before answering (to provoke client timeouts)


class WebhookReceiver:
    def __init__(self, default: ScriptedResponse | None = None) -> None:
        self._default = default or ScriptedResponse()
        # Scripted answers per request path; the None entry serves every path.
        self._scripts: dict[str | None, deque[ScriptedResponse]] = {}
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- what tests use ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]

    def script(self, *responses: ScriptedResponse, path: str | None = None) -> None:
        """Answer the next requests (to ``path``, or to any) with these, then the default."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(responses)

    def fail_next(
        self, count: int, status: int = 500, body: bytes = b"unavailable", path: str | None = None
    ) -> None:
        self.script(*[ScriptedResponse(status=status, body=body)] * count, path=path)

    def respond_always(self, response: ScriptedResponse) -> None:
        with self._lock:
            self._default = response
            self._scripts.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self._requests)

    # ---- serving ----------------------------------------------------------------------------

    def _record(self, request: ReceivedRequest) -> ScriptedResponse:
        with self._arrived:
            self._requests.append(request)
            self._arrived.notify_all()
            for key in (request.path, None):
                script = self._scripts.get(key)
                if script:
                    return script.popleft()
            return self._default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                response = receiver._record(
                    ReceivedRequest(
                        method=self.command,
                        path=self.path,
                        headers={name.lower(): value for name, value in self.headers.items()},
                        body=body,
                    )
                )
                if response.delay and receiver._stopping.wait(response.delay):
                    return
                self.send_response(response.status)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_POST = _serve  # noqa: N815 (http.server's naming)
            do_PUT = _serve  # noqa: N815
            do_GET = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read the recorded requests instead."""

        return Handler
