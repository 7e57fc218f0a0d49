"""A small threaded HTTP server for loopback use that stops cleanly.

The standard library's server leaves keep-alive connections (and their threads) open after
``shutdown()``; this one remembers its connections and closes them on stop, so stopping a
server leaves no thread behind. Shared by the simulator and the local stack.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 10 * 1024 * 1024


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many short-lived connections from concurrent senders during load runs.
    request_queue_size = 128

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], port: int = 0, host: str = LOOPBACK
    ) -> None:
        super().__init__((host, port), handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.name = handler.__name__

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = self.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def start(self, name: str | None = None) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=name or f"{self.name}-server",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, no access log on stderr, helpers for bodies and JSON."""

    protocol_version = "HTTP/1.1"
    server_version = "local"
    sys_version = ""
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes | None:
        """The request body; None (after answering 413) when it is too large."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_json(413, {"message": "Request Entity Too Large"})
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def send_bytes(
        self,
        status: int,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        *,
        include_body: bool = True,
    ) -> None:
        self.send_response(status)
        names = set()
        for name, value in headers:
            names.add(name.lower())
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if include_body and body:
            self.wfile.write(body)

    def send_json(self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        body = json.dumps(payload).encode()
        self.send_bytes(
            status,
            body,
            [("Content-Type", "application/json"), *headers],
            include_body=self.command != "HEAD",
        )
