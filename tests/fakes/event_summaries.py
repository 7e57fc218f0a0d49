"""Stored events as the report and suppression code reads them (``EventSummary``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage.event_store import EventSummary

SENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def callback_summary(
    status: DeliveryStatus,
    *,
    after_seconds: float = 0,
    channel: Channel = Channel.SMS,
    code: int | None = None,
    campaign: str = "black-friday",
    sent: datetime = SENT,
    destination: str = "919999000000",
) -> EventSummary:
    """A callback's event ``after_seconds`` after the campaign was sent, received at once."""
    when = sent + timedelta(seconds=after_seconds)
    return EventSummary(
        status=status,
        origin=EventOrigin.CALLBACK,
        occurred_at=when,
        received_at=when,
        code=code,
        channel=channel,
        destination=destination,
        correlationid=campaign,
    )
