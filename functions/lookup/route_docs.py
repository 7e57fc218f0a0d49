"""What every route's OpenAPI entry shares: the key schemes and the documented errors."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from lookup.schemas import ErrorBody

API_KEY_SCHEME = "ApiKey"
VENDOR_KEY_SCHEME = "VendorKey"

KEYED: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}]
# Either header will do on the vendor's path.
VENDOR_KEYED: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}, {VENDOR_KEY_SCHEME: []}]


def error_response(description: str, model: type[ErrorBody] = ErrorBody) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


def success_response(description: str) -> OpenAPIResponse:
    # No content here: Powertools fills it in from the route's return annotation, which it
    # only does by itself when a route lists no responses of its own.
    return {"description": description}


COMMON_ERRORS: dict[int, OpenAPIResponse] = {
    400: error_response("The request is malformed (a transaction id, a query parameter)."),
    401: error_response("The API key is missing or not valid."),
    503: error_response("The table or the API keys cannot be read right now; retry."),
}
