"""The single table's key design, in one place.

- event: pk ``TX#{transid}``, sk ``EV#{occurred}#{status}#{identity}``; in the destination
  and correlation indexes, and in the sparse ``open`` index while not final; every index is
  sorted by ``match_sort`` (``{occurred}#{transid}``). Destinations are indexed in their
  normalised form (``receipts.destinations``).
- cached status-API answer: pk ``CACHE#{transid}``, sk ``STATUS``.
- quarantined body: pk ``QUARANTINE#{day}`` or ``QUARANTINE.{shard}#{day}``, sk
  ``{received}#{request id}``.
- watched transaction (reconcile): pk ``WATCH#{transid}``, sk ``WATCH``; in the ``open`` index
  under ``DUE#{day}`` / ``DUE.{shard}#{day}`` (the day it is next due), sorted by
  ``{due}#{transid}``, while it is being watched.
- the reconcile sweep's position and lease: pk ``RECONCILE#SWEEP``, sk ``STATE``.
- alert ledger (alerts function): pk ``ALERT#{transid}#{status}``, sk ``ALERT``.
- storm-control window (alerts function): pk ``STORM#{window start}``, sk ``WINDOW#{seconds}``.
- a transaction's tally (reports): pk ``TALLY#{transid}``, sk ``TALLY``.
- a campaign's counters on one channel: pk ``CAMPAIGN#{correlation id}`` or
  ``CAMPAIGN.{shard}#{correlation id}``, sk ``CHANNEL#{channel}``.
- a day's counters on one channel: pk ``DAILY#{month}`` or ``DAILY.{shard}#{month}``, sk
  ``{day}#{channel}`` (a month per partition: a 93-day report reads at most five months).
- a destination's suppression register: pk ``SUPPRESSION#{channel}#{normalised destination}``,
  sk ``STATE``; while suppressed, in the ``open`` index under ``SUPPRESSED#{channel}`` /
  ``SUPPRESSED.{shard}#{channel}`` (sharded by destination), sorted by ``{since}#{digest}``.

One transaction is one partition, so its events come back in one query, already in time
order. The event sort key ends with the event's identity (``receipts.models.identity``, a
digest of the body's canonical JSON): a retried or re-serialised callback has the same one
and fails the conditional put, while events that differ in any field never share a key. The
time and status before it only make the partition read back in time order. The ``open``
index is sparse: only in-progress events are in it, keyed by the minute they arrived
(``receipts.storage.keys.arrival_bucket``), so the reconcile sweep can find transactions that
never heard their final status. A minute that is over never gets another entry (arrival
times only grow), so the sweep reads each minute once, after it is over, and misses nothing
however late or out of order the callbacks' own timestamps are. Items stored before the
minute buckets are keyed by their arrival day (``OPEN#2026-11-23``), which the sweep reads as
one more bucket after the day's last minute.

Write sharding. Three key values would otherwise take every write of a busy day or
campaign: the open key of a day, the correlation key of a campaign and the quarantine
partition of a day. Each is split into ``WRITE_SHARDS`` values, ``{WORD}#{value}`` for shard 0
and ``{WORD}.{shard}#{value}`` for the others. Shard 0 is the spelling these keys had before
they were sharded, so items stored before are simply in shard 0 and nothing is re-keyed. A
key without a shard has ``#`` right after its word and a sharded one has ``.``, so no two
(value, shard) pairs share a key whatever the value holds. Events are sharded by their
transid (every event of one transaction stays in one shard, so a sweep reads a transaction
whole), quarantined bodies by their request id. Readers query every shard of a value and
merge. Destination keys are not sharded: one destination gets thousands of messages an hour,
not a second.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

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

# 10M callbacks an hour with 3x bursts is about 8,333 writes a second, and all of them may
# belong to one campaign (one correlation key) or to one day (one open key). A partition
# takes 1,000 write units a second; kept under half of that, the load needs at least 17
# shards. 32 leaves room for the 1-2 write units of a quarantined body and is still few
# enough queries for a reader to run side by side.
WRITE_SHARDS = 32
CORRELATION_WORD = "CORR"
OPEN_WORD = "OPEN"
DUE_WORD = "DUE"
QUARANTINE_WORD = "QUARANTINE"

EVENT_SORT_PREFIX = "EV#"
CACHED_STATUS_SORT_KEY = "STATUS"


def transaction_key(transid: str) -> str:
    return f"{TRANSACTION_PREFIX}{transid}"


def strip_prefix(key: str) -> str:
    """The value inside an index key such as ``DEST#918886661353`` or ``CORR.7#campaign``."""
    return key.split("#", 1)[1] if "#" in key else key


