"""Counters and the access log of the HTTP API emulator.

Besides requests per route and status, each answer is summarised in a word: what ingest
said (``accepted``, ``duplicate``, an error code) or where a lookup's answer came from
(``callbacks``, ``cache``, ``upstream``, from the ``x-answer-source`` header).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter, defaultdict
from typing import Any

from local_stack.http_api import RequestRecord

LOGGER = logging.getLogger("local_stack")


class ApiStats:
    """Counts requests by route and status, and what the functions answered."""

    def __init__(self, *, access_log: bool) -> None:
        self._lock = threading.Lock()
        self.by_route: dict[str, Counter[str]] = defaultdict(Counter)
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self._access_log = access_log

    def observe(self, record: RequestRecord) -> None:
        route = record.route_key or f"{record.method} (no route)"
        outcome = _outcome(record)
        with self._lock:
            self.by_route[route][str(record.status)] += 1
            if outcome:
                self.outcomes[route][outcome] += 1
        if self._access_log:
            # The route, as the deployed API's access log has it ($context.routeKey), never
            # the raw path: older lookup clients put their API key in the path.
            LOGGER.info(
                "%s -> %d%s (%s, %.0f ms)",
                route,
                record.status,
                f" {outcome}" if outcome else "",
                "injected fault" if record.injected_fault else record.function or "no route",
                record.duration_ms,
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {route: dict(counts) for route, counts in self.by_route.items()},
                "outcomes": {route: dict(counts) for route, counts in self.outcomes.items()},
            }


def _outcome(record: RequestRecord) -> str | None:
    """A one-word summary of the answer: the ingest status, or where a lookup came from."""
    source = record.response.header("x-answer-source")
    if source:
        stale = record.response.header("x-cache") == "stale"
        return f"{source} (stale)" if stale else source
    content_type = record.response.header("content-type") or ""
    if not content_type.startswith("application/json"):
        return None
    try:
        payload = json.loads(record.response.body or b"null")
    except ValueError:
        return None
    if isinstance(payload, dict):
        if isinstance(payload.get("error"), dict):
            return str(payload["error"].get("code", "error"))
        for key in ("status", "source"):
            value = payload.get(key)
            if isinstance(value, str) and len(value) < 40:
                return value
    return None
