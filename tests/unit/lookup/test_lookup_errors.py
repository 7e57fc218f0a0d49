"""Every failure maps to one HTTP status, a code and a message a caller can act on."""

from __future__ import annotations

import json

import pytest

from lookup.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    REPORTED_ERRORS,
    AuthenticationUnavailableError,
    InvalidSearchError,
    InvalidTransactionIdError,
    TransactionNotFoundError,
    UnauthorizedError,
    describe,
)
from lookup.http_errors import problem_response
from receipts.storage import StoreUnavailableError
from receipts.storage.event_store import InvalidCursorError
from receipts.vendor import (
    NotAPathSegmentError,
    ServiceKeyUnavailableError,
    VendorFailedError,
    VendorRejectedError,
    VendorUnreachableError,
)


@pytest.mark.parametrize(
    ("vendor_code", "http_status", "code"),
    [
        ("7600", 404, "not_found"),
        ("7601", 403, "forbidden"),
        ("7001", 502, "vendor_rejected_service_key"),
        ("7002", 502, "vendor_rejected_service_key"),
        ("7302", 429, "rate_limited"),
        ("7006", 502, "vendor_error"),
        ("7005", 504, "vendor_error"),
        ("7000", 400, "vendor_error"),
        ("9999", 502, "vendor_unknown_code"),
        ("7501", 502, "vendor_error"),  # a delivery outcome is no lookup answer
        ("not-a-number", 502, "vendor_unknown_code"),
    ],
)
def test_vendor_codes_map_through_the_code_tables(
    vendor_code: str, http_status: int, code: str
) -> None:
    problem = describe(VendorRejectedError(vendor_code, "from the vendor"))

    assert problem is not None
    assert (problem.http_status, problem.code) == (http_status, code)
    assert problem.vendor_code == vendor_code
    assert problem.vendor_description == "from the vendor"
    assert problem.message


def test_a_rejected_service_key_says_the_proxys_key_is_wrong() -> None:
    problem = describe(VendorRejectedError("7001", "Authentication failed"))

    assert problem is not None
    assert "proxy's service key is wrong" in problem.message


def test_an_unknown_code_still_names_the_code_and_the_vendors_words() -> None:
    problem = describe(VendorRejectedError("9999", "brand new failure"))

    assert problem is not None
    assert "9999" in problem.message and "brand new failure" in problem.message


def test_a_rate_limit_says_when_to_retry() -> None:
    told = describe(VendorRejectedError("7302", "Rate limit exceeded", retry_after_seconds=7))
    untold = describe(VendorRejectedError("7302", "Rate limit exceeded"))

    assert told is not None and told.retry_after_seconds == 7
    assert untold is not None and untold.retry_after_seconds == DEFAULT_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("error", "http_status", "code"),
    [
        (UnauthorizedError(missing=True), 401, "unauthorized"),
        (UnauthorizedError(missing=False), 401, "unauthorized"),
        (AuthenticationUnavailableError("x"), 503, "authentication_unavailable"),
        (InvalidSearchError("give one"), 400, "invalid_search"),
        (InvalidCursorError("bad"), 400, "invalid_next_token"),
        (TransactionNotFoundError("none"), 404, "not_found"),
        (StoreUnavailableError("down"), 503, "storage_unavailable"),
        (VendorUnreachableError("ReadTimeoutError", attempts=3), 504, "vendor_unreachable"),
        (VendorFailedError("HTTP 503", http_status=503), 502, "vendor_error"),
        (ServiceKeyUnavailableError("GetParameterError"), 502, "service_key_unavailable"),
        (InvalidTransactionIdError("a/b"), 400, "invalid_transaction_id"),
        (NotAPathSegmentError("'..' is not a path segment"), 400, "invalid_transaction_id"),
    ],
)
def test_every_failure_has_its_answer(error: Exception, http_status: int, code: str) -> None:
    problem = describe(error)

    assert problem is not None
    assert (problem.http_status, problem.code) == (http_status, code)
    # The vendor's errors are the shared layer's, no LookupRequestErrors: the HTTP error
    # handler must still catch every failure described here.
    assert isinstance(error, REPORTED_ERRORS)


def test_an_unrelated_error_is_not_described() -> None:
    assert describe(KeyError("bug")) is None


@pytest.mark.parametrize(
    ("error", "may_be_stale"),
    [
        (VendorUnreachableError("timeout"), True),
        (VendorFailedError("HTTP 500"), True),
        (ServiceKeyUnavailableError("x"), True),
        (VendorRejectedError("7001", ""), True),
        (VendorRejectedError("7302", ""), True),
        (VendorRejectedError("9999", ""), True),
        (VendorRejectedError("7600", ""), False),
        (VendorRejectedError("7601", ""), False),
    ],
)
def test_only_an_upstream_outage_may_be_covered_by_a_stale_answer(
    error: Exception, may_be_stale: bool
) -> None:
    problem = describe(error)
    assert problem is not None
    assert problem.upstream_is_down is may_be_stale


def test_the_error_body_on_the_vendor_path_also_carries_the_vendors_code() -> None:
    problem = describe(VendorRejectedError("7600", "no results found"))
    assert problem is not None

    own = problem_response(problem)
    vendor_shaped = problem_response(problem, vendor_route=True)

    own_body = json.loads(str(own.body))
    assert own.status_code == 404
    assert own_body == {
        "error": {
            "code": "not_found",
            "message": "The vendor has no transaction with this id.",
            "vendor_code": "7600",
        }
    }
    assert json.loads(str(vendor_shaped.body)) == {
        **own_body,
        "code": "7600",
        "description": "no results found",
    }


def test_a_rate_limited_answer_has_retry_after() -> None:
    problem = describe(VendorRejectedError("7302", "Rate limit exceeded", retry_after_seconds=9))
    assert problem is not None

    response = problem_response(problem)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "9"