def event_sort_key(occurred_at: datetime, status: DeliveryStatus, identity: str) -> str:
    return f"{EVENT_SORT_PREFIX}{isoformat_millis(occurred_at)}#{status.value}#{identity}"


def destination_key(destination: str) -> str:
    # Written and searched through the same normalisation, so every spelling of a number
    # finds the same transactions.
    return f"DEST#{normalise_destination(destination)}"


def shard_of(value: str) -> int:
    """The write shard of a transid or request id: the same in every process and version.

    Not ``hash()``, which Python salts per process.
    """
    digest = hashlib.blake2b(value.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % WRITE_SHARDS


def _sharded(word: str, value: str, shard: int, shards: int = WRITE_SHARDS) -> str:
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in 0..{shards - 1}")
    # Shard 0 is the spelling of the key before sharding: items stored then are found.
    return f"{word}#{value}" if shard == 0 else f"{word}.{shard}#{value}"


def correlation_key(correlationid: str, shard: int) -> str:
    return _sharded(CORRELATION_WORD, correlationid, shard)


def correlation_keys(correlationid: str) -> list[str]:
    """Every shard's key of one correlation id, shard 0 first."""
    return [correlation_key(correlationid, shard) for shard in range(WRITE_SHARDS)]


def open_key(bucket: str, shard: int) -> str:
    """An in-progress event's key in the open index: its arrival bucket (see below)."""
    return _sharded(OPEN_WORD, bucket, shard)


def open_keys(bucket: str) -> list[str]:
    return [open_key(bucket, shard) for shard in range(WRITE_SHARDS)]


ARRIVAL_BUCKET = timedelta(minutes=1)
_MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
_DAY_FORMAT = "%Y-%m-%d"


def arrival_bucket(received_at: datetime) -> str:
    """The minute an event arrived in, UTC: ``2026-12-03T10:05``."""
    return received_at.astimezone(UTC).strftime(_MINUTE_FORMAT)


def bucket_start(bucket: str) -> datetime:
    """When a bucket begins: a minute (``2026-12-03T10:05``) or a legacy day (``2026-12-03``)."""
    layout = _MINUTE_FORMAT if "T" in bucket else _DAY_FORMAT
    return datetime.strptime(bucket, layout).replace(tzinfo=UTC)


def bucket_end(bucket: str) -> datetime:
    """When a bucket is over: no event arriving later belongs to it."""
    length = ARRIVAL_BUCKET if "T" in bucket else timedelta(days=1)
    return bucket_start(bucket) + length


def bucket_order(bucket: str) -> tuple[datetime, bool]:
    """Sorts buckets in the order the sweep reads them: a legacy day after its last minute."""
    return bucket_end(bucket), "T" not in bucket


def next_bucket(bucket: str) -> str:
    """The bucket the sweep reads after ``bucket``.

    Minutes in order; after a day's last minute comes that day's legacy bucket (events stored
    before the minute buckets, keyed by their arrival day), then the next day's first minute.
    """
    start = bucket_start(bucket)
    if "T" not in bucket:
        return arrival_bucket(start + timedelta(days=1))
    following = start + ARRIVAL_BUCKET
    if following.date() != start.date():
        return start.strftime(_DAY_FORMAT)
    return arrival_bucket(following)


def due_key(day: str, shard: int) -> str:
    """A watched transaction's key in the open index: the day it is next due."""
    return _sharded(DUE_WORD, day, shard)


def due_keys(day: str) -> list[str]:
    return [due_key(day, shard) for shard in range(WRITE_SHARDS)]


WATCH_SORT_KEY = "WATCH"


def watch_key(transid: str) -> str:
    return f"WATCH#{transid}"


# A sweep state item's key: its partition and sort keys.
StateKey = tuple[str, str]

SWEEP_KEY = "RECONCILE#SWEEP"
SWEEP_SORT_KEY = "STATE"
# The asks' state (their lease, the earliest due day, the vendor's pause). Before discovery
# ran in parts, the one sweep kept its arrival-minute position here too.
ASKS_STATE: StateKey = (SWEEP_KEY, SWEEP_SORT_KEY)
# Discovery's parts keep theirs in a partition of their own: each function's grant then
# reaches its own state items only.
DISCOVERY_KEY = "RECONCILE#DISCOVERY"


def discovery_state_key(part: int, parts: int) -> StateKey:
    """The state item of one part of discovery (its lease and its position): parts read
    the write shards side by side, each those with ``shard % parts == part``."""
    return (DISCOVERY_KEY, f"PART#{part}/{parts}")


def index_sort_key(occurred_at: datetime, transid: str) -> str:
    return f"{isoformat_millis(occurred_at)}#{transid}"


def cache_key(transid: str) -> str:
    return f"CACHE#{transid}"


def quarantine_key(day: str, shard: int) -> str:
    return _sharded(QUARANTINE_WORD, day, shard)


def quarantine_keys(day: str) -> list[str]:
    return [quarantine_key(day, shard) for shard in range(WRITE_SHARDS)]


def quarantine_sort_key(received_at: datetime, request_id: str) -> str:
    return f"{isoformat_millis(received_at)}#{request_id}"


# A quarantined body's id, as operators see it, is its sort key: the instant it arrived (so
# its day) and the request id (so its shard) name its item.
_QUARANTINE_ID = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}\.\d{3}Z#(.{1,256})")


