"""What runs before a route: whose key it is, and whether the path is what it seems.

Every route but ``/openapi.json`` needs an API key: in ``x-api-key``; on the vendor's status
path also in the vendor's ``key`` header, or in the path itself (the older clients' form),
so that a client moving to this proxy changes only its base URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from lookup.auth import API_KEY_HEADER, VENDOR_KEY_HEADER
from lookup.errors import InvalidPathParameterError, InvalidTransactionIdError
from lookup.wiring import LookupDependencies

VENDOR_STATUS_PREFIX = "/resources/v1/messaging/status/"
KEY_IN_PATH_ROUTE = VENDOR_STATUS_PREFIX + "{key}/{transactionid}"
OPENAPI_PATH = "/openapi.json"
PUBLIC_PATHS = frozenset({OPENAPI_PATH})
# The vendor's routes' parameters: a bad one is refused as a bad transaction id, the answer
# client code written for the vendor already handles.
_TRANSACTION_PARAMETERS = frozenset({"transactionid", "key"})


def dependencies_of(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> LookupDependencies:
    dependencies: LookupDependencies = app.context["dependencies"]
    return dependencies


def _route_path(app: APIGatewayHttpResolver) -> str:
    """The route's path as the template declares it, whatever stage prefixes the URL."""
    route_key = app.current_event.raw_event.get("routeKey") or ""
    _, _, path = route_key.partition(" ")
    return path or app.current_event.path


def _path_parameters(app: APIGatewayHttpResolver) -> dict[str, str]:
    # As API Gateway matched them against the route: the authority on what the client sent.
    parameters: dict[str, str] = app.current_event.raw_event.get("pathParameters") or {}
    return parameters


def _presented_key(app: APIGatewayHttpResolver, route: str) -> str | None:
    if route == KEY_IN_PATH_ROUTE:
        return _path_parameters(app).get("key")
    # Powertools' header mapping ignores case, as HTTP does.
    headers = app.current_event.headers
    if route.startswith(VENDOR_STATUS_PREFIX):
        return headers.get(API_KEY_HEADER) or headers.get(VENDOR_KEY_HEADER)
    return headers.get(API_KEY_HEADER)


def authenticate(app: APIGatewayHttpResolver) -> None:
    """Raise unless the request carries a valid API key (public paths need none)."""
    route = _route_path(app)
    if route in PUBLIC_PATHS:
        return
    dependencies_of(app).api_keys.verify(_presented_key(app, route))


def require_api_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    authenticate(app)
    return next_middleware(app)


# Percent-decodings of a path parameter looked through (`%25252E` is three).
_MOST_DECODINGS = 4


def _is_one_segment(value: str) -> bool:
    # Every further percent-decoding too: a layer that decodes once more (a proxy, a client
    # library) must not find a `..` or a `/` in what was let through (`%252E%252E`).
    for _ in range(_MOST_DECODINGS):
        if "/" in value or value.strip(".") == "":
            return False
        decoded = unquote(value)
        if decoded == value:
            return True
        value = decoded
    return False  # still decoding after that many rounds: nobody's transaction id


def check_path_parameters(app: APIGatewayHttpResolver) -> None:
    """Raise unless every path parameter is exactly one path segment.

    ``%2F`` and ``%2E%2E`` reach the function decoded: ``a/b`` would route differently here
    than at API Gateway, and ``..`` would resolve away in the vendor's URL.
    """
    for name, value in sorted(_path_parameters(app).items()):
        if _is_one_segment(value):
            continue
        if name in _TRANSACTION_PARAMETERS:
            raise InvalidTransactionIdError("a path parameter is not one path segment")
        raise InvalidPathParameterError(name)


def refuse_path_tricks(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware
) -> Response[Any]:
    """Refused before anything else: no key check, no table, no vendor for such a path."""
    check_path_parameters(app)
    return next_middleware(app)


def is_vendor_route(app: APIGatewayHttpResolver) -> bool:
    return _route_path(app).startswith(VENDOR_STATUS_PREFIX)
