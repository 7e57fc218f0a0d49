"""The HTTP routes, on Powertools' HTTP API resolver with request validation and OpenAPI.

Routes live on module-level routers (registering them is cheap): the transactions' here,
the reports' in ``report_routes``, the suppression list's in ``suppression_routes``; the
resolver itself is built on first use. What runs before a route (the API key, the path's
shape) is in ``route_guards``.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.typing import LambdaContext

from lookup.auth import API_KEY_HEADER, VENDOR_KEY_HEADER
from lookup.http_errors import register_error_handlers
from lookup.report_routes import report_router
from lookup.route_docs import (
    API_KEY_SCHEME,
    COMMON_ERRORS,
    KEYED,
    VENDOR_KEY_SCHEME,
    VENDOR_KEYED,
    error_response,
    success_response,
)
from lookup.route_guards import (
    KEY_IN_PATH_ROUTE,
    OPENAPI_PATH,
    PUBLIC_PATHS,
    VENDOR_STATUS_PREFIX,
    authenticate,
    check_path_parameters,
    dependencies_of,
    is_vendor_route,
    refuse_path_tricks,
    require_api_key,
)
from lookup.schemas import (
    AnswerSource,
    ErrorBody,
    ReconcileAnswer,
    ReconcileRequest,
    SearchPageView,
    TransactionView,
    VendorRouteErrorBody,
    VendorTransactionDocument,
)
from lookup.segment_resolver import SegmentResolver
from lookup.service import StatusAnswer
from lookup.suppression_routes import suppression_router
from lookup.telemetry import ensure_metrics_namespace, logger, metrics
from lookup.wiring import LookupDependencies
from receipts.storage import StoreUnavailableError
from receipts.transaction_ids import TRANSACTION_ID_MAX_LENGTH, TRANSACTION_ID_PATTERN

# Re-exported: where the guards and the OpenAPI names were imported from before they moved.
__all__ = [
    "API_KEY_SCHEME",
    "KEY_IN_PATH_ROUTE",
    "PUBLIC_PATHS",
    "VENDOR_KEY_SCHEME",
    "VENDOR_STATUS_PREFIX",
    "authenticate",
    "build_resolver",
    "check_path_parameters",
    "handle",
    "is_vendor_route",
    "openapi_document",
    "refuse_path_tricks",
    "require_api_key",
    "router",
]

API_TITLE = "imiconnect-receipts lookup"
API_VERSION = "1.0.0"

# Powertools leaves Router.__init__ unannotated.
router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

TransactionId = Annotated[
    str,
    Path(
        pattern=TRANSACTION_ID_PATTERN,
        max_length=TRANSACTION_ID_MAX_LENGTH,
        description="The id the send API returned: a UUID, maybe with _N suffixes.",
    ),
]
KeyInPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=512,
        description="Your lookup API key, where older clients put the vendor's service key."
        " Never logged.",
    ),
]


def _vendor_errors(model: type[ErrorBody]) -> dict[int, OpenAPIResponse]:
    return {
        **{
            status: error_response(str(answer["description"]), model)
            for status, answer in COMMON_ERRORS.items()
        },
        403: error_response("Vendor 7601: the transaction belongs to another service.", model),
        404: error_response("Vendor 7600: no transaction with this id.", model),
        429: error_response("Vendor 7302: rate limit reached; see Retry-After.", model),
        502: error_response(
            "The vendor rejected the proxy's service key (7001/7002) or failed.", model
        ),
        504: error_response("The vendor did not answer in time.", model),
    }


# ---- answers ------------------------------------------------------------------------------


def _record(transid: str, source: AnswerSource, *, cache_layer: str | None, stale: bool) -> None:
    if stale:
        name = "StaleAnswers"
    elif source is AnswerSource.CACHE:
        layers = {"memory": "AnswersFromMemoryCache", "table": "AnswersFromTableCache"}
        name = layers.get(cache_layer or "", "AnswersFromCache")
    elif source is AnswerSource.CALLBACKS:
        name = "AnswersFromCallbacks"
    else:
        name = "AnswersFromVendor"
    metrics.add_metric(name=name, unit="Count", value=1)
    logger.info(
        "answered",
        extra={
            "transactionid": transid,
            "source": source.value,
            "cache": cache_layer,
            "stale": stale,
        },
    )


def answer_headers(answer: StatusAnswer, now: datetime) -> dict[str, str]:
    """Where the answer came from, in headers only: the body stays the vendor's exact shape."""
    headers = {"x-answer-source": answer.source.value}
    if answer.stale:
        headers["x-cache"] = "stale"
        headers["warning"] = '110 - "Response is Stale"'
        if answer.problem is not None:
            headers["x-stale-reason"] = answer.problem.code
    else:
        headers["x-cache"] = "hit" if answer.source is AnswerSource.CACHE else "miss"
    if answer.source is AnswerSource.CACHE:
        headers["age"] = str(answer.age_seconds(now))
    return headers


