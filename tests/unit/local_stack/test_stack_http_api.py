"""The HTTP API emulator's pure parts: routing, payload 2.0 events, responses, faults."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local_stack.functions import FunctionSpec, HttpRoute
from local_stack.http_api import (
    FaultInjector,
    HttpApiEmulator,
    IncomingRequest,
    RouteTable,
    build_event,
    query_string_parameters,
    response_from_result,
)
from local_stack.lambda_runtime import LocalFunction

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events" / "http"
ROUTES = [
    HttpRoute("Ingest", "POST", "/callbacks"),
    HttpRoute("Ingest", "HEAD", "/callbacks"),
    HttpRoute("Lookup", "GET", "/resources/v1/messaging/status/{transactionid}"),
    HttpRoute("Lookup", "GET", "/v1/transactions/{transactionid}"),
    HttpRoute("Lookup", "GET", "/v1/transactions"),
    HttpRoute("Lookup", "GET", "/v1/transactions/latest"),
    HttpRoute("Files", "ANY", "/files/{path+}"),
]


def _request(method: str, target: str, body: bytes = b"", **headers: str) -> IncomingRequest:
    return IncomingRequest(method, target, list(headers.items()), body, "127.0.0.1")


# ---- routing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected", "parameters"),
    [
        ("POST", "/callbacks", "POST /callbacks", {}),
        ("HEAD", "/callbacks", "HEAD /callbacks", {}),
        ("GET", "/callbacks", None, {}),
        ("GET", "/v1/transactions", "GET /v1/transactions", {}),
        ("GET", "/v1/transactions/latest", "GET /v1/transactions/latest", {}),
        (
            "GET",
            "/v1/transactions/abc%2Fdef",
            "GET /v1/transactions/{transactionid}",
            {"transactionid": "abc/def"},
        ),
        ("GET", "/files/a/b/c.txt", "ANY /files/{path+}", {"path": "a/b/c.txt"}),
        ("DELETE", "/files/x", "ANY /files/{path+}", {"path": "x"}),
        ("GET", "/nowhere", None, {}),
    ],
)
def test_routes_match_like_api_gateway(
    method: str, path: str, expected: str | None, parameters: dict[str, str]
) -> None:
    matched = RouteTable(ROUTES).match(method, path)

    if expected is None:
        assert matched is None
    else:
        assert matched is not None
        assert matched[0].route_key == expected
        assert matched[1] == parameters


# ---- events -----------------------------------------------------------------------------


def test_the_event_has_the_shape_of_the_recorded_http_api_events() -> None:
    sample = json.loads((EVENTS_DIR / "callbacks" / "01-sms-submitted.json").read_text())
    request = _request(
        "POST",
        "/callbacks",
        sample["body"].encode(),
        **{"Content-Type": "application/json", "X-Wx-Gtrid": "g-1", "User-Agent": "agent"},
    )

    event = build_event(
        request,
        ROUTES[0],
        {},
        host="127.0.0.1:3000",
        request_id="req-1",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )

    assert set(sample) - {"pathParameters", "queryStringParameters", "cookies"} <= set(event)
    assert set(sample["requestContext"]) <= set(event["requestContext"])
    assert set(sample["requestContext"]["http"]) <= set(event["requestContext"]["http"])
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /callbacks"
    assert event["body"] == sample["body"]
    assert event["isBase64Encoded"] is False
    assert event["headers"]["x-wx-gtrid"] == "g-1"
    assert event["headers"]["content-type"] == "application/json"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["http"]["userAgent"] == "agent"
    assert event["requestContext"]["requestId"] == "req-1"
    assert event["requestContext"]["timeEpoch"] == 1767225600000


def test_path_and_query_parameters_and_cookies() -> None:
    route = ROUTES[3]
    request = _request(
        "GET", "/v1/transactions/t-1?limit=5&tag=a&tag=b&empty=", Cookie="a=1; b=2", Accept="x"
    )

    event = build_event(request, route, {"transactionid": "t-1"}, host="127.0.0.1:3000")

    assert event["rawPath"] == "/v1/transactions/t-1"
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b&empty="
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b", "empty": ""}
    assert event["pathParameters"] == {"transactionid": "t-1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert "body" not in event


def test_repeated_headers_are_joined_with_commas() -> None:
    request = IncomingRequest("GET", "/v1/transactions", [("X-A", "1"), ("x-a", "2")], b"")

    event = build_event(request, ROUTES[4], {}, host="h")

    assert event["headers"]["x-a"] == "1,2"


def test_a_body_that_is_not_utf8_is_base64_encoded() -> None:
    raw = b"\xff\xfe\x00binary"

    event = build_event(_request("POST", "/callbacks", raw), ROUTES[0], {}, host="h")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_query_string_parameters_decode_values() -> None:
    assert query_string_parameters("destination=%2B9199&x=a+b") == {
        "destination": "+9199",
        "x": "a b",
    }


# ---- responses --------------------------------------------------------------------------


def test_a_full_response_becomes_the_http_response() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-one": "1"},
            "multiValueHeaders": {"x-many": ["a", "b"]},
            "cookies": ["session=1; HttpOnly"],
            "body": "created",
        }
    )

    assert response.status == 201
    assert response.body == b"created"
    assert ("x-many", "a") in response.headers
    assert ("x-many", "b") in response.headers
    assert ("Set-Cookie", "session=1; HttpOnly") in response.headers
    assert response.header("Content-Type") == "text/plain"


def test_a_base64_body_is_decoded() -> None:
    response = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )

    assert response.body == b"\x00\x01"


@pytest.mark.parametrize(
    ("result", "body"),
    [({"ok": True}, b'{"ok": true}'), ([1, 2], b"[1, 2]"), ("plain", b"plain")],
)
def test_anything_else_is_a_200_with_the_value_as_json(result: Any, body: bytes) -> None:
    response = response_from_result(result)

    assert response.status == 200
    assert response.body == body
    assert response.header("content-type") == "application/json"


def test_a_malformed_response_is_a_500() -> None:
    response = response_from_result({"statusCode": "teapot"})

    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}


# ---- dispatch and faults ----------------------------------------------------------------


def _function(logical_id: str, handler: Any) -> LocalFunction:
    spec = FunctionSpec(logical_id, "nowhere.handler", "functions", 3, 128)
    return LocalFunction(
        spec, function_name=logical_id, region="us-east-1", account_id="1", handler=handler
    )


def _emulator(handler: Any) -> HttpApiEmulator:
    return HttpApiEmulator(ROUTES[:2], {"Ingest": _function("Ingest", handler)})


def test_the_handler_gets_the_event_and_a_lambda_context() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen["event"], seen["context"] = event, context
        return {"statusCode": 200, "body": "ok"}

    response = _emulator(handler).handle(_request("POST", "/callbacks", b"{}"), host="h")

    assert response.status == 200
    assert seen["event"]["routeKey"] == "POST /callbacks"
    context = seen["context"]
    assert context.function_name == "Ingest"
    assert context.memory_limit_in_mb == 128
    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert context.aws_request_id
    assert context.invoked_function_arn.endswith(":function:Ingest")


def test_a_handler_that_raises_is_a_500_without_details() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    response = _emulator(handler).handle(_request("POST", "/callbacks"), host="h")

    assert response.status == 500
    assert b"secret detail" not in response.body


def test_a_handler_that_cannot_be_imported_is_a_500() -> None:
    emulator = _emulator(None)

    response = emulator.handle(_request("POST", "/callbacks"), host="h")

    assert response.status == 500


def test_an_unknown_route_is_a_404_and_never_calls_a_function() -> None:
    calls = []
    emulator = _emulator(lambda event, context: calls.append(event))

    response = emulator.handle(_request("GET", "/callbacks"), host="h")

    assert response.status == 404
    assert json.loads(response.body) == {"message": "Not Found"}
    assert calls == []


def test_a_fault_answers_instead_of_the_function_for_n_requests() -> None:
    calls = []
    emulator = _emulator(lambda event, context: calls.append(event) or {"statusCode": 200})
    emulator.faults.add("POST /callbacks", 503, count=2)
    records = []
    emulator.add_observer(records.append)

    statuses = [emulator.handle(_request("POST", "/callbacks"), host="h").status for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert len(calls) == 1
    assert [record.injected_fault for record in records] == [True, True, False]
    assert emulator.faults.injected == 2


def test_a_timed_fault_ends_on_time_and_only_hits_its_route() -> None:
    clock = [0.0]
    faults = FaultInjector(clock=lambda: clock[0])
    faults.add("POST /callbacks", 500, seconds=1.5)

    assert faults.take("GET /v1/transactions") is None
    assert faults.take("POST /callbacks") == 500
    clock[0] = 2.0
    assert faults.take("POST /callbacks") is None
    assert faults.describe() == []


def test_a_fault_needs_a_count_or_a_duration() -> None:
    with pytest.raises(ValueError, match="count or a duration"):
        FaultInjector().add("*", 503)
