"""An alerts-queue message is a stored event's stream record, or poison: never a crash."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from receipts.errors import NotificationValidationError
from receipts.storage.alert_records import stored_event_from_pipe_message


def _message(raw: bytes) -> str:
    image = {
        "pk": {"S": "TX#tx-1"},
        "sk": {"S": "EV#2026-12-03T10:00:00.000Z#failed#id"},
        "received_at": {"S": "2026-12-03T10:00:01+00:00"},
        "raw": {"B": base64.b64encode(raw).decode()},
    }
    return json.dumps({"eventName": "INSERT", "dynamodb": {"NewImage": image}})


@pytest.mark.parametrize(
    "raw",
    [b"\x78\x9c not deflate", b"", zlib.compress(b"not json"), zlib.compress(b"[]")],
    ids=["corrupt deflate", "empty", "not json", "not a notification"],
)
def test_a_body_that_does_not_read_is_poison(raw: bytes) -> None:
    with pytest.raises(NotificationValidationError):
        stored_event_from_pipe_message(_message(raw))
