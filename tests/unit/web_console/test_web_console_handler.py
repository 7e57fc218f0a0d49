"""GET /console and its files: served from the package, with the strict policy, and nothing
but the files in ``static/``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from web_console.assets import STATIC, assets
from web_console.handler import ASSET_ROUTE, PAGE_ROUTE, lambda_handler
from web_console.headers import CONTENT_SECURITY_POLICY


def _event(route: str, asset: str | None = None, **headers: str) -> dict[str, Any]:
    event: dict[str, Any] = {"routeKey": route, "headers": headers}
    if asset is not None:
        event["pathParameters"] = {"asset": asset}
    return event


def test_the_page_is_the_index_with_the_policy_and_no_caching_without_revalidation() -> None:
    answer = lambda_handler(_event(PAGE_ROUTE), None)

    assert answer["statusCode"] == 200
    assert answer["body"] == (STATIC / "index.html").read_text(encoding="utf-8")
    headers = answer["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("app.js", "text/javascript; charset=utf-8"), ("console.css", "text/css; charset=utf-8")],
)
def test_each_file_is_served_with_its_type(name: str, content_type: str) -> None:
    answer = lambda_handler(_event(ASSET_ROUTE, name), None)

    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == content_type
    assert answer["body"] == (STATIC / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "handler.py",
        "__init__.py",
        "../handler.py",
        "..%2Fhandler.py",
        "static/app.js",
        "APP.JS",
        "",
        "missing.js",
        # The page itself, one level too deep for its relative links: only at /console.
        "index.html",
    ],
)
def test_only_the_files_in_static_are_served(name: str) -> None:
    answer = lambda_handler(_event(ASSET_ROUTE, name), None)

    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "not_found"
    assert answer["headers"]["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_route_it_does_not_serve_is_not_found() -> None:
    assert lambda_handler(_event("GET /v1/transactions"), None)["statusCode"] == 404
    assert lambda_handler({}, None)["statusCode"] == 404


def test_a_known_version_is_answered_not_modified() -> None:
    first = lambda_handler(_event(ASSET_ROUTE, "app.js"), None)
    etag = first["headers"]["ETag"]

    def answered(if_none_match: str) -> int:
        event = _event(ASSET_ROUTE, "app.js", **{"if-none-match": if_none_match})
        return int(lambda_handler(event, None)["statusCode"])

    assert answered(f'"x", {etag}') == 304
    assert answered(f"W/{etag}") == 304  # weakened by a proxy on the way
    assert answered("*") == 304
    assert answered('"other"') == 200
    assert (
        lambda_handler(_event(ASSET_ROUTE, "app.js", **{"if-none-match": etag}), None)["body"] == ""
    )


def test_every_file_has_its_own_validator() -> None:
    etags = [found.etag for found in assets().values()]

    assert len(etags) == len(set(etags)) == len(list(STATIC.iterdir()))
