"""POST /v1/reconcile: transaction ids a client names, for the reconcile sweep to follow.

The sweep finds a transaction by its stored events going quiet. A message whose callbacks
never arrive leaves no event at all, so nothing would ever ask about it; one stored before
the sweep existed (a backfill) is in no arrival minute it reads. A client names such ids
here, and each one without a final event becomes a watch, first asked about
``first_ask_after`` from now (its callbacks usually come first) and closed at the horizon.
An id with a final event, or already watched, is known: there is nothing left to find.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import partial
from typing import Protocol

from lookup.schemas import ReconcileAnswer, ReconcileRefusal
from receipts.deadline import Deadline
from receipts.storage.event_store import side_by_side
from receipts.storage.watches import WatchSource
from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE, is_transaction_id

Clock = Callable[[], datetime]
LATE_MESSAGE = "Not registered: this request ran out of time before its turn; send it again."


class EventPresence(Protocol):
    def has_final_event(self, transid: str) -> bool: ...


class WatchRegistry(Protocol):
    def watch(
        self,
        transid: str,
        *,
        source: WatchSource,
        first_seen: datetime,
        due_at: datetime,
        horizon_at: datetime,
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class RegistrationPolicy:
    first_ask_after: timedelta
    horizon: timedelta


class _Outcome(Enum):
    NEW = "new"
    KNOWN = "known"
    LATE = "late"  # the deadline came first: the caller sends the id again
    SKIPPED = "skipped"  # another id's table call failed: the request fails as a whole


@dataclass(frozen=True, slots=True)
class _Batch:
    """What every id of one request shares."""

    now: datetime
    due_at: datetime
    horizon_at: datetime
    deadline: Deadline
    # Set by the first failing table call, so that the ids still waiting make no call.
    failed: threading.Event


class TransactionRegistrar:
    def __init__(
        self,
        *,
        events: EventPresence,
        watches: WatchRegistry,
        policy: RegistrationPolicy,
        clock: Clock,
        table_call_seconds: float = 0.0,
    ) -> None:
        self._events = events
        self._watches = watches
        self._policy = policy
        self._clock = clock
        # The longest one table call can take; none starts without that much time left.
        self._table_call_seconds = table_call_seconds

    def register(self, transids: Sequence[str], deadline: Deadline) -> ReconcileAnswer:
        """Watch the ids without a final event; refuse the malformed ones.

        Raises the first table fault (the whole request is then answered 503, and sending
        it again is safe: an id registered meanwhile comes back as known).
        """
        distinct = list(dict.fromkeys(transids))
        valid = [transid for transid in distinct if is_transaction_id(transid)]
        refusals = [
            ReconcileRefusal(transactionid=transid, reason=INVALID_TRANSACTION_ID_MESSAGE)
            for transid in distinct
            if not is_transaction_id(transid)
        ]
        now = self._clock()
        batch = _Batch(
            now=now,
            due_at=now + self._policy.first_ask_after,
            horizon_at=now + self._policy.horizon,
            deadline=deadline,
            failed=threading.Event(),
        )
        # Each id's calls run in a task that returns its failure rather than raising it:
        # every task has then finished (the rest skip their calls) before the request is
        # answered, so no table write outlives it.
        outcomes = side_by_side([partial(self._register_one, transid, batch) for transid in valid])
        failure = next((outcome for outcome in outcomes if isinstance(outcome, Exception)), None)
        if failure is not None:
            raise failure
        refusals.extend(
            ReconcileRefusal(transactionid=transid, reason=LATE_MESSAGE)
            for transid, outcome in zip(valid, outcomes, strict=True)
            if outcome is _Outcome.LATE
        )
        new = outcomes.count(_Outcome.NEW)
        return ReconcileAnswer(
            new=new,
            known=outcomes.count(_Outcome.KNOWN),
            refused=len(refusals),
            refusals=refusals,
            watching_until=batch.horizon_at if new else None,
        )

    def _register_one(self, transid: str, batch: _Batch) -> _Outcome | Exception:
        try:
            if batch.failed.is_set():
                return _Outcome.SKIPPED
            if not batch.deadline.allows(self._table_call_seconds):
                return _Outcome.LATE
            if self._events.has_final_event(transid):
                return _Outcome.KNOWN
            if not batch.deadline.allows(self._table_call_seconds):
                return _Outcome.LATE
            created = self._watches.watch(
                transid,
                source=WatchSource.REGISTERED,
                first_seen=batch.now,
                due_at=batch.due_at,
                horizon_at=batch.horizon_at,
            )
        except Exception as error:
            batch.failed.set()
            return error
        # Not created: a watch exists already (posted before, or found by the sweep).
        return _Outcome.NEW if created else _Outcome.KNOWN