def _vendor_status_response(
    transactionid: str,
) -> Response[list[VendorTransactionDocument]]:
    service = dependencies_of(router).service
    answer = service.vendor_status(transactionid, router.context["deadline"])
    _record(transactionid, answer.source, cache_layer=answer.cache_layer, stale=answer.stale)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=json.loads(answer.body),
        headers=answer_headers(answer, service.now()),
    )


@router.get(
    VENDOR_STATUS_PREFIX + "<transactionid>",
    summary="Transaction status, exactly as the vendor's status API answers it",
    description=(
        "A drop-in for GET /resources/v1/messaging/status/{transactionid} of the vendor: same"
        " path, same JSON array. Answered from stored callbacks when they hold a final status,"
        " else from a cache, else from the vendor. Headers tell where the answer came from:"
        " x-answer-source (callbacks, cache, upstream), x-cache (hit, miss, stale), age; a"
        " stale answer (served because the vendor failed) also carries a Warning header."
        " The API key goes in x-api-key or, as client code written for the vendor sends it,"
        " in the key header."
    ),
    operation_id="getVendorStatus",
    tags=["vendor-compatible"],
    security=VENDOR_KEYED,
    responses={
        200: success_response("The vendor's JSON array, one document per transaction."),
        **_vendor_errors(VendorRouteErrorBody),
    },
    middlewares=[refuse_path_tricks, require_api_key],
)
def vendor_status(transactionid: TransactionId) -> Response[list[VendorTransactionDocument]]:
    return _vendor_status_response(transactionid)


@router.get(
    VENDOR_STATUS_PREFIX + "<key>/<transactionid>",
    summary="Transaction status, for older clients that put the key in the path",
    description=(
        "The same answer as /resources/v1/messaging/status/{transactionid}, for client code"
        " that calls the vendor's older form with its key in the path. Here the path's key is"
        " this API's lookup key (checked like the header, never logged); no header is needed."
    ),
    operation_id="getVendorStatusWithKeyInPath",
    tags=["vendor-compatible"],
    responses={
        200: success_response("The vendor's JSON array, one document per transaction."),
        **_vendor_errors(VendorRouteErrorBody),
    },
    middlewares=[refuse_path_tricks, require_api_key],
)
def vendor_status_with_key_in_path(
    key: KeyInPath, transactionid: TransactionId
) -> Response[list[VendorTransactionDocument]]:
    # The key was checked by require_api_key before the route ran.
    del key
    return _vendor_status_response(transactionid)


@router.get(
    "/v1/transactions/<transactionid>",
    summary="A transaction's current status, its meaning and its timeline",
    description=(
        "The current status (the shared lifecycle rule over every stored callback, or the"
        " vendor's answer when no final callback is stored), its classification and the"
        " code's meaning, every stored callback in time order, where the answer came from"
        " and how old it is."
    ),
    operation_id="getTransaction",
    tags=["transactions"],
    security=KEYED,
    responses={
        200: success_response("The transaction's current status and its timeline of callbacks."),
        **_vendor_errors(ErrorBody),
    },
    middlewares=[refuse_path_tricks, require_api_key],
)
def transaction(transactionid: TransactionId) -> TransactionView:
    view = dependencies_of(router).service.transaction_view(
        transactionid, router.context["deadline"]
    )
    _record(transactionid, view.source, cache_layer=None, stale=view.stale)
    return view


@router.get(
    "/v1/transactions",
    summary="Transactions sent to a destination, or carrying a correlation id",
    description=(
        "Give exactly one of destination or correlationid. Newest first; a page holds up to"
        " `limit` stored events grouped by transaction; pass `next` from one page to get the"
        " following one."
    ),
    operation_id="searchTransactions",
    tags=["transactions"],
    security=KEYED,
    responses={200: success_response("One page of matching transactions."), **COMMON_ERRORS},
    middlewares=[require_api_key],
)
def search(
    destination: Annotated[
        str | None, Query(min_length=1, max_length=256, description="MSISDN, email, push id...")
    ] = None,
    correlationid: Annotated[
        str | None, Query(min_length=1, max_length=256, description="As set on the send.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Stored events per page.")] = 20,
    next_token: Annotated[
        str | None, Query(alias="next", min_length=1, max_length=4096, description="Page token.")
    ] = None,
) -> SearchPageView:
    page = dependencies_of(router).service.search(
        destination=destination,
        correlationid=correlationid,
        limit=limit,
        cursor=next_token,
        deadline=router.context["deadline"],
    )
    metrics.add_metric(name="Searches", unit="Count", value=1)
    return page


