"""GET /console and GET /console/{asset}: the page and its files, nothing else.

No Powertools and no AWS client: the function reads no data and needs no permission, so
its cold start is Python's own. The API's access log records every request.
"""

from __future__ import annotations

import json
from typing import Any

from web_console.assets import PAGE, Asset, asset
from web_console.headers import SECURITY_HEADERS

PAGE_ROUTE = "GET /console"
ASSET_ROUTE = "GET /console/{asset}"


def _not_found() -> dict[str, Any]:
    body = {"error": {"code": "not_found", "message": "No such console file.", "vendor_code": None}}
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json", **SECURITY_HEADERS},
        "body": json.dumps(body),
    }


def _matches(etag: str, if_none_match: str) -> bool:
    """If-None-Match compares weakly: a proxy may have marked the validator W/."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _answer(found: Asset, if_none_match: str | None) -> dict[str, Any]:
    headers = {
        "Content-Type": found.content_type,
        "Cache-Control": "no-cache",
        "ETag": found.etag,
        **SECURITY_HEADERS,
    }
    if if_none_match is not None and _matches(found.etag, if_none_match):
        return {"statusCode": 304, "headers": headers, "body": ""}
    return {"statusCode": 200, "headers": headers, "body": found.body}


def lambda_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    route = event.get("routeKey")
    if route == PAGE_ROUTE:
        name = PAGE
    elif route == ASSET_ROUTE:
        name = (event.get("pathParameters") or {}).get("asset", "")
        # The page at /console/index.html would resolve its files one level too deep.
        if name == PAGE:
            return _not_found()
    else:
        return _not_found()
    found = asset(name)
    if found is None:
        return _not_found()
    return _answer(found, (event.get("headers") or {}).get("if-none-match"))
