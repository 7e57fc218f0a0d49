"""/v1/suppressions...: should a message still go to this destination?

Every route needs an API key. The registers are kept from the table's stream: a failure or a
delivery shows here within seconds of its callback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from lookup.route_docs import COMMON_ERRORS, KEYED, error_response, success_response
from lookup.route_guards import dependencies_of, refuse_path_tricks, require_api_key
from lookup.suppression_schemas import (
    DESTINATION_MAX_LENGTH,
    MOST_CHECKED_DESTINATIONS,
    LiftAnswer,
    SuppressionCheckAnswer,
    SuppressionCheckRequest,
    SuppressionListPage,
    SuppressionView,
)
from lookup.telemetry import logger, metrics
from receipts.channels import Channel
from receipts.masking import mask_destination
from receipts.storage import StoreUnavailableError

if TYPE_CHECKING:
    from lookup.suppressions import SuppressionService

# Powertools leaves Router.__init__ unannotated.
suppression_router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

ChannelInPath = Annotated[Channel, Path(description="The channel the messages go out on.")]
DestinationInPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=DESTINATION_MAX_LENGTH,
        description="MSISDN, email, push id... in any spelling search takes (URL-encoded).",
    ),
]
_ONE_ERRORS = {
    400: error_response(
        "The channel is not one this API knows, or the destination is not one path segment."
    ),
    401: COMMON_ERRORS[401],
    503: COMMON_ERRORS[503],
}


def _suppressions() -> SuppressionService:
    suppressions = dependencies_of(suppression_router).suppressions
    if suppressions is None:
        raise StoreUnavailableError("this process has no suppression list to read")
    return suppressions


@suppression_router.get(
    "/v1/suppressions/<channel>/<destination>",
    summary="Whether a destination is suppressed, why, and since when",
    description=(
        "A destination is suppressed when the latest decisive event stored for it is a"
        " permanent failure that says the destination itself is dead (invalid address,"
        " permanent bounce, complaint, unsubscribed, not verified, unregistered device); a"
        " later delivery or read lifts it. Never seen, or lifted: `suppressed` is false."
    ),
    operation_id="getSuppression",
    tags=["suppressions"],
    security=KEYED,
    responses={200: success_response("The destination's place on the list."), **_ONE_ERRORS},
    middlewares=[refuse_path_tricks, require_api_key],
)
def get_suppression(channel: ChannelInPath, destination: DestinationInPath) -> SuppressionView:
    view = _suppressions().one(channel, destination, suppression_router.context["deadline"])
    metrics.add_metric(name="SuppressionLookups", unit="Count", value=1)
    return view


@suppression_router.post(
    "/v1/suppressions/check",
    summary=f"Check up to {MOST_CHECKED_DESTINATIONS} destinations of one channel at once",
    description=(
        "Before a send: one entry per destination, in the order given, each as"
        " `GET /v1/suppressions/{channel}/{destination}` answers it."
    ),
    operation_id="checkSuppressions",
    tags=["suppressions"],
    security=KEYED,
    responses={
        200: success_response("Each destination's place on the list."),
        400: error_response(
            f"The body is not a channel with 1 to {MOST_CHECKED_DESTINATIONS} destinations."
        ),
        401: COMMON_ERRORS[401],
        503: COMMON_ERRORS[503],
    },
    middlewares=[require_api_key],
)
def check_suppressions(
    request: Annotated[SuppressionCheckRequest, Body()],
) -> SuppressionCheckAnswer:
    answer = _suppressions().check(request, suppression_router.context["deadline"])
    metrics.add_metric(name="SuppressionLookups", unit="Count", value=len(answer.results))
    return answer


@suppression_router.get(
    "/v1/suppressions",
    summary="The suppressed destinations of one channel, a page at a time",
    description=(
        "Grouped by write shard, each group oldest suppression first; pass `next` from one"
        " page to get the following one."
    ),
    operation_id="listSuppressions",
    tags=["suppressions"],
    security=KEYED,
    responses={
        200: success_response("One page of suppressed destinations."),
        400: error_response("The channel is not one this API knows, or `next` is not valid."),
        401: COMMON_ERRORS[401],
        503: COMMON_ERRORS[503],
    },
    middlewares=[require_api_key],
)
def list_suppressions(
    channel: Annotated[Channel, Query(description="The channel whose list to read.")],
    limit: Annotated[int, Query(ge=1, le=100, description="Destinations per page.")] = 50,
    next_token: Annotated[
        str | None, Query(alias="next", min_length=1, max_length=4096, description="Page token.")
    ] = None,
) -> SuppressionListPage:
    page = _suppressions().page(channel, limit, next_token, suppression_router.context["deadline"])
    metrics.add_metric(name="SuppressionListPages", unit="Count", value=1)
    return page


@suppression_router.delete(
    "/v1/suppressions/<channel>/<destination>",
    summary="Lift a destination's suppression by hand",
    description=(
        "The destination is no longer suppressed, until a permanent failure of a later"
        " second suppresses it again (an older one, arriving late, does not). A failure that"
        " lands while the lift is made is lifted with it."
    ),
    operation_id="liftSuppression",
    tags=["suppressions"],
    security=KEYED,
    responses={
        200: success_response("The suppression lifted, and the destination now."),
        **_ONE_ERRORS,
        404: error_response("The destination is not suppressed: nothing was changed."),
    },
    middlewares=[refuse_path_tricks, require_api_key],
)
def lift_suppression(channel: ChannelInPath, destination: DestinationInPath) -> LiftAnswer:
    answer = _suppressions().lift(channel, destination, suppression_router.context["deadline"])
    metrics.add_metric(name="SuppressionsLiftedByHand", unit="Count", value=1)
    # Who lifted what stays in the logs (masked), for the audit trail.
    logger.info(
        "suppression lifted by hand",
        extra={
            "channel": channel.value,
            "destination": mask_destination(answer.lifted.normalised),
            "reason": answer.lifted.reason,
            "transid": answer.lifted.transactionid,
        },
    )
    return answer
