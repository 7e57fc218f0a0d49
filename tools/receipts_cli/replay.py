"""A quarantined body replayed through the ingest logic, as if the platform had sent it again.

The webhook's own :class:`ingest.service.CallbackIngestor` decides, with this release's
parser and the stack's ``MaxCallbackBytes``: a body it now reads is stored exactly as a
callback arriving now would be (the same item, the same conditional put, so the same alert
through the table's stream, and ``duplicate`` if it is stored already); a body it still
refuses stays where it is, with this release's reason. Either way the replay is recorded on
the kept body. Authentication is not repeated: the webhook keeps only bodies that passed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ingest.adapters import TableCallbackStore
from ingest.errors import CallbackRejectedError
from ingest.service import QUARANTINE_BODY_MAX_BYTES, CallbackIngestor, CallbackRequest
from receipts.models.callback import DeliveryEvent
from receipts.storage import EventStore
from receipts.storage.event_store import QuarantinedBody, QuarantineReplay

STORED, DUPLICATE, REFUSED = "stored", "duplicate", "refused"
# Not replayed: the table refused this one body's write (recorded in the run only).
FAILED = "failed"
# The error code of a body kept only in part.
TRUNCATED = "truncated"


class _AlreadyAuthenticated:
    """The webhook keeps only bodies that passed its authentication, as they were signed."""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        return body


class _ReplayStore:
    """The table as a replay sees it: events go where the webhook puts them; a refused body
    is not kept a second time (its refusal goes on its own record)."""

    def __init__(self, events: EventStore, *, dry_run: bool) -> None:
        self._events = events
        self._table = TableCallbackStore(events)
        self._dry_run = dry_run

    def put_event(
        self, event: DeliveryEvent, *, received_at: datetime, gtrid: str | None = None
    ) -> bool:
        if self._dry_run:
            return not self._events.has_event(event)
        return self._table.put_event(event, received_at=received_at, gtrid=gtrid)

    def quarantine(self, **kept: object) -> object:
        return None


class Replayer:
    def __init__(
        self,
        events: EventStore,
        *,
        max_body_bytes: int,
        run: str,
        dry_run: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._events = events
        self._run = run
        self._dry_run = dry_run
        self._clock = clock
        self._ingestor = CallbackIngestor(
            store=_ReplayStore(events, dry_run=dry_run),
            authenticator=_AlreadyAuthenticated(),
            max_body_bytes=max_body_bytes,
            credential_headers=frozenset(),
        )

    def replay(self, kept: QuarantinedBody) -> QuarantineReplay:
        """Replay one body; recorded on it unless this is a dry run."""
        if len(kept.body) >= QUARANTINE_BODY_MAX_BYTES:
            # Only the body's head was kept (DynamoDB's item limit): no release can read it,
            # and its first reason, which says how large it was, stays.
            replay = QuarantineReplay(
                at=self._clock(),
                run=self._run,
                outcome=REFUSED,
                error_code=TRUNCATED,
                reason=f"only the first {len(kept.body)} bytes were kept: it cannot be replayed",
            )
            if not self._dry_run:
                self._events.record_replay(kept, replay, keep_reason=True)
            return replay
        now = self._clock()
        request = CallbackRequest(
            body=kept.body, headers=kept.headers, request_id=kept.id, received_at=now
        )
        try:
            result = self._ingestor.ingest(request)
        except CallbackRejectedError as error:
            replay = QuarantineReplay(
                at=now,
                run=self._run,
                outcome=REFUSED,
                error_code=error.code,
                # The reason the webhook would keep: the body is whole here (truncated ones
                # are answered above), so no "first N bytes" note is added to it.
                reason=error.message,
                field=error.field,
            )
        else:
            replay = QuarantineReplay(
                at=now,
                run=self._run,
                outcome=STORED if result.stored else DUPLICATE,
                transid=result.event.transid,
            )
        if not self._dry_run:
            self._events.record_replay(kept, replay)
        return replay


def settled(kept: QuarantinedBody) -> bool:
    """Whether a replay already stored the body (or found it stored): nothing left to do."""
    return any(replay.outcome in {STORED, DUPLICATE} for replay in kept.replays)
