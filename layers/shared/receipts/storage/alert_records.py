"""The alert hand-off format: a table stream record, as the EventBridge pipe delivers it.

The pipe forwards each INSERT whose new image has ``alert = true`` onto the alerts queue,
as JSON; binary attributes arrive base64-encoded there. The local stack's pipe emulator
uses the same filter and encoding, so the alerts function sees one format everywhere.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime
from typing import Any

from receipts.errors import NotificationValidationError
from receipts.storage.event_store import StoredEvent, stored_event_from_item

# The template's pipe filter, kept here in Python form for the local emulator and tests.
ALERT_FILTER_PATTERN = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"alert": {"BOOL": [True]}}},
}


# The body of a digest marker (the alerts function's own delayed message) is an object under
# this key; anything else on the alerts queue is a stream record.
DIGEST_MARKER_KEY = "alertsDigest"


def matches_alert_filter(record: dict[str, Any]) -> bool:
    image = record.get("dynamodb", {}).get("NewImage", {})
    return record.get("eventName") == "INSERT" and image.get("alert", {}).get("BOOL") is True


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def pipe_message_from_stream_record(record: dict[str, Any]) -> str:
    """Encode a stream record (as boto3 returns it) the way the pipe puts it on the queue."""
    return json.dumps(record, default=_json_default, separators=(",", ":"))


def _decode_binary(image: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(image)
    raw = decoded.get("raw", {}).get("B")
    if isinstance(raw, str):
        decoded["raw"] = {"B": base64.b64decode(raw)}
    return decoded


def stored_event_from_pipe_message(body: str) -> StoredEvent:
    """The stored event carried by one alerts-queue message.

    Raises :class:`NotificationValidationError` when the message is not a stream record of
    a stored event (a poison message).
    """
    try:
        record = json.loads(body)
        image = record["dynamodb"]["NewImage"]
        return stored_event_from_item(_decode_binary(image))
    except NotificationValidationError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, zlib.error) as error:
        # zlib.error is not a ValueError: a body that does not decompress is poison too.
        raise NotificationValidationError(
            f"alert message is not a stored-event stream record: {type(error).__name__}",
            field="dynamodb.NewImage",
        ) from None
