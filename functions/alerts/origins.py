"""Where an alert's event came from, in words.

A callback's alert reads as it always has. The reconcile sweep's events say where they came
from: a failure the status API told (the platform's callbacks never came), or a transaction
the sweep closed at the horizon without a final receipt, which is not a failure at all.
"""

from __future__ import annotations

import math

from alerts.model import Alert
from receipts.lifecycle import EventOrigin
from receipts.models.callback import DeliveryEvent

NO_RECEIPT_STATUS_LABEL = "no final receipt"
STATUS_API_SOURCE = "status API, asked by reconciliation (callbacks were not received)"


def horizon_hours(event: DeliveryEvent) -> float | None:
    """How long the sweep waited before closing the transaction (the body's
    ``horizon.hours``); None when the body does not say, so the wording leaves the figure
    out rather than the alert failing."""
    if event.origin is not EventOrigin.HORIZON:
        return None
    payload = event.payload
    horizon = payload.get("horizon") if isinstance(payload, dict) else None
    hours = horizon.get("hours") if isinstance(horizon, dict) else None
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        return None
    if not math.isfinite(hours) or hours <= 0:
        return None
    return float(hours)


def hours_label(hours: float) -> str:
    """72.0 reads "72", 1.5 reads "1.5"."""
    return f"{hours:g}"


def _within(hours: float | None) -> str:
    return f"within {hours_label(hours)} h" if hours else "by the reconcile horizon"


def no_receipt_intro(hours: float | None) -> str:
    return f"No final receipt came for a message {_within(hours)}; it may not have arrived."


def no_receipt_meaning(hours: float | None) -> str:
    return (
        f"The platform sent no final receipt {_within(hours)}, so reconciliation closed the "
        "transaction; whether the message arrived is not known."
    )


def source_label(alert: Alert) -> str | None:
    """The "Source" fact; None for a callback, whose alerts read as they always have."""
    if alert.origin is EventOrigin.STATUS_API:
        return STATUS_API_SOURCE
    if alert.origin is EventOrigin.HORIZON:
        if alert.horizon_hours:
            return f"reconciliation, closed at the {hours_label(alert.horizon_hours)} h horizon"
        return "reconciliation, closed at the horizon"
    return None
