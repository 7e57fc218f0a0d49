"""What the suppression routes take and answer: models that also make the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from lookup.schemas import Instant
from receipts.channels import Channel
from receipts.codes.suppression import SuppressionReason
from receipts.lifecycle import DeliveryStatus

MOST_CHECKED_DESTINATIONS = 100
DESTINATION_MAX_LENGTH = 256


def _storable(value: str) -> str:
    if not value.strip():
        raise ValueError("a destination holds more than spaces")
    # A lone surrogate (a JSON body may escape one) is no text the table can hold.
    value.encode("utf-8")
    return value


Destination = Annotated[
    str,
    # As sent, as the document says; spaces around it go when it is normalised.
    StringConstraints(min_length=1, max_length=DESTINATION_MAX_LENGTH),
    AfterValidator(_storable),
]


class SuppressionView(BaseModel):
    channel: Channel
    destination: str = Field(description="The destination as it was asked about.")
    normalised: str = Field(
        description="The form the list is kept by, as in search: a phone number's digits, an"
        " email address in lower case, any other id as it is."
    )
    suppressed: bool = Field(description="True: a send to this destination will not land.")
    reason: SuppressionReason | None = Field(
        description="Why it is suppressed; null when it is not."
    )
    code: int | None = Field(description="The vendor's code on the deciding event.")
    meaning: str | None = Field(description="That code's message in the code tables.")
    status: DeliveryStatus | None = Field(description="The deciding event's status.")
    transactionid: str | None = Field(
        description="The transaction whose event decided: the failure that suppressed the"
        " destination, or the delivery that lifted it."
    )
    since: Instant | None = Field(
        description="When the failure that suppressed it happened; null when not suppressed."
    )
    lifted_at: Instant | None = Field(
        description="When it was lifted (the delivery's time, or the operator's); null when it"
        " is suppressed or never was."
    )
    lifted_by: Literal["delivery", "operator"] | None
    updated_at: Instant | None = Field(description="When the list last changed for it.")


class SuppressionCheckRequest(BaseModel):
    channel: Channel
    destinations: list[Destination] = Field(
        min_length=1,
        max_length=MOST_CHECKED_DESTINATIONS,
        description=f"Up to {MOST_CHECKED_DESTINATIONS} destinations, in any spelling search"
        " takes.",
    )


class SuppressionCheckAnswer(BaseModel):
    channel: Channel
    results: list[SuppressionView] = Field(
        description="One entry per destination asked about, in the order asked."
    )
    suppressed: int = Field(ge=0, description="How many of them are suppressed.")


class SuppressionListPage(BaseModel):
    channel: Channel
    items: list[SuppressionView] = Field(description="Suppressed destinations.")
    next: str | None = Field(
        description="Pass as ?next= for the following page; null on the last page."
    )
    limit: int


class LiftAnswer(BaseModel):
    lifted: SuppressionView = Field(description="The suppression that was in force.")
    suppression: SuppressionView = Field(description="The destination now: not suppressed.")
