"""What makes two callbacks the same event.

The platform sends no event id. It retries a callback byte for byte, yet two distinct
events of one transaction can agree on every field the lifecycle reads: two clicks in the
same second with different links, two events whose timestamps are missing, no code and code
``"0"``, one transid reported on two channels. So the identity is everything the body says
about the event: a digest of the body's JSON written canonically (keys sorted, no
whitespace, ASCII escapes), leaving out the fields that describe how the body was delivered
rather than what happened (``x-wx-gtrid``, ``dataIntegration``), at the top level and in
``deliveryInfoNotification``. Numbers are written in one spelling (``1.0``, ``1`` and
``1e0`` are one value). A retry and a re-serialised copy of the same fields share the
identity; any field that differs makes another event.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

# Set per delivery attempt or per integration (the Data Streams trace id and flow context),
# so the same event sent twice, or by two integrations, may differ in them.
TRANSPORT_FIELDS = frozenset({"x-wx-gtrid", "dataIntegration"})
NOTIFICATION_FIELDS = frozenset({"deliveryInfoNotification", "deliveryinfonotification"})

# 120 bits: no two events of one transaction collide by chance, and 20 characters keep the
# sort key (and so every index item) small.
_DIGEST_BYTES = 15


def _without_transport(value: Any) -> Any:
    # Most bodies carry no transport field: they are digested as parsed, with no copy.
    if not isinstance(value, dict) or TRANSPORT_FIELDS.isdisjoint(value):
        return value
    return {key: item for key, item in value.items() if key not in TRANSPORT_FIELDS}


def canonical_payload(payload: Any) -> bytes:
    """The body's content in one spelling: what the identity digests."""
    content = _without_transport(payload)
    if isinstance(content, dict):
        for key in NOTIFICATION_FIELDS.intersection(content):
            notification = _without_transport(content[key])
            if notification is not content[key]:
                content = {**content, key: notification}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _json_number(text: str) -> int | float:
    # One spelling per number: a re-serialiser may write 1.0 as 1 (JavaScript does) or 100
    # as 1e2, and that copy must stay the same event. Beyond 2**53 floats are not exact.
    value = float(text)
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value


def event_identity(raw_body: bytes) -> str:
    """The identity of a callback body that has already parsed as JSON."""
    payload = json.loads(raw_body, parse_float=_json_number)
    digest = hashlib.blake2b(canonical_payload(payload), digest_size=_DIGEST_BYTES)
    return base64.urlsafe_b64encode(digest.digest()).decode()