def quarantine_keys_of_id(quarantine_id: str) -> list[tuple[str, str]]:
    """The keys where the body ``quarantine_id`` may be: its shard's, then shard 0 (where
    bodies kept before the quarantine was sharded stayed). ValueError for a malformed id."""
    match = _QUARANTINE_ID.fullmatch(quarantine_id)
    if match is None:
        raise ValueError(
            f"{quarantine_id!r} is not a quarantined body's id "
            "(<arrival instant, YYYY-MM-DDTHH:MM:SS.mmmZ>#<request id>)"
        )
    day, request_id = match.groups()
    shards = dict.fromkeys([shard_of(request_id), 0])
    return [(quarantine_key(day, shard), quarantine_id) for shard in shards]


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


# ---- reports: the stream consumer's tallies and counters (``receipts.aggregates``).

TALLY_SORT_KEY = "TALLY"
TALLY_PREFIX = "TALLY#"


def tally_key(transid: str) -> str:
    """A transaction's tally: what it adds to the reports' counters."""
    return f"{TALLY_PREFIX}{transid}"


# The counters of one campaign (or day) take an update per write of the stream consumer
# that touches them (up to 80 transactions' moves summed), from every batch processed at
# once: at 10M callbacks an hour with 3x bursts, all of one campaign, about 108 writes a
# second, each a transactional update of 1-3 KB items. With 16 shards (one picked per
# write) the busiest shard's key takes about 12% of a partition's 1,000 units, and two
# writes in flight rarely pick the same shard (a transaction conflict, then a retry); a
# campaign report reads 16 partitions side by side. ``make capacity`` shows the figures.
AGGREGATE_SHARDS = 16
CAMPAIGN_WORD = "CAMPAIGN"
DAILY_WORD = "DAILY"


def campaign_counters_key(correlationid: str, shard: int) -> str:
    return _sharded(CAMPAIGN_WORD, correlationid, shard, AGGREGATE_SHARDS)


def campaign_counters_sort_key(channel: str) -> str:
    return f"CHANNEL#{channel}"


def daily_counters_key(month: str, shard: int) -> str:
    """A month's partition of day counters (``2026-12``)."""
    return _sharded(DAILY_WORD, month, shard, AGGREGATE_SHARDS)


def daily_counters_sort_key(day: str, channel: str) -> str:
    return f"{day}#{channel}"


# ---- suppressions: one register per destination (``receipts.suppressions``).

SUPPRESSION_PREFIX = "SUPPRESSION#"
SUPPRESSION_SORT_KEY = "STATE"
SUPPRESSED_WORD = "SUPPRESSED"


def suppression_key(channel: str, destination: str) -> str:
    """A destination's register. The channel never holds ``#``, so whatever the destination
    holds, no two (channel, destination) pairs share a key."""
    return f"{SUPPRESSION_PREFIX}{channel}#{normalise_destination(destination)}"


def suppressed_list_key(channel: str, shard: int) -> str:
    """A suppressed register's key in the open index: its channel, sharded by destination,
    so a wave of suppressions (a bad list sent to) spreads over every shard."""
    return _sharded(SUPPRESSED_WORD, channel, shard)


def suppressed_sort_key(since: str, destination: str) -> str:
    """A suppressed register's place in its list key: when, then a digest of which (the
    destination itself could outgrow an index sort key's 1,024 bytes)."""
    digest = hashlib.blake2b(destination.encode(), digest_size=8).hexdigest()
    return f"{since}#{digest}"
