"""The one place where failures become HTTP answers: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)

from lookup.errors import (
    REPORTED_ERRORS,
    LookupRequestError,
    Problem,
    describe,
)
from lookup.telemetry import logger, metrics
from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE

# Called before a validation error is answered, so that an unauthenticated caller gets 401
# whatever else is wrong with the request (Powertools validates before any middleware runs).
Authenticate = Callable[[APIGatewayHttpResolver], None]
IsVendorRoute = Callable[[APIGatewayHttpResolver], bool]
# Raises when API Gateway's path parameters are not single path segments: a decoded %2F can
# make the path match no route here although API Gateway matched one.
CheckPathParameters = Callable[[APIGatewayHttpResolver], None]


def problem_response(problem: Problem, *, vendor_route: bool = False) -> Response[Any]:
    body: dict[str, Any] = {
        "error": {
            "code": problem.code,
            "message": problem.message,
            "vendor_code": problem.vendor_code,
        }
    }
    if vendor_route and problem.vendor_code:
        # A client written against the vendor reads its error code at the top level.
        body["code"] = problem.vendor_code
        body["description"] = problem.vendor_description
    headers: dict[str, str] = {}
    if problem.retry_after_seconds is not None:
        headers["Retry-After"] = str(problem.retry_after_seconds)
    return Response(
        status_code=problem.http_status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def _validation_problem(error: RequestValidationError) -> Problem:
    details = error.errors()
    if any(tuple(detail.get("loc", ()))[-1:] == ("transactionid",) for detail in details):
        return Problem(400, "invalid_transaction_id", INVALID_TRANSACTION_ID_MESSAGE)
    fields = sorted(
        {
            ".".join(str(part) for part in detail.get("loc", ()))
            + f": {detail.get('msg', 'invalid')}"
            for detail in details
        }
    )
    return Problem(400, "invalid_request", "; ".join(fields) or "The request is not valid.")


def register_error_handlers(
    resolver: APIGatewayHttpResolver,
    *,
    authenticate: Authenticate,
    is_vendor_route: IsVendorRoute,
    check_path_parameters: CheckPathParameters,
) -> None:
    def known_failure(error: Exception) -> Response[Any]:
        problem = describe(error)
        if problem is None:  # a subclass this module forgot: still a well-formed answer
            problem = Problem(500, "internal_error", "The lookup failed unexpectedly.")
        if problem.http_status == 401:
            metrics.add_metric(name="AuthenticationFailures", unit="Count", value=1)
        elif problem.http_status >= 500 or problem.http_status == 429:
            metrics.add_metric(name="FailedLookups", unit="Count", value=1)
            logger.warning("lookup failed", extra={"problem": problem.code, "error": str(error)})
        else:
            metrics.add_metric(name="RefusedLookups", unit="Count", value=1)
        return problem_response(problem, vendor_route=is_vendor_route(resolver))

    # The vendor's failures are the shared layer's, not LookupRequestErrors: listed too.
    resolver.exception_handler(list(REPORTED_ERRORS))(known_failure)

    def invalid_request(
        error: RequestValidationError | RequestUnsupportedContentType | UnicodeDecodeError,
    ) -> Response[Any]:
        try:
            # A path trick is refused as such first, with or without a key (the route's
            # middleware never runs when the id already fails the route's pattern).
            check_path_parameters(resolver)
            authenticate(resolver)
        except LookupRequestError as failure:
            return known_failure(failure)
        metrics.add_metric(name="RefusedLookups", unit="Count", value=1)
        if isinstance(error, RequestUnsupportedContentType):
            # A body that is neither JSON nor a form (text/plain, say): bad input like any
            # other, not the unhandled failure Powertools would otherwise make of it.
            problem = Problem(400, "invalid_request", "The body must be JSON (application/json).")
        elif isinstance(error, UnicodeDecodeError):
            # Powertools decodes the body as UTF-8 before validating it: bytes that are not
            # UTF-8 are bad input, not the unhandled failure they would otherwise be.
            problem = Problem(400, "invalid_request", "The body must be JSON in UTF-8.")
        else:
            problem = _validation_problem(error)
        return problem_response(problem, vendor_route=is_vendor_route(resolver))

    def invalid_response(error: ResponseValidationError) -> Response[Any]:
        logger.error("answer does not match its documented shape", extra={"errors": error.errors()})
        metrics.add_metric(name="FailedLookups", unit="Count", value=1)
        return problem_response(
            Problem(
                500, "internal_error", "The answer could not be produced in its documented shape."
            )
        )

    def no_route(_error: NotFoundError) -> Response[Any]:
        try:
            check_path_parameters(resolver)
        except LookupRequestError as failure:
            return known_failure(failure)
        # Powertools' own 404 body is {"statusCode", "message"}: answer in this API's shape.
        metrics.add_metric(name="RefusedLookups", unit="Count", value=1)
        return problem_response(Problem(404, "no_such_route", "No route matches this path."))

    resolver.not_found(no_route)
    resolver.exception_handler(
        [RequestValidationError, RequestUnsupportedContentType, UnicodeDecodeError]
    )(invalid_request)
    resolver.exception_handler(ResponseValidationError)(invalid_response)
