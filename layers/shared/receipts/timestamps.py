"""Vendor timestamps to aware UTC datetimes.

Callbacks carry ``2016-07-20T17:13:17.908`` (no zone), ``2017-08-29T23:00:22.961Z``,
``2016-07-22 15:26:34`` and ``+01:00`` offsets; a missing zone means UTC. The status API
uses RFC 1123 style dates such as ``Mon, 16 Aug 2010 03:45:01 UTC``.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Where a callback has no usable timestamp it still has to sort and de-duplicate the same
# way every time it is retried, so it gets this fixed instant rather than the arrival time.
UNKNOWN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)

# Epoch numbers above this are milliseconds (it is 5138 AD in seconds).
_MILLISECONDS_THRESHOLD = 100_000_000_000


def parse_callback_timestamp(raw: str | int | float | None) -> datetime | None:
    """Parse a callback ``timeStamp``; None when it is missing or unreadable."""
    if raw is None or raw == "":
        return None
    # isdecimal, not isdigit: "²" is a digit that float() refuses.
    if isinstance(raw, (int, float)) or (isinstance(raw, str) and raw.strip().isdecimal()):
        number = float(raw)
        if number > _MILLISECONDS_THRESHOLD:
            number /= 1000
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # "0001-01-01T00:00:00+01:00" is valid ISO 8601 but has no UTC instant in range.
        return None


def parse_status_api_date(raw: str | None) -> datetime | None:
    """Parse a status-API date (RFC 1123 style, or ISO 8601 as newer tenants send)."""
    if not raw:
        return None
    # Imported here: only the lookup function reads these dates, and email.utils costs
    # ~10 ms of cold start that the webhook should not pay.
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return parse_callback_timestamp(raw)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_rfc1123(instant: datetime) -> str:
    """The status API's own date format, for answers built from stored callbacks."""
    return instant.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")


def event_instant(occurred_at: datetime, received_at: datetime) -> datetime:
    """When an event happened, to the millisecond: its own time, or its arrival when it had
    no usable timestamp (stored at ``UNKNOWN_INSTANT`` so that its retries de-duplicate)."""
    return truncate_to_millis(received_at if occurred_at == UNKNOWN_INSTANT else occurred_at)


def truncate_to_millis(instant: datetime) -> datetime:
    """``instant`` to the millisecond, as keys and stored items hold it: what is read back
    equals what was written."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def isoformat_millis(instant: datetime) -> str:
    """Sortable ISO 8601 in UTC with milliseconds: the form used in keys and answers."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )
