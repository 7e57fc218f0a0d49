"""What a run's event asks for: the instant it runs as of, and which part of discovery.

EventBridge gives a scheduled run the target's constant input as the event (discovery's
schedules carry ``{"part": p, "parts": n}``) or, without one, the scheduled event. A run
asked for by hand (the local stack's console) is an event whose ``detail.at`` (an ISO 8601
instant with a time zone) runs it as of that instant: the local tests rehearse the horizon
with it. Scheduled events carry none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, TypeGuard

from receipts.storage import keys


class InvalidRunRequestError(ValueError):
    """An event that asks for something a run cannot be: named in the message."""


class DiscoveryPart(NamedTuple):
    part: int
    parts: int


def as_of(event: dict[str, Any]) -> datetime | None:
    detail = event.get("detail")
    at = detail.get("at") if isinstance(detail, dict) else None
    if at is None:
        return None
    try:
        instant = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRunRequestError(f"detail.at {at!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise InvalidRunRequestError(f"detail.at {at!r} has no time zone")
    return instant


def discovery_part(event: dict[str, Any]) -> DiscoveryPart:
    """The part of discovery the event names; every part is named by its schedule."""
    part, parts = event.get("part"), event.get("parts")
    if not (_is_count(part) and _is_count(parts)):
        raise InvalidRunRequestError(
            f"a discovery run needs integer 'part' and 'parts', not {part!r} and {parts!r}"
        )
    if not 0 <= part < parts <= keys.WRITE_SHARDS:
        raise InvalidRunRequestError(
            f"no discovery part {part} of {parts} (parts: 1 to {keys.WRITE_SHARDS})"
        )
    return DiscoveryPart(part, parts)


def _is_count(value: object) -> TypeGuard[int]:
    # bool is an int to Python, never a part.
    return isinstance(value, int) and not isinstance(value, bool)
