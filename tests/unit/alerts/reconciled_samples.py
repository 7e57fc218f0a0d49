"""Events the reconcile sweep stores, as the alerts tests need them: a failure the status API
told, and a transaction closed at the horizon without a final receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from receipts.models.callback import DeliveryEvent
from receipts.models.reconciled import horizon_event, status_api_event

# The transid and destination of callback sample 04-sms-failed, so a test can pair the two.
SMS_FAILED_TRANSID = "f040fe8b-2876-4824-b59e-44420047e204"
SMS_DESTINATION = "919908505526"
CLOSED_AT = datetime(2024, 5, 4, 10, 0, 0, tzinfo=UTC)


def status_api_failure(transid: str = SMS_FAILED_TRANSID) -> DeliveryEvent:
    """The status API's answer "Failed, 7200" for an SMS whose callbacks never came."""
    return status_api_event(
        transid,
        {
            "transid": transid,
            "channel": "SMS",
            "status": "Failed",
            "error_code": "7200",
            "error_message": "Unknown Status",
            "last_updated": "2024-05-01 10:00:00",
            "to": SMS_DESTINATION,
        },
    )


def horizon_closure(
    transid: str = SMS_FAILED_TRANSID,
    *,
    hours: float = 72.0,
    channel: str = "SMS",
    destination: str = SMS_DESTINATION,
) -> DeliveryEvent:
    """The sweep's closure of an SMS with no final receipt after ``hours``."""
    return horizon_event(
        transid,
        closed_at=CLOSED_AT,
        horizon_hours=hours,
        reason="no final receipt by the horizon",
        channel=channel,
        destination=destination,
    )
