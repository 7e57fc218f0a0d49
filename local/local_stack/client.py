"""A small HTTP client for a running local stack (standard library only).

Used by ``make demo`` and the end-to-end tests: everything goes over HTTP, to the API
emulator, the simulator and the console, as a user or an operator would go.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from local_stack.state import StackState

T = TypeVar("T")

# The reconcile function's timeout in the template: no pass, manual or scheduled, runs longer.
RECONCILE_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    prepared = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        # The scheme is checked above; these are the local stack's own URLs.
        with urllib.request.urlopen(prepared, timeout=timeout) as response:  # nosec B310
            return Answer(
                response.status,
                {name.lower(): value for name, value in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Answer(
            error.code,
            {name.lower(): value for name, value in error.headers.items()},
            error.read(),
        )


def wait_until(check: Callable[[], T | None], *, timeout: float, interval: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


class StackClient:
    def __init__(self, state: StackState) -> None:
        self.state = state

    # ---- the simulated platform -----------------------------------------------------------

    def send(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        key: str | None = None,
    ) -> Answer:
        return request(
            "POST",
            f"{self.state.simulator_url}/resources/v1/messaging",
            body=json.dumps(payload).encode(),
            headers={
                "content-type": "application/json",
                "key": self.state.vendor_service_key if key is None else key,
                **(headers or {}),
            },
        )

    def send_transids(
        self, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> list[str]:
        answer = self.send(payload, headers=headers)
        if answer.status != 200:
            raise RuntimeError(f"send refused: {answer.status} {answer.body!r}")
        return [entry["transid"] for entry in answer.json()["response"]]

    def simulator_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = request(
            "GET", f"{self.state.simulator_url}/_simulator/stats"
        ).json()
        return stats

    def planned(self, transid: str) -> dict[str, Any]:
        """The simulator's plan for one delivery: its events, and whether it went wrong."""
        planned: dict[str, Any] = request(
            "GET", f"{self.state.simulator_url}/_simulator/transactions/{transid}"
        ).json()
        return planned

    def wait_settled(self, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the simulator has no callback waiting or in flight."""
        return wait_until(
            lambda: (stats := self.simulator_stats())["pending"] == 0 and stats,
            timeout=timeout,
        )

    # ---- the product's API ----------------------------------------------------------------

    def lookup_headers(self) -> dict[str, str]:
        return {self.state.lookup_api_key_header: self.state.lookup_api_key}

    def transaction(self, transid: str) -> Answer:
        return request(
            "GET", f"{self.state.api_url}/v1/transactions/{transid}", headers=self.lookup_headers()
        )

    def vendor_status(self, transid: str) -> Answer:
        return request(
            "GET",
            f"{self.state.api_url}/resources/v1/messaging/status/{transid}",
            headers=self.lookup_headers(),
        )

    def watch(self, transids: Sequence[str]) -> Answer:
        """``POST /v1/reconcile``: register ids for the reconcile sweep to follow."""
        return request(
            "POST",
            f"{self.state.api_url}/v1/reconcile",
            body=json.dumps({"transactionids": list(transids)}).encode(),
            headers={"content-type": "application/json", **self.lookup_headers()},
        )

    def search(self, **query: str) -> Answer:
        from urllib.parse import urlencode

        return request(
            "GET",
            f"{self.state.api_url}/v1/transactions?{urlencode(query)}",
            headers=self.lookup_headers(),
        )

    def suppression(self, channel: str, destination: str) -> Answer:
        """``GET /v1/suppressions/{channel}/{destination}``."""
        from urllib.parse import quote

        return request(
            "GET",
            f"{self.state.api_url}/v1/suppressions/{channel}/{quote(destination, safe='')}",
            headers=self.lookup_headers(),
        )

    # ---- the console ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = request("GET", f"{self.state.console_url}/stats").json()
        return stats

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = request("GET", f"{self.state.console_url}/alerts").json()[
            "alerts"
        ]
        return alerts

    def reconcile_now(self, at: str | None = None) -> dict[str, Any]:
        """One reconcile pass now, as of ``at`` (an ISO 8601 instant) when given: the run's
        summary. RuntimeError when the console refuses or the run fails."""
        body = json.dumps({"at": at}).encode() if at is not None else b""
        # A pass may wait for a scheduled one, then asks the vendor a few calls a second.
        answer = request(
            "POST",
            f"{self.state.console_url}/reconcile",
            body=body,
            headers={"content-type": "application/json"},
            timeout=RECONCILE_TIMEOUT_SECONDS,
        )
        if answer.status != 200:
            raise RuntimeError(f"reconcile pass refused: {answer.status} {answer.body!r}")
        summary: dict[str, Any] = answer.json()
        return summary

    def add_fault(
        self,
        route: str = "POST /callbacks",
        status: int = 503,
        *,
        count: int | None = None,
        seconds: float | None = None,
    ) -> Answer:
        fault: dict[str, Any] = {"route": route, "status": status}
        if count is not None:
            fault["count"] = count
        if seconds is not None:
            fault["seconds"] = seconds
        return request("POST", f"{self.state.console_url}/faults", body=json.dumps(fault).encode())

    def add_vendor_fault(
        self, status: int = 503, *, count: int | None = None, seconds: float | None = None
    ) -> Answer:
        """Fail the simulated vendor's status API; status 0 drops the connection unanswered."""
        fault: dict[str, Any] = {"vendor": "status", "status": status}
        if count is not None:
            fault["count"] = count
        if seconds is not None:
            fault["seconds"] = seconds
        return request("POST", f"{self.state.console_url}/faults", body=json.dumps(fault).encode())

    def add_aws_fault(
        self,
        operation: str,
        error: str,
        *,
        match: str | list[str] | None = None,
        status: int | None = None,
        count: int | None = None,
        seconds: float | None = None,
    ) -> Answer:
        """Make an AWS call (``dynamodb:PutItem``) answer ``error``, for count or seconds."""
        fault: dict[str, Any] = {"aws": operation, "error": error}
        for name, value in (("match", match), ("status", status), ("count", count)):
            if value is not None:
                fault[name] = value
        if seconds is not None:
            fault["seconds"] = seconds
        return request("POST", f"{self.state.console_url}/faults", body=json.dumps(fault).encode())

    def clear_faults(self) -> Answer:
        return request("DELETE", f"{self.state.console_url}/faults")
