"""The HTTP API emulator: requests become API Gateway HTTP API (payload 2.0) events.

Routes are the template's ``HttpApi`` events. Each request is matched to a route the way
API Gateway does it (a literal path beats a path variable, which beats a greedy one; the
exact method beats ``ANY``), turned into a payload 2.0 event for the route's function, and
the function's result turned back into the HTTP response. An unknown route is 404 and a
failing handler is 500, with API Gateway's own bodies.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local_stack.functions import HttpRoute
from local_stack.lambda_runtime import HandlerUnavailableError, LocalFunction
from simulator.http_server import LoopbackServer, QuietHandler

LOGGER = logging.getLogger("local_stack.api")

NOT_FOUND = {"message": "Not Found"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
API_ID = "local"


# ---- routing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]
    # Lower sorts first: literal segments, then variables, then greedy variables.
    rank: tuple[int, int, int]


def compile_route(route: HttpRoute) -> CompiledRoute:
    parts: list[str] = []
    variables = greedy = 0
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        greedy_match = re.fullmatch(r"\{(\w+)\+\}", segment)
        variable_match = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy_match:
            greedy += 1
            parts.append(f"(?P<{greedy_match.group(1)}>.+)")
        elif variable_match:
            variables += 1
            parts.append(f"(?P<{variable_match.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    pattern = re.compile("^/" + "/".join(parts) + "/?$")
    return CompiledRoute(route, pattern, (greedy, variables, 1 if route.method == "ANY" else 0))


class RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes = sorted((compile_route(route) for route in routes), key=lambda c: c.rank)

    @property
    def routes(self) -> list[HttpRoute]:
        return [compiled.route for compiled in self._routes]

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            found = compiled.pattern.match(path)
            if found:
                parameters = {name: unquote(value) for name, value in found.groupdict().items()}
                return compiled.route, parameters
        return None


# ---- request -> event -------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    target: str  # path and query string, as on the request line
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return self.target.split("?", 1)[0] or "/"

    @property
    def raw_query_string(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


def build_event(
    request: IncomingRequest,
    route: HttpRoute,
    path_parameters: Mapping[str, str],
    *,
    host: str,
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway would give the route's function."""
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    headers.setdefault("host", host)
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", host.rsplit(":", 1)[-1] if ":" in host else "80")
    request_id = request_id or str(uuid.uuid4())
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{request_id[:24]}")
    raw_path = request.raw_path
    route_key = route.route_key if route.path != "$default" else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        # HTTP API hands the function the path percent-decoded, rawPath included (REST APIs
        # and function URLs keep the encoding); routing above still uses the path as sent.
        "rawPath": unquote(raw_path),
        "rawQueryString": request.raw_query_string,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": host.split(":", 1)[0],
            "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
            "http": {
                "method": request.method,
                "path": unquote(raw_path),
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query = query_string_parameters(request.raw_query_string)
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        try:
            event["body"] = request.body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    return event


def query_string_parameters(raw_query: str) -> dict[str, str]:
    """API Gateway's form: repeated names are joined with commas."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


# ---- result -> response -----------------------------------------------------------------


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(
        status, [("Content-Type", "application/json")], json.dumps(payload).encode()
    )


def response_from_result(result: Any) -> HttpResponse:
    """Interpret a handler's return value as API Gateway does for payload 2.0.

    A dict with ``statusCode`` is a full response; anything else is a 200 whose JSON is
    the return value. A malformed full response is a 500, as API Gateway reports it.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        if isinstance(result, str):
            return HttpResponse(200, [("Content-Type", "application/json")], result.encode())
        return json_response(200, result)
    try:
        status = int(result["statusCode"])
        headers: list[tuple[str, str]] = [
            (str(name), str(value)) for name, value in (result.get("headers") or {}).items()
        ]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
        raw_body = result.get("body")
        if raw_body is None:
            body = b""
        elif result.get("isBase64Encoded"):
            body = base64.b64decode(str(raw_body), validate=True)
        else:
            body = str(raw_body).encode()
    except (TypeError, ValueError, binascii.Error):
        LOGGER.error("handler returned a malformed response: %r", result)
        return json_response(500, INTERNAL_ERROR)
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, body)


# ---- fault injection (a test hook) ------------------------------------------------------


@dataclass
class FaultRule:
    route_key: str  # "POST /callbacks", or "*" for every route
    status: int
    remaining: int | None  # None: until ``until``
    until: float | None  # time.monotonic() deadline, None: until ``remaining`` runs out


