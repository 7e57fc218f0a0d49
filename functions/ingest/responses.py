"""Every answer the webhook gives, and the one place where errors become answers.

Errors are ``{"error": {"code", "message", "field"}}``; a 5xx is only ever given when the
same request could succeed later, because the platform retries 5xx and then drops the
notification, while it never retries a 400.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.errors import AuthenticationFailedError, IngestError
from ingest.service import IngestResult
from receipts.storage import StoreUnavailableError

HttpResponse = dict[str, Any]

_JSON = "application/json"


def json_response(
    status_code: int, payload: Any, *, headers: dict[str, str] | None = None
) -> HttpResponse:
    return {
        "statusCode": status_code,
        "headers": {"content-type": _JSON, "cache-control": "no-store", **(headers or {})},
        "body": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        "isBase64Encoded": False,
    }


def result_response(result: IngestResult) -> HttpResponse:
    return json_response(200, {"status": result.status, "transid": result.event.transid})


def probe_response(method: str) -> HttpResponse:
    """The console's reachability probe: 200, nothing read or written."""
    response = json_response(200, {"status": "ready", "service": "imiconnect-receipts ingest"})
    if method == "HEAD":
        response["body"] = ""
    return response


def _error_payload(code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(error: BaseException) -> HttpResponse:
    """The answer to any failure: its own status for a domain error, a bare 5xx otherwise."""
    if isinstance(error, IngestError):
        headers = {}
        if isinstance(error, AuthenticationFailedError) and error.challenge:
            headers["www-authenticate"] = error.challenge
        if error.status_code == 503:
            headers["retry-after"] = "30"
        return json_response(
            error.status_code,
            _error_payload(error.code, error.message, error.field),
            headers=headers,
        )
    if isinstance(error, StoreUnavailableError):
        return json_response(
            503,
            _error_payload(
                "store_unavailable",
                "the events table is unavailable or throttling; send the callback again",
                None,
            ),
            headers={"retry-after": "30"},
        )
    # Never a stack trace or an exception's text in an answer: the log has the details.
    return json_response(
        500, _error_payload("internal_error", "the callback could not be processed", None)
    )
