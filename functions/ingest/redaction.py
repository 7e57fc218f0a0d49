"""What a rejection may say about a body: its field names, never one of its values.

A rejection's message is answered, logged and kept as the quarantine's reason; it comes from
the parser or the table, which may quote what they refused (a destination, a push id). The
body itself is kept in the quarantine, so nothing is lost by leaving the values out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

# Shorter values (a status code, "SMS") are words a message holds anyway; no destination or
# push id is this short.
_SHORTEST_PRIVATE_VALUE = 4


def _scalar_values(body: bytes) -> Iterator[str]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            yield str(item)


def quotes_the_body(message: str, body: bytes) -> bool:
    """True when ``message`` repeats any value of the JSON ``body`` (only on a rejection)."""
    return any(
        len(value) >= _SHORTEST_PRIVATE_VALUE and value in message for value in _scalar_values(body)
    )


def unquoted_message(message: str, body: bytes, *, field: str | None) -> str:
    """``message``, or when it quotes the body, one that names only the field at fault."""
    if not quotes_the_body(message, body):
        return message
    if field and not quotes_the_body(field, body):
        return f"field '{field}' is invalid (its value is kept with the body, not repeated)"
    return "the body could not be read as a notification"