@dataclass
class FaultInjector:
    """Answers chosen routes with an error status for a number of requests or seconds."""

    clock: Callable[[], float] = time.monotonic
    _rules: list[FaultRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    injected: int = 0

    def add(
        self, route_key: str, status: int, *, count: int | None = None, seconds: float | None = None
    ) -> None:
        if count is None and seconds is None:
            raise ValueError("a fault needs a count or a duration")
        until = self.clock() + seconds if seconds is not None else None
        with self._lock:
            self._rules.append(FaultRule(route_key, status, count, until))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, route_key: str) -> int | None:
        """The status to answer instead of calling the function, or None."""
        now = self.clock()
        with self._lock:
            self._rules = [
                rule
                for rule in self._rules
                if (rule.remaining is None or rule.remaining > 0)
                and (rule.until is None or now < rule.until)
            ]
            for rule in self._rules:
                if rule.route_key in (route_key, "*"):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.injected += 1
                    return rule.status
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"route": rule.route_key, "status": rule.status, "remaining": rule.remaining}
                for rule in self._rules
            ]


# ---- dispatch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """What the emulator did with one request, for the access log and the counters."""

    method: str
    path: str
    route_key: str | None
    function: str | None
    status: int
    duration_ms: float
    response: HttpResponse
    injected_fault: bool = False


RequestObserver = Callable[[RequestRecord], None]


class HttpApiEmulator:
    """Routes requests to the functions' handlers; independent of the HTTP server."""

    def __init__(
        self,
        routes: Iterable[HttpRoute],
        functions: Mapping[str, LocalFunction],
        *,
        faults: FaultInjector | None = None,
        observers: Iterable[RequestObserver] = (),
    ) -> None:
        self.table = RouteTable(routes)
        self._functions = functions
        self.faults = faults or FaultInjector()
        self._observers = list(observers)

    def add_observer(self, observer: RequestObserver) -> None:
        self._observers.append(observer)

    def handle(self, request: IncomingRequest, *, host: str) -> HttpResponse:
        started = time.perf_counter()
        matched = self.table.match(request.method, request.raw_path)
        route = matched[0] if matched else None
        injected = False
        if route is None:
            response = json_response(404, NOT_FOUND)
        else:
            fault = self.faults.take(route.route_key)
            if fault is not None:
                injected = True
                response = json_response(fault, {"message": "Injected fault"})
            else:
                response = self._invoke(request, route, matched[1] if matched else {}, host)
        record = RequestRecord(
            method=request.method,
            path=request.raw_path,
            route_key=route.route_key if route else None,
            function=route.function if route else None,
            status=response.status,
            duration_ms=(time.perf_counter() - started) * 1000,
            response=response,
            injected_fault=injected,
        )
        for observer in self._observers:
            try:
                observer(record)
            except Exception:  # an observer must never break a request
                LOGGER.exception("request observer failed")
        return response

    def _invoke(
        self,
        request: IncomingRequest,
        route: HttpRoute,
        path_parameters: Mapping[str, str],
        host: str,
    ) -> HttpResponse:
        function = self._functions[route.function]
        event = build_event(request, route, path_parameters, host=host)
        try:
            invocation = function.invoke(event)
        except HandlerUnavailableError as error:
            LOGGER.error("%s", error)
            return json_response(500, INTERNAL_ERROR)
        except Exception:
            LOGGER.error(
                "%s raised on %s:\n%s", route.function, route.route_key, traceback.format_exc()
            )
            return json_response(500, INTERNAL_ERROR)
        return response_from_result(invocation.result)


def _make_handler(emulator: HttpApiEmulator) -> type[QuietHandler]:
    class HttpApiHandler(QuietHandler):
        def _dispatch(self) -> None:
            body = self.read_body()
            if body is None:
                return
            request = IncomingRequest(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=str(self.client_address[0]),
                protocol=self.request_version,
            )
            host = self.headers.get("Host") or f"127.0.0.1:{self.connection.getsockname()[1]}"
            response = emulator.handle(request, host=host)
            self.send_bytes(
                response.status,
                response.body,
                response.headers,
                include_body=self.command != "HEAD",
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch  # noqa: N815

    return HttpApiHandler


def serve_http_api(emulator: HttpApiEmulator, port: int, host: str) -> LoopbackServer:
    server = LoopbackServer(_make_handler(emulator), port=port, host=host)
    server.start(name="http-api")
    return server
