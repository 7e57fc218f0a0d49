"""The single table's key design, in one place.

- event: pk ``TX#{transid}``, sk ``EV#{occurred}#{status}#{identity}``; in the destination
  and correlation indexes, and in the sparse ``open`` index while not final; every index is
  sorted by ``match_sort`` (``{occurred}#{transid}``). Destinations are indexed in their
  normalised form (``receipts.destinations``).
- cached status-API answer: pk ``CACHE#{transid}``, sk ``STATUS``.
- quarantined body: pk ``QUARANTINE#{day}``, sk ``{received}#{request id}``.
- alert ledger (alerts function): pk ``ALERT#{transid}#{status}``, sk ``ALERT``.
- storm-control window (alerts function): pk ``STORM#{window start}``, sk ``WINDOW#{seconds}``.

One transaction is one partition, so its events come back in one query, already in time
order. The event sort key ends with the event's identity (``receipts.models.identity``, a
digest of the body's canonical JSON): a retried or re-serialised callback has the same one
and fails the conditional put, while events that differ in any field never share a key. The
time and status before it only make the partition read back in time order. The ``open``
index is sparse: only in-progress events are in it, keyed by the day they arrived, so a
sweep can find transactions that never heard their final status.
"""

from __future__ import annotations

from datetime import datetime

from receipts.destinations import normalise_destination
from receipts.lifecycle import DeliveryStatus
from receipts.timestamps import isoformat_millis

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"

DESTINATION_INDEX = "by-destination"
CORRELATION_INDEX = "by-correlation"
OPEN_INDEX = "open-by-day"
INDEX_SORT_ATTRIBUTE = "match_sort"
DESTINATION_KEY = "destination_key"
CORRELATION_KEY = "correlation_key"
INDEX_KEYS: dict[str, tuple[str, str]] = {
    DESTINATION_INDEX: (DESTINATION_KEY, INDEX_SORT_ATTRIBUTE),
    CORRELATION_INDEX: (CORRELATION_KEY, INDEX_SORT_ATTRIBUTE),
    OPEN_INDEX: ("open_key", INDEX_SORT_ATTRIBUTE),
}
TRANSACTION_PREFIX = "TX#"

EVENT_SORT_PREFIX = "EV#"
CACHED_STATUS_SORT_KEY = "STATUS"


def transaction_key(transid: str) -> str:
    return f"{TRANSACTION_PREFIX}{transid}"


def strip_prefix(key: str) -> str:
    """The value inside an index key such as ``DEST#918886661353``."""
    return key.split("#", 1)[1] if "#" in key else key


def event_sort_key(occurred_at: datetime, status: DeliveryStatus, identity: str) -> str:
    return f"{EVENT_SORT_PREFIX}{isoformat_millis(occurred_at)}#{status.value}#{identity}"


def destination_key(destination: str) -> str:
    # Written and searched through the same normalisation, so every spelling of a number
    # finds the same transactions.
    return f"DEST#{normalise_destination(destination)}"


def correlation_key(correlationid: str) -> str:
    return f"CORR#{correlationid}"


def open_key(day: str) -> str:
    return f"OPEN#{day}"


def index_sort_key(occurred_at: datetime, transid: str) -> str:
    return f"{isoformat_millis(occurred_at)}#{transid}"


def cache_key(transid: str) -> str:
    return f"CACHE#{transid}"


def quarantine_key(day: str) -> str:
    return f"QUARANTINE#{day}"


def quarantine_sort_key(received_at: datetime, request_id: str) -> str:
    return f"{isoformat_millis(received_at)}#{request_id}"


# ---- alerts: short-lived items (``expires_at``) under the only prefixes the alerts
# function may write (its IAM policy limits dynamodb:LeadingKeys to ALERT#* and STORM#*).

ALERT_SORT_KEY = "ALERT"


def alert_key(transid: str, status: DeliveryStatus) -> str:
    """One item per (transaction, status): which alert targets already have the alert."""
    return f"ALERT#{transid}#{status.value}"


def storm_window_key(window_start: datetime) -> str:
    """One item per storm-control window: its alert counter and the digest in progress."""
    return f"STORM#{isoformat_millis(window_start)}"


def storm_window_sort_key(window_seconds: int) -> str:
    # The length is part of the key so a changed window setting never mixes counters.
    return f"WINDOW#{window_seconds}"
