"""The alerts function's domain: alerts, storm windows, digests and digest markers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from alerts.errors import AlertMessageError
from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage.alert_records import DIGEST_MARKER_KEY
from receipts.timestamps import isoformat_millis


class AlertMode(StrEnum):
    """How one alert reaches the team, decided once when it is first seen."""

    SINGLE = "single"  # its own message to every target
    DIGEST = "digest"  # counted into the storm window's next digest


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class StormWindow:
    """A fixed window of storm control: [start, start + seconds)."""

    start: datetime
    seconds: int

    @classmethod
    def containing(cls, instant: datetime, seconds: int) -> StormWindow:
        epoch = int(instant.astimezone(UTC).timestamp())
        return cls(datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC), seconds)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    def previous(self) -> StormWindow:
        return StormWindow(self.start - timedelta(seconds=self.seconds), self.seconds)

    @property
    def label(self) -> str:
        return isoformat_millis(self.start)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """What the ledger remembers of one (transaction, status) alert."""

    transid: str
    status: DeliveryStatus
    mode: AlertMode
    window: StormWindow
    sent: frozenset[str] = frozenset()
    # Targets that refused it for good (a webhook answering 404): never tried again.
    given_up: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DigestLine:
    """How many alerts of one channel, status and code a digest covers."""

    channel: Channel
    status: DeliveryStatus
    code: int | None
    count: int

    @property
    def counter_name(self) -> str:
        return digest_counter_name(self.channel, self.status, self.code)

    @property
    def is_no_final_receipt(self) -> bool:
        """Whether the line counts horizon closures. Counters keep no origin, but only a
        closure alerts with status ``unknown``: the rules let ``unknown`` through for it
        alone, and the settings refuse ``unknown`` as an alert status."""
        return self.status is DeliveryStatus.UNKNOWN


COUNTER_PREFIX = "c#"


def digest_counter_name(channel: Channel, status: DeliveryStatus, code: int | None) -> str:
    """The window item's attribute that counts one (channel, status, code) for the digest."""
    return f"{COUNTER_PREFIX}{channel.value}#{status.value}#{'' if code is None else code}"


def digest_line_from_counter(name: str, count: int) -> DigestLine:
    channel, status, code = name.removeprefix(COUNTER_PREFIX).split("#", 2)
    try:
        parsed_channel = Channel(channel)
    except ValueError:
        parsed_channel = Channel.UNKNOWN
    try:
        parsed_status = DeliveryStatus(status)
    except ValueError:
        parsed_status = DeliveryStatus.UNKNOWN
    return DigestLine(parsed_channel, parsed_status, int(code) if code.isdigit() else None, count)


def ordered_lines(lines: list[DigestLine]) -> tuple[DigestLine, ...]:
    """Largest first, then by name, so a digest always reads the same way."""
    return tuple(sorted(lines, key=lambda line: (-line.count, line.counter_name)))


@dataclass(frozen=True, slots=True)
class OpenDigest:
    """A digest claimed from its window and being delivered (kept until every target has it)."""

    sequence: int
    alerts: int
    lines: tuple[DigestLine, ...]
    examples: tuple[str, ...]
    window_alerts: int
    created_at: datetime
    sent: frozenset[str] = frozenset()
    given_up: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class WindowState:
    """A storm window as stored: its counters, marker chain and the digest in flight."""

    window: StormWindow
    alerts: int = 0
    pending: int = 0
    pending_lines: tuple[DigestLine, ...] = ()
    examples: tuple[str, ...] = ()
    example_slots: frozenset[str] = frozenset()
    marker_sequence: int | None = None
    chain_active: bool = False
    open_digest: OpenDigest | None = None
    digested: int = 0


@dataclass(frozen=True, slots=True)
class DigestMarker:
    """A delayed queue message asking for the window's pending alerts to be digested.

    ``sequence`` orders the markers of one window: only the marker the window item expects
    may act, so a duplicated or retried marker can never fork the chain.
    """

    window: StormWindow
    sequence: int

    BODY_KEY = DIGEST_MARKER_KEY

    def to_body(self) -> str:
        return json.dumps(
            {
                self.BODY_KEY: {
                    "window": self.window.label,
                    "windowSeconds": self.window.seconds,
                    "sequence": self.sequence,
                }
            },
            separators=(",", ":"),
        )

    @classmethod
    def is_marker(cls, payload: Any) -> bool:
        return isinstance(payload, dict) and cls.BODY_KEY in payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DigestMarker:
        try:
            marker = payload[cls.BODY_KEY]
            start = datetime.fromisoformat(str(marker["window"]).replace("Z", "+00:00"))
            seconds = int(marker["windowSeconds"])
            sequence = int(marker["sequence"])
        except (KeyError, TypeError, ValueError) as error:
            raise AlertMessageError(f"digest marker is malformed: {type(error).__name__}") from None
        if start.tzinfo is None or seconds <= 0 or sequence < 0:
            raise AlertMessageError("digest marker is malformed: bad window or sequence")
        return cls(StormWindow(start.astimezone(UTC), seconds), sequence)


# ---- what the targets render ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    """One failed delivery, or one closed without a final receipt, ready to be told to a
    person (destination already masked)."""

    transid: str
    status: DeliveryStatus
    raw_status: str
    channel: Channel
    raw_channel: str
    destination: str
    destination_type: str
    code: int | None
    raw_code: str
    code_message: str
    code_description: str
    classification: Classification
    occurred_at: datetime | None
    received_at: datetime
    correlationid: str
    callback_data: str
    lookup_url: str
    # Where the event came from: a callback, the reconcile sweep's status-API answer (the
    # callbacks never came), or the sweep's closure at the horizon (no final receipt).
    origin: EventOrigin = EventOrigin.CALLBACK
    # How long the sweep waited before a horizon closure; None for the other origins.
    horizon_hours: float | None = None

    @property
    def is_no_final_receipt(self) -> bool:
        return self.origin is EventOrigin.HORIZON

    @property
    def message_id(self) -> str:
        """Stable across retries, so receivers can de-duplicate (Standard Webhooks id)."""
        return f"msg_alert_{_fingerprint(self.transid, self.status.value)}"


@dataclass(frozen=True, slots=True)
class DigestExample:
    transid: str
    lookup_url: str


@dataclass(frozen=True, slots=True)
class Digest:
    """Many alerts of one storm window, told at once."""

    window: StormWindow
    sequence: int
    alerts: int
    lines: tuple[DigestLine, ...]
    examples: tuple[DigestExample, ...]
    window_alerts: int
    created_at: datetime

    @property
    def message_id(self) -> str:
        window = self.window
        return f"msg_digest_{_fingerprint(window.label, str(window.seconds), str(self.sequence))}"


Notice = Alert | Digest
