"""The alerting rules: what alerts, once per target, and when a storm becomes a digest.

No AWS here: the ledger, the marker scheduler and the targets come in through small
interfaces, so the rules are tested with in-memory fakes.

Storm control, in short (docs/alerts.md has the long form):

- Time is cut into fixed windows of ``storm_window_seconds``. Every new alert adds one to
  its window's counter (an atomic ADD). The first ``storm_threshold`` alerts of a window go
  out one by one; the rest are *digest-bound*: counted by channel, status and code.
- A window that follows a storm window starts in storm mode, so a storm lasting several
  windows is told in digests only, not in ``threshold`` single alerts per window.
- The first digest-bound alert of a window starts a chain of delayed marker messages on
  the alerts queue. Each marker digests whatever is pending and, while the window is open
  (or stragglers arrived), schedules the next one. So a storm's tail is always reported,
  with at most one digest per window and per 15 minutes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from alerts.delivery import Dispatcher
from alerts.errors import AlertMessageError
from alerts.ledger import AlertLedger
from alerts.marks import AlertMarks, DigestMarks
from alerts.messages import build_alert, lookup_url
from alerts.model import (
    AlertMode,
    AlertRecord,
    Digest,
    DigestExample,
    DigestMarker,
    OpenDigest,
    StormWindow,
    digest_counter_name,
)
from alerts.observability import logger
from alerts.operations import LoggedOperationsNotifier, OperationsNotifier
from alerts.scheduler import MAX_DELAY_SECONDS, DigestScheduler
from alerts.settings import AlertSettings
from alerts.targets import AlertTarget
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.models.callback import DeliveryEvent
from receipts.storage.alert_records import stored_event_from_pipe_message
from receipts.storage.event_store import StoredEvent

# A marker fires this long after its window closes, so alerts still in flight at the
# boundary are counted before the last digest is taken.
MARKER_GRACE = timedelta(seconds=5)
# Remembering whether recent windows were storms saves a read per single alert.
_STORM_MEMORY = 64


class Outcome(StrEnum):
    SENT = "sent"  # delivered to every target that lacked it (or refused it for good)
    DUPLICATE = "duplicate"  # every target already had it (or gave it up), or it was digested
    FILTERED = "filtered"  # the settings do not alert on this event
    DIGESTED = "digested"  # counted into its storm window's digest
    NO_TARGETS = "no_targets"  # nothing is configured to receive alerts
    DIGEST_SENT = "digest_sent"  # a marker delivered a digest
    MARKER_IDLE = "marker_idle"  # a marker found nothing pending
    MARKER_STALE = "marker_stale"  # a duplicated or superseded marker


@dataclass(frozen=True, slots=True)
class AlertRules:
    statuses: frozenset[DeliveryStatus]
    channels: frozenset[Channel] = frozenset()
    codes: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> AlertRules:
        return cls(settings.alert_statuses, settings.alert_channels, settings.alert_codes)

    def wants(self, event: DeliveryEvent) -> bool:
        channel_wanted = not self.channels or event.channel in self.channels
        if event.origin is EventOrigin.HORIZON:
            # The stack's AlertOnNoReceipt already chose to alert on closures (only then is
            # one flagged for the pipe). Statuses and codes pick among reported failures;
            # a closure reports neither (its status is "unknown", it has no code).
            # A closure of an id only ever registered (POST /v1/reconcile, no callback) has
            # no channel to filter on: it may well be one the filter wants, and dropping it
            # would hide the one sign that the message went missing, so it goes through.
            return channel_wanted or event.channel is Channel.UNKNOWN
        # Any other event's channel is what the platform said; one we do not recognise is
        # not one the filter asked for (listing "unknown" asks for those too).
        return (
            event.status in self.statuses
            and channel_wanted
            and (not self.codes or event.code in self.codes)
        )


@dataclass(frozen=True, slots=True)
class StormControl:
    threshold: int
    window_seconds: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        *,
        ledger: AlertLedger,
        scheduler: DigestScheduler,
        targets: Callable[[], Sequence[AlertTarget]],
        rules: AlertRules,
        storm: StormControl,
        lookup_base_url: str = "",
        operations: OperationsNotifier | None = None,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger = ledger
        self._operations = operations or LoggedOperationsNotifier()
        self._scheduler = scheduler
        self._targets = targets
        self._rules = rules
        self._storm = storm
        self._lookup_base_url = lookup_base_url
        self._clock = clock
        self._monotonic = monotonic
        self._stormy_windows: dict[StormWindow, bool] = {}

    def start_batch(self, seconds_left: float) -> BatchRun:
        """One batch's run: the targets as configured now and the time the batch may use."""
        dispatcher = Dispatcher(
            self._targets(),
            self._monotonic() + seconds_left,
            self._operations,
            monotonic=self._monotonic,
        )
        return BatchRun(self, dispatcher)

    # ---- single alerts ----------------------------------------------------------------------

    def handle_alert(self, stored: StoredEvent, dispatcher: Dispatcher) -> Outcome:
        event = stored.event
        if not self._rules.wants(event):
            return Outcome.FILTERED
        record = self._ledger.get_alert(event.transid, event.status)
        first_seen = record is None
        chain_known_active = False
        if record is None:
            record, chain_known_active = self._claim(event)
        if record.mode is AlertMode.DIGEST:
            if not chain_known_active:
                self._ensure_marker_chain(record.window)
            return Outcome.DIGESTED if first_seen else Outcome.DUPLICATE
        if not dispatcher.has_targets:
            return Outcome.NO_TARGETS
        missing = dispatcher.missing(record.sent | record.given_up)
        if not missing:
            return Outcome.DUPLICATE
        alert = build_alert(stored, self._lookup_base_url)
        dispatcher.deliver(
            alert,
            missing,
            AlertMarks(self._ledger, event.transid, event.status, record.window, self._clock),
        )
        return Outcome.SENT

    def _claim(self, event: DeliveryEvent) -> tuple[AlertRecord, bool]:
        """Count a first-seen alert in its window, decide its mode once, and record it."""
        now = self._clock()
        window = StormWindow.containing(now, self._storm.window_seconds)
        counter: str | None = None
        if self._stormy_windows.get(window) or self._follows_storm(window):
            # Known to be a storm: counted and digested in one write, so the window's one
            # item takes one update per alert, the most a storm puts on one partition.
            counter = digest_counter_name(event.channel, event.status, event.code)
            count = self._ledger.count_into_digest(window, counter, event.transid)
        else:
            count = self._ledger.count_alert(window)
            if count.alerts > self._storm.threshold:
                self._remember_storm(window)
                counter = digest_counter_name(event.channel, event.status, event.code)
                count = self._ledger.add_to_digest(window, counter, event.transid)
        mode = AlertMode.SINGLE if counter is None else AlertMode.DIGEST
        record, created = self._ledger.claim_alert(
            AlertRecord(event.transid, event.status, mode, window), now
        )
        if not created:
            # Another invocation recorded this alert first: take back our count.
            self._ledger.uncount_alert(window, counter)
            return record, False
        return record, count.chain_active

    def _remember_storm(self, window: StormWindow) -> None:
        """A window past its threshold stays past it: its count only grows (but for the rare
        duplicate claim taken back), so later alerts here go straight to the digest."""
        if len(self._stormy_windows) >= _STORM_MEMORY:
            self._stormy_windows.clear()
        self._stormy_windows[window] = True

    def _follows_storm(self, window: StormWindow) -> bool:
        previous = window.previous()
        if previous not in self._stormy_windows:
            if len(self._stormy_windows) >= _STORM_MEMORY:
                self._stormy_windows.clear()
            alerts = self._ledger.window_alerts(previous)
            self._stormy_windows[previous] = alerts > self._storm.threshold
        return self._stormy_windows[previous]

    # ---- digests ----------------------------------------------------------------------------

    def _marker_delay(self, window: StormWindow, now: datetime) -> int:
        seconds = math.ceil((window.end + MARKER_GRACE - now).total_seconds())
        return max(1, min(MAX_DELAY_SECONDS, seconds))

    def _ensure_marker_chain(self, window: StormWindow) -> None:
        """Start the window's marker chain unless it runs (a conditional write decides)."""
        sequence = self._ledger.start_marker_chain(window)
        if sequence is None:
            return
        self._schedule(
            DigestMarker(window, sequence),
            undo=lambda: self._ledger.end_marker_chain(window, sequence),
        )

    def _schedule(self, marker: DigestMarker, undo: Callable[[], object]) -> None:
        try:
            self._scheduler.schedule(marker, self._marker_delay(marker.window, self._clock()))
        except Exception:
            # Without its marker the chain would look alive and never fire: undo, so the
            # retried record starts it again.
            undo()
            raise

    def handle_marker(self, marker: DigestMarker, dispatcher: Dispatcher) -> Outcome:
        window = marker.window
        state = self._ledger.get_window(window)
        if state is None or not state.chain_active or state.marker_sequence != marker.sequence:
            return Outcome.MARKER_STALE
        digest = state.open_digest
        if digest is None and state.pending > 0:
            candidate = OpenDigest(
                sequence=marker.sequence,
                alerts=state.pending,
                lines=state.pending_lines,
                examples=state.examples,
                window_alerts=state.alerts,
                created_at=self._clock(),
            )
            if self._ledger.open_digest(window, candidate, state):
                digest = candidate
            else:
                return Outcome.MARKER_STALE  # a twin of this marker took the digest
        outcome = Outcome.MARKER_IDLE
        if digest is not None:
            open_digest = digest
            dispatcher.deliver(
                self._digest_notice(window, open_digest),
                dispatcher.missing(open_digest.sent | open_digest.given_up),
                DigestMarks(self._ledger, window, open_digest.sequence, self._clock),
            )
            logger.info(
                "storm digest sent",
                extra={
                    "window": window.label,
                    "sequence": digest.sequence,
                    "alerts": digest.alerts,
                },
            )
            state = self._ledger.close_digest(window, digest.sequence)
            outcome = Outcome.DIGEST_SENT
        if self._clock() < window.end or state.pending > 0:
            following = marker.sequence + 1
            if self._ledger.advance_marker(window, marker.sequence, following):
                self._schedule(
                    DigestMarker(window, following),
                    undo=lambda: self._ledger.advance_marker(window, following, marker.sequence),
                )
        else:
            self._ledger.end_marker_chain(window, marker.sequence)
        return outcome

    def _digest_notice(self, window: StormWindow, digest: OpenDigest) -> Digest:
        return Digest(
            window=window,
            sequence=digest.sequence,
            alerts=digest.alerts,
            lines=digest.lines,
            examples=tuple(
                DigestExample(transid, lookup_url(self._lookup_base_url, transid))
                for transid in digest.examples
            ),
            window_alerts=digest.window_alerts,
            created_at=digest.created_at,
        )


class BatchRun:
    """Handles the messages of one batch: stream records of failures, and digest markers."""

    def __init__(self, service: AlertService, dispatcher: Dispatcher) -> None:
        self._service = service
        self._dispatcher = dispatcher

    def handle(self, body: str) -> Outcome:
        """Raises NotificationValidationError or AlertMessageError for a poison message."""
        try:
            payload = json.loads(body)
        except ValueError:
            raise AlertMessageError("alert message is not JSON") from None
        if DigestMarker.is_marker(payload):
            return self._service.handle_marker(DigestMarker.from_payload(payload), self._dispatcher)
        return self._service.handle_alert(stored_event_from_pipe_message(body), self._dispatcher)