@router.post(
    "/v1/reconcile",
    summary="Register transactions for reconciliation with the vendor's status API",
    description=(
        "Name up to 1000 transaction ids (the send API's) whose final status you need even"
        " if no callback ever brings it. An id with a final status stored, or already"
        " watched, is known: nothing is left to do. Any other id is watched: the vendor's status"
        " API is asked about it from RECONCILE_AFTER_MINUTES on, and at the horizon"
        " (watching_until) one still without a final status is closed with status unknown"
        " (origin horizon in its timeline). Malformed ids are refused one by one; the others"
        " are registered. Sending the same ids again is safe."
    ),
    operation_id="registerForReconciliation",
    tags=["transactions"],
    security=KEYED,
    responses={
        200: success_response(
            "How many ids are new, known or refused, and why each refused one was."
        ),
        400: error_response(
            "The body is not a JSON object with 1 to 1000 string ids in transactionids."
        ),
        401: COMMON_ERRORS[401],
        503: COMMON_ERRORS[503],
    },
    middlewares=[require_api_key],
)
def reconcile(request: Annotated[ReconcileRequest, Body()]) -> ReconcileAnswer:
    registrar = dependencies_of(router).registrar
    if registrar is None:
        raise StoreUnavailableError("this process has no watch store to register ids in")
    answer = registrar.register(request.transactionids, router.context["deadline"])
    metrics.add_metric(name="ReconcileRegistered", unit="Count", value=answer.new)
    metrics.add_metric(name="ReconcileRefused", unit="Count", value=answer.refused)
    # Counts only: the ids themselves are the caller's business.
    logger.info(
        "registered for reconciliation",
        extra={"new": answer.new, "known": answer.known, "refused": answer.refused},
    )
    return answer


@router.get(
    OPENAPI_PATH,
    summary="This API's OpenAPI 3 document",
    description="Public: it describes the routes and holds no data.",
    operation_id="getOpenApiDocument",
    tags=["meta"],
)
def openapi_json() -> Response[dict[str, Any]]:
    metrics.add_metric(name="OpenApiDocuments", unit="Count", value=1)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=openapi_document(),
        headers={"cache-control": "public, max-age=3600"},
    )


# ---- the resolver and its document --------------------------------------------------------


@cache
def build_resolver() -> APIGatewayHttpResolver:
    resolver = SegmentResolver(enable_validation=True, response_validation_error_http_code=500)
    resolver.include_router(router)
    resolver.include_router(report_router)
    resolver.include_router(suppression_router)
    register_error_handlers(
        resolver,
        authenticate=authenticate,
        is_vendor_route=is_vendor_route,
        check_path_parameters=check_path_parameters,
    )
    return resolver


# Powertools documents validation failures as 422 and its own response-validation body;
# this API answers both in its single error shape (400 and 500), and says so.
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _house_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    error_reference = {"$ref": "#/components/schemas/ErrorBody"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if "500" in responses:
                responses["500"] = {
                    "description": "An unexpected failure of the lookup itself.",
                    "content": {"application/json": {"schema": error_reference}},
                }
    schemas = document.get("components", {}).get("schemas", {})
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return document


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of every route, generated from the code."""
    # Powertools' OpenAPI models cost ~60-150 ms to import: only the document needs them,
    # so the lookups themselves never pay for them.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    generated = build_resolver().get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        description=(
            "Status look-ups for IMIconnect / Webex Connect messages: a cached drop-in for the"
            " vendor's transaction status API, answered from stored delivery callbacks when"
            " possible, plus a timeline, a search, and campaign and daily delivery reports of"
            " this product's own."
        ),
        security_schemes={
            API_KEY_SCHEME: APIKey(name=API_KEY_HEADER, in_=APIKeyIn.header),
            VENDOR_KEY_SCHEME: APIKey(
                name=VENDOR_KEY_HEADER,
                in_=APIKeyIn.header,
                description="The vendor's own header: accepted on the vendor's status path only.",
            ),
        },
    )
    return _house_error_responses(json.loads(generated))


def handle(
    event: dict[str, Any], context: LambdaContext, dependencies: LookupDependencies
) -> dict[str, Any]:
    ensure_metrics_namespace()
    resolver = build_resolver()
    # The resolver clears its context after every request.
    resolver.context["dependencies"] = dependencies
    resolver.context["deadline"] = dependencies.deadline_for(context)
    return resolver.resolve(event, context)
