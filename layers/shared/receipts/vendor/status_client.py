"""The vendor's transaction status API over HTTPS, with bounded retries.

One urllib3 pool per process keeps the TLS connection open across warm invocations.
Timeouts, connection failures and 5xx answers are retried with exponential back-off and
full jitter; 4xx answers and vendor error codes are not (asking again gives the same
answer, and a rate limit only gets worse). Every attempt and pause fits in one time budget.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from urllib.parse import quote

import urllib3

from receipts.vendor.errors import (
    RATE_LIMIT_CODE,
    NotAPathSegmentError,
    VendorError,
    VendorFailedError,
    VendorRejectedError,
    VendorUnreachableError,
)

# Each function passes its own, so the vendor (and its logs) can tell the callers apart.
DEFAULT_USER_AGENT = "imiconnect-receipts/1"
STATUS_PATH = "/resources/v1/messaging/status/"
# Connecting should take milliseconds; a dead host should not eat the whole read timeout.
CONNECT_TIMEOUT_SECONDS = 2.0
# An attempt with less time than this left would only time out.
MIN_ATTEMPT_SECONDS = 0.05
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0
# Path segments every URL parser resolves away (RFC 3986 dot segments): as an id they
# would make the request another path of the vendor's, with the service key attached.
_DOT_SEGMENTS = frozenset({"", ".", ".."})


def status_url_segment(transid: str) -> str:
    """``transid`` as exactly one path segment: ``/``, ``?``, ``#`` and ``%`` encoded."""
    if transid in _DOT_SEGMENTS:
        raise NotAPathSegmentError(f"{transid!r} is not a path segment")
    return quote(transid, safe="")


def _retry_after_seconds(response: urllib3.BaseHTTPResponse) -> int | None:
    value = (response.headers.get("Retry-After") or "").strip()
    return int(value) if value.isdigit() else None


class VendorStatusClient:
    def __init__(
        self,
        *,
        base_url: str,
        service_key: Callable[[], str],
        pool: urllib3.PoolManager,
        timeout_seconds: float,
        max_attempts: int,
        budget_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._status_url = base_url.rstrip("/") + STATUS_PATH
        self._service_key = service_key
        self._pool = pool
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._budget = budget_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter
        self._user_agent = user_agent

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        """The answer's JSON text (an array of transactions), or a :class:`VendorError`.

        An id that is no path segment raises :class:`NotAPathSegmentError` before any call.
        Every attempt and pause fits in the client's budget, and in ``within_seconds`` (what
        is left of the request's deadline) when given.
        """
        url = self._status_url + status_url_segment(transid)
        # Counted from here: reading the service key (a cache miss asks the secret store)
        # spends the same budget as the attempts.
        budget = self._budget if within_seconds is None else min(self._budget, within_seconds)
        deadline = self._monotonic() + budget
        headers = {
            "key": self._service_key(),
            "accept": "application/json",
            "user-agent": self._user_agent,
        }
        failure: VendorError = VendorUnreachableError("no attempt fitted in the time budget")
        attempts = 0
        while attempts < self._max_attempts:
            remaining = deadline - self._monotonic()
            if remaining < MIN_ATTEMPT_SECONDS:
                break
            attempts += 1
            timeout = min(self._timeout, remaining)
            try:
                response = self._pool.request(
                    "GET",
                    url,
                    headers=headers,
                    timeout=urllib3.Timeout(
                        total=timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout), read=timeout
                    ),
                    retries=False,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as error:
                failure = VendorUnreachableError(type(error).__name__, attempts=attempts)
            else:
                if response.status < 500:
                    return _interpret(response, attempts)
                failure = _server_failure(response, attempts)
            if attempts < self._max_attempts and not self._pause(attempts, deadline):
                break
        failure.attempts = attempts
        raise failure

    def _pause(self, attempts: int, deadline: float) -> bool:
        """Back off before the next attempt; False when no attempt would fit afterwards."""
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
        pause = ceiling * self._jitter()
        if self._monotonic() + pause + MIN_ATTEMPT_SECONDS > deadline:
            return False
        self._sleep(pause)
        return True


def _error_object(data: bytes) -> dict[str, object] | None:
    try:
        decoded = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) and "code" in decoded else None


def _rejection(
    error: dict[str, object], response: urllib3.BaseHTTPResponse, attempts: int
) -> VendorRejectedError:
    return VendorRejectedError(
        str(error.get("code", "")).strip(),
        str(error.get("description") or error.get("message") or ""),
        attempts=attempts,
        retry_after_seconds=_retry_after_seconds(response),
    )


def _server_failure(response: urllib3.BaseHTTPResponse, attempts: int) -> VendorError:
    error = _error_object(response.data or b"")
    if error is not None:
        return _rejection(error, response, attempts)
    return VendorFailedError(
        f"HTTP {response.status}", attempts=attempts, http_status=response.status
    )


def _interpret(response: urllib3.BaseHTTPResponse, attempts: int) -> str:
    """A non-5xx answer: the transaction list, or the vendor's error code as an exception."""
    data = response.data or b""
    try:
        text = data.decode("utf-8")
        decoded = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        if response.status == 429:
            raise VendorRejectedError(
                str(RATE_LIMIT_CODE),
                "Rate limit exceeded",
                attempts=attempts,
                retry_after_seconds=_retry_after_seconds(response),
            ) from None
        raise VendorFailedError(
            f"HTTP {response.status} with a body that is not JSON",
            attempts=attempts,
            http_status=response.status,
        ) from None
    if isinstance(decoded, list) and response.status == 200:
        return text
    if isinstance(decoded, dict) and "code" in decoded:
        raise _rejection(decoded, response, attempts)
    if response.status == 429:
        raise VendorRejectedError(
            str(RATE_LIMIT_CODE),
            "Rate limit exceeded",
            attempts=attempts,
            retry_after_seconds=_retry_after_seconds(response),
        )
    raise VendorFailedError(
        f"HTTP {response.status} with neither a transaction list nor an error code",
        attempts=attempts,
        http_status=response.status,
    )


def build_pool(connections: int = 4) -> urllib3.PoolManager:
    """The process's pool: verified TLS, ``connections`` kept alive per host (as many as
    the calls its callers make side by side), no automatic retries."""
    return urllib3.PoolManager(num_pools=4, maxsize=connections, retries=False, block=False)
