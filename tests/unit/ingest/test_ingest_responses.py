"""Answers and request reading: every error maps to one status, and bodies decode exactly."""

from __future__ import annotations

import base64
import json

import pytest

from ingest.errors import (
    AuthenticationFailedError,
    CallbackRejectedError,
    ConfigurationError,
    MethodNotAllowedError,
    QuarantineUnavailableError,
    SecretUnavailableError,
    StoreRefusedWriteError,
)
from ingest.responses import error_response, probe_response
from ingest.routes import request_body, request_headers
from receipts.storage import StoreUnavailableError


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (AuthenticationFailedError("mismatch", field="x-hub-signature"), 401, "unauthorized"),
        (
            CallbackRejectedError("bad", status_code=400, code="invalid_json", field=None),
            400,
            "invalid_json",
        ),
        (
            CallbackRejectedError("big", status_code=413, code="payload_too_large", field=None),
            413,
            "payload_too_large",
        ),
        (ConfigurationError("fix me", field="CALLBACK_AUTH_MODE"), 500, "configuration_error"),
        (StoreRefusedWriteError("denied"), 500, "storage_error"),
        (SecretUnavailableError("later"), 503, "secret_unavailable"),
        (QuarantineUnavailableError("later"), 503, "store_unavailable"),
        (
            StoreUnavailableError("An error occurred (ThrottlingException)"),
            503,
            "store_unavailable",
        ),
        (MethodNotAllowedError("PUT"), 405, "method_not_allowed"),
        (KeyError("internal detail"), 500, "internal_error"),
    ],
)
def test_each_error_has_one_answer(error: Exception, status: int, code: str) -> None:
    response = error_response(error)

    assert response["statusCode"] == status
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert ("retry-after" in response["headers"]) is (status == 503)


def test_an_unexpected_error_leaks_nothing_of_itself() -> None:
    body = error_response(RuntimeError("password=hunter2 at line 12"))["body"]

    assert "hunter2" not in body and "line" not in body


def test_a_throttling_message_from_aws_is_not_passed_to_the_caller() -> None:
    body = error_response(StoreUnavailableError("arn:aws:dynamodb:eu-west-1:123:table/x"))["body"]

    assert "arn:aws" not in body


def test_a_basic_auth_refusal_carries_its_challenge() -> None:
    error = AuthenticationFailedError("missing", field="authorization", challenge='Basic realm="x"')

    assert error_response(error)["headers"]["www-authenticate"] == 'Basic realm="x"'


def test_probe_answers() -> None:
    assert probe_response("HEAD")["body"] == ""
    assert json.loads(probe_response("GET")["body"])["status"] == "ready"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({}, b""),
        ({"body": None}, b""),
        ({"body": "plain é"}, "plain é".encode()),
        ({"body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True}, b"\x00\xff"),
        # Never sent by API Gateway; kept as text so the body can still be quarantined.
        ({"body": "%%%", "isBase64Encoded": True}, b"%%%"),
        ({"body": "\ud800"}, "\ud800".encode("utf-8", "surrogatepass")),
        ({"body": 12}, b"12"),
    ],
)
def test_request_body_bytes(event: dict[str, object], expected: bytes) -> None:
    assert request_body(event) == expected


def test_request_headers_are_lower_cased_and_tolerate_odd_shapes() -> None:
    assert request_headers({"headers": {"X-Hub-Signature": "a", "Content-Type": 1}}) == {
        "x-hub-signature": "a",
        "content-type": "1",
    }
    assert request_headers({"headers": None}) == {}
    assert request_headers({"headers": ["x"]}) == {}
