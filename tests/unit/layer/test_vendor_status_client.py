"""The vendor status client: its retry rules, the URL it asks and the headers it sends, over
a pool that never touches the network; and where it lives (the layer, off the webhook's path)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from tests.fresh_interpreter import output_of

from receipts.vendor import (
    DEFAULT_USER_AGENT,
    NotAPathSegmentError,
    ServiceKeyUnavailableError,
    VendorFailedError,
    VendorRejectedError,
    VendorStatusClient,
    VendorUnreachableError,
    service_key_loader,
)
from receipts.vendor.status_client import BACKOFF_BASE_SECONDS


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return urllib3.HTTPResponse(
        body=data, status=status, headers=headers or {}, preload_content=True
    )


class FakePool:
    """Answers each request with the next outcome: a response, or an exception to raise."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **options: Any) -> Any:
        self.requests.append({"method": method, "url": url, **options})
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class ManualTime:
    """Monotonic time that only moves when the client sleeps or a request takes time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(pool: FakePool, time: ManualTime, **overrides: Any) -> VendorStatusClient:
    options: dict[str, Any] = {
        "base_url": "https://api.imiconnect.io/",
        "service_key": lambda: "service-key",
        "pool": pool,
        "timeout_seconds": 4.0,
        "max_attempts": 3,
        "budget_seconds": 12.0,
        "sleep": time.sleep,
        "monotonic": time.monotonic,
        "jitter": lambda: 1.0,
        **overrides,
    }
    return VendorStatusClient(**options)


TIMEOUT = urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out")  # type: ignore[arg-type]


def test_one_request_with_the_key_header_and_no_automatic_retries_or_redirects() -> None:
    pool = FakePool(_response(200, [{"transactionid": "tx"}]))

    body = _client(pool, ManualTime()).fetch_status("tx_1")

    assert json.loads(body) == [{"transactionid": "tx"}]
    [request] = pool.requests
    assert request["url"] == "https://api.imiconnect.io/resources/v1/messaging/status/tx_1"
    assert request["headers"]["key"] == "service-key"
    assert request["retries"] is False and request["redirect"] is False


def test_timeouts_are_retried_with_growing_jittered_pauses_up_to_the_attempt_limit() -> None:
    time = ManualTime()
    pool = FakePool(TIMEOUT)

    with pytest.raises(VendorUnreachableError) as failure:
        _client(pool, time).fetch_status("tx")

    assert len(pool.requests) == 3
    assert failure.value.attempts == 3
    assert time.sleeps == [BACKOFF_BASE_SECONDS, BACKOFF_BASE_SECONDS * 2]


def test_the_pause_is_full_jitter_below_its_ceiling() -> None:
    time = ManualTime()

    with pytest.raises(VendorUnreachableError):
        _client(FakePool(TIMEOUT), time, jitter=lambda: 0.25).fetch_status("tx")

    assert time.sleeps == [BACKOFF_BASE_SECONDS * 0.25, BACKOFF_BASE_SECONDS * 2 * 0.25]


def test_a_server_error_is_retried_then_reported() -> None:
    pool = FakePool(_response(503, b"<html>busy</html>"))

    with pytest.raises(VendorFailedError) as failure:
        _client(pool, ManualTime()).fetch_status("tx")

    assert len(pool.requests) == 3
    assert failure.value.http_status == 503


def test_a_server_error_then_an_answer_succeeds() -> None:
    pool = FakePool(_response(502, b""), _response(200, [{"transactionid": "tx"}]))

    _client(pool, ManualTime()).fetch_status("tx")

    assert len(pool.requests) == 2


def test_a_server_error_with_a_vendor_code_reports_the_code() -> None:
    pool = FakePool(_response(500, {"code": "7006", "description": "Internal error occurred"}))

    with pytest.raises(VendorRejectedError) as failure:
        _client(pool, ManualTime()).fetch_status("tx")

    assert failure.value.vendor_code == "7006"
    assert len(pool.requests) == 3


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"code": "7600", "description": "no results found"}),
        (200, {"code": "7601", "description": "not under this service"}),
        (401, {"code": "7001", "description": "Authentication failed"}),
        (429, {"code": "7302", "description": "Rate limit exceeded"}),
    ],
)
def test_a_vendor_code_is_never_retried(status: int, body: dict[str, str]) -> None:
    pool = FakePool(_response(status, body))

    with pytest.raises(VendorRejectedError) as failure:
        _client(pool, ManualTime()).fetch_status("tx")

    assert failure.value.vendor_code == body["code"]
    assert len(pool.requests) == 1


def test_a_bare_429_is_a_rate_limit_with_the_vendors_retry_after() -> None:
    pool = FakePool(_response(429, b"slow down", {"Retry-After": "12"}))

    with pytest.raises(VendorRejectedError) as failure:
        _client(pool, ManualTime()).fetch_status("tx")

    assert (failure.value.vendor_code, failure.value.retry_after_seconds) == ("7302", 12)
    assert len(pool.requests) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"not json"), (200, {"unexpected": "object"}), (404, b""), (200, b"\xff\xfe")],
)
def test_an_answer_that_is_neither_a_list_nor_a_code_is_a_failure(status: int, body: Any) -> None:
    pool = FakePool(_response(status, body))

    with pytest.raises(VendorFailedError):
        _client(pool, ManualTime()).fetch_status("tx")

    assert len(pool.requests) == 1


def test_the_time_budget_bounds_the_attempts() -> None:
    time = ManualTime()

    class SlowTimeouts(FakePool):
        def request(self, method: str, url: str, **options: Any) -> Any:
            time.now += options["timeout"].read_timeout
            return super().request(method, url, **options)

    pool = SlowTimeouts(TIMEOUT)

    with pytest.raises(VendorUnreachableError) as failure:
        _client(pool, time, timeout_seconds=4.0, budget_seconds=6.0).fetch_status("tx")

    # 4 s, a 0.2 s pause, then an attempt cut to the 1.8 s left; no third one fits.
    assert len(pool.requests) == 2
    assert pool.requests[1]["timeout"].read_timeout == pytest.approx(1.8)
    assert failure.value.attempts == 2
    assert time.now <= 6.0


def test_the_service_key_is_read_once_per_lookup() -> None:
    reads: list[int] = []

    def service_key() -> str:
        reads.append(1)
        return "service-key"

    with pytest.raises(VendorUnreachableError):
        _client(FakePool(TIMEOUT), ManualTime(), service_key=service_key).fetch_status("tx")

    assert len(reads) == 1


# ---- the URL and the headers -------------------------------------------------------------


def test_the_id_is_one_encoded_path_segment_of_the_vendor_url() -> None:
    pool = FakePool(_response(200, []))

    _client(pool, ManualTime()).fetch_status("a/b?c#d%2E")

    assert pool.requests[0]["url"] == (
        "https://api.imiconnect.io/resources/v1/messaging/status/a%2Fb%3Fc%23d%252E"
    )


@pytest.mark.parametrize("transid", [".", "..", ""])
def test_a_dot_segment_never_reaches_the_vendor(transid: str) -> None:
    pool = FakePool(_response(200, []))

    with pytest.raises(NotAPathSegmentError):
        _client(pool, ManualTime()).fetch_status(transid)

    assert pool.requests == []


def test_the_user_agent_is_the_callers_or_the_products() -> None:
    pool = FakePool(_response(200, []))

    _client(pool, ManualTime()).fetch_status("tx")
    _client(pool, ManualTime(), user_agent="caller/2").fetch_status("tx")

    assert [request["headers"]["user-agent"] for request in pool.requests] == [
        DEFAULT_USER_AGENT,
        "caller/2",
    ]


# ---- the time budget ---------------------------------------------------------------------


def test_the_vendor_gets_only_what_is_left_of_the_request() -> None:
    pool = FakePool(_response(200, []))

    _client(pool, ManualTime(), timeout_seconds=4.0).fetch_status("tx", within_seconds=1.5)

    assert pool.requests[0]["timeout"].total == pytest.approx(1.5)


def test_no_vendor_attempt_starts_without_time_left() -> None:
    pool = FakePool(_response(200, []))

    with pytest.raises(VendorUnreachableError):
        _client(pool, ManualTime()).fetch_status("tx", within_seconds=0.01)

    assert pool.requests == []


# ---- the service key ---------------------------------------------------------------------


def test_an_unreadable_service_key_is_named_by_its_error_type_only() -> None:
    def failing_load(reference: str, *, max_age: int) -> tuple[str, ...]:
        raise RuntimeError(f"cannot read {reference}: the value was s3cr3t")

    with pytest.raises(ServiceKeyUnavailableError) as failure:
        service_key_loader("ssm:/x/vendor-service-key", max_age=60, load=failing_load)()

    assert failure.value.detail == "RuntimeError"
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_the_service_key_is_the_first_value_behind_its_reference() -> None:
    asked: list[tuple[str, int]] = []

    def load(reference: str, *, max_age: int) -> tuple[str, ...]:
        asked.append((reference, max_age))
        return ("current-key", "previous-key")

    assert service_key_loader("ssm:/x/key", max_age=60, load=load)() == "current-key"
    assert asked == [("ssm:/x/key", 60)]


# ---- where the client lives --------------------------------------------------------------


def test_the_layers_vendor_package_imports_no_function() -> None:
    output = output_of(
        "import sys\nimport receipts.vendor\n"
        "functions = ('ingest', 'lookup', 'alerts', 'reconcile')\n"
        "print('loaded:', sorted(n for n in sys.modules if n.split('.')[0] in functions))\n"
    )

    assert "loaded: []" in output, output


def test_the_webhook_never_loads_the_vendor_client() -> None:
    # The ingest function never asks the vendor: its cold start must not pay for the client.
    output = output_of(
        "import sys\nimport ingest.handler\n"
        "print('vendor loaded:', any(n.startswith('receipts.vendor') for n in sys.modules))\n"
    )

    assert "vendor loaded: False" in output, output
