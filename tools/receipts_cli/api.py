"""The stack's lookup API, as the commands use it: JSON in, JSON out, errors as exit codes."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from local_stack.client import Answer, request
from receipts_cli.errors import CliError, ExitCode
from receipts_cli.targets import Target

# A report or a check of 100 destinations reads a bounded number of items; a reconcile
# batch of 1000 ids may take the function's whole 29 s.
TIMEOUT_SECONDS = 35.0
# The largest page of the search and suppression-list routes.
PAGE_LIMIT = 100


def path_segment(value: str) -> str:
    """``value`` as one path segment: a destination may hold ``/``, ``@`` or ``+``."""
    return quote(value, safe="")


class LookupApi:
    def __init__(self, target: Target) -> None:
        self._target = target

    def get(self, path: str, query: Mapping[str, str | int | None] | None = None) -> Any:
        pairs = {name: value for name, value in (query or {}).items() if value is not None}
        return self._call("GET", f"{path}?{urlencode(pairs)}" if pairs else path)

    def pages(
        self, path: str, query: Mapping[str, str | int | None], *, limit: int
    ) -> tuple[list[Any], bool]:
        """Up to ``limit`` items of a paged route (pages of at most 100, followed by their
        ``next`` token), and whether there were more."""
        items: list[Any] = []
        token: str | None = None
        while True:
            page = self.get(
                path, {**query, "limit": min(PAGE_LIMIT, limit - len(items)), "next": token}
            )
            items.extend(page["items"])
            token = page.get("next")
            if not token or len(items) >= limit:
                return items[:limit], bool(token)

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, json.dumps(body).encode())

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)

    def _call(self, method: str, path: str, body: bytes | None = None) -> Any:
        headers = {self._target.api_key_header: self._target.api_key}
        if body is not None:
            headers["content-type"] = "application/json"
        url = f"{self._target.api_url}{path}"
        try:
            answer = request(method, url, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except (urllib.error.URLError, OSError) as error:
            raise CliError(
                f"{self._target.description} does not answer ({_reason(error)})",
                ExitCode.UNAVAILABLE,
                code="unavailable",
            ) from None
        if 200 <= answer.status < 300:
            return answer.json()
        raise _answer_error(answer)


def _reason(error: Exception) -> str:
    return str(getattr(error, "reason", None) or error)


def _answer_error(answer: Answer) -> CliError:
    try:
        detail = answer.json()["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", answer.body[:200].decode("utf-8", "replace")
    exit_code = {
        400: ExitCode.USAGE,
        401: ExitCode.NOT_AUTHORISED,
        403: ExitCode.NOT_AUTHORISED,
        404: ExitCode.NOT_FOUND,
    }.get(answer.status, ExitCode.UNAVAILABLE if answer.status >= 429 else ExitCode.INCOMPLETE)
    return CliError(f"{message} (HTTP {answer.status} {code})", exit_code, code=code)
