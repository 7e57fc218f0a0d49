"""What the routes answer: response models, which also make the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.timestamps import isoformat_millis
from receipts.transaction_ids import RECONCILE_BATCH_LIMIT

Instant = Annotated[datetime, PlainSerializer(isoformat_millis, return_type=str)]
# The vendor's scalars: strings in every documented sample, numbers tolerated so that an
# answer passes through exactly as the vendor sent it.
VendorScalar = str | int | float | bool | None


class AnswerSource(StrEnum):
    CALLBACKS = "callbacks"
    CACHE = "cache"
    UPSTREAM = "upstream"


class VendorTransactionDocument(BaseModel):
    """One transaction object of the vendor's status API; other fields pass through as sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    transactionid: VendorScalar = None
    clientid: VendorScalar = None
    api_version: VendorScalar = None
    type: VendorScalar = None
    from_: VendorScalar = Field(None, alias="from")
    to: VendorScalar = None
    channel: VendorScalar = None
    status: VendorScalar = Field(
        None, description="sent, queued, delivered, read, failed, expired, answered, ..."
    )
    date_created: VendorScalar = Field(None, examples=["Mon, 16 Aug 2010 03:45:01 UTC"])
    last_updated: VendorScalar = Field(None, examples=["Mon, 16 Aug 2010 03:45:03 UTC"])
    error_code: VendorScalar = None
    error_message: VendorScalar = None


class CodeMeaning(BaseModel):
    code: int
    message: str
    description: str
    classification: Classification
    known: bool = Field(description="False when the code is in none of the code tables.")


class TimelineEntry(BaseModel):
    status: DeliveryStatus
    raw_status: str = Field(description="The status exactly as the callback spelled it.")
    code: int | None
    description: str
    classification: Classification
    occurred_at: Instant
    received_at: Instant
    origin: EventOrigin = Field(
        description="Who told it: the vendor's callback, the status API when the reconcile"
        " sweep asked it, or the horizon (the sweep's own conclusion: no final receipt came"
        " in time, status unknown)."
    )


class UpstreamProblem(BaseModel):
    code: str
    message: str
    vendor_code: str | None = None


class TransactionView(BaseModel):
    transactionid: str
    status: DeliveryStatus
    raw_status: str
    final: bool = Field(
        description="True once nothing more is expected: a final status, or a closure at the"
        " reconcile horizon (then status is unknown)."
    )
    classification: Classification
    code: CodeMeaning | None
    channel: Channel
    destination: str | None
    correlationid: str | None
    source: AnswerSource = Field(
        description="Where the status comes from: stored callbacks, a cached vendor answer,"
        " or the vendor just now."
    )
    as_of: Instant = Field(
        description="When that information was obtained (last callback, or vendor answer)."
    )
    age_seconds: int = Field(ge=0)
    stale: bool = Field(description="True when the vendor failed and an old answer is shown.")
    upstream_error: UpstreamProblem | None = Field(
        None, description="Why the vendor could not be asked, when it could not."
    )
    timeline: list[TimelineEntry] = Field(
        description="Every stored event (callbacks, and what the reconcile sweep learned),"
        " in time order."
    )


class SearchEvent(BaseModel):
    status: DeliveryStatus
    code: int | None
    classification: Classification
    occurred_at: Instant


class SearchTransaction(BaseModel):
    transactionid: str
    channel: Channel
    destination: str
    correlationid: str
    status: DeliveryStatus = Field(
        description="The most advanced status among this page's events of the transaction."
    )
    classification: Classification
    last_event_at: Instant
    events: list[SearchEvent] = Field(description="This page's matching events, newest first.")


class SearchPageView(BaseModel):
    items: list[SearchTransaction] = Field(description="Transactions, newest event first.")
    next: str | None = Field(
        description="Pass as ?next= for the following page; null on the last page."
    )
    limit: int


class ReconcileRequest(BaseModel):
    transactionids: list[str] = Field(
        min_length=1,
        max_length=RECONCILE_BATCH_LIMIT,
        description="Transaction ids the send API returned. A malformed id is refused on its"
        " own (see refusals); the others are registered. Repeats count once.",
    )


class ReconcileRefusal(BaseModel):
    transactionid: str
    reason: str


class ReconcileAnswer(BaseModel):
    new: int = Field(
        ge=0,
        description="Ids without a final status that were not watched: now watched until"
        " watching_until.",
    )
    known: int = Field(
        ge=0,
        description="Ids with a final status stored, or already watched: nothing left to do.",
    )
    refused: int = Field(ge=0, description="Ids not registered: the length of refusals.")
    refusals: list[ReconcileRefusal] = Field(
        description="Each id not registered and why: malformed (fix it), or left for lack of"
        " time in this request (send it again)."
    )
    watching_until: Instant | None = Field(
        description="When the reconcile sweep stops asking about the new ids and closes those"
        " still without a final status; null when none is new."
    )


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str
    vendor_code: str | None = Field(None, description="The vendor's code, when it sent one.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class VendorRouteErrorBody(ErrorBody):
    """On the vendor's path, errors also carry the vendor's own ``code`` and ``description``."""

    code: str | None = Field(None, examples=["7600"])
    description: str | None = Field(None, examples=["no results found"])
