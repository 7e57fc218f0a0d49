"""The answer strategy: stored callbacks, then caches, then the vendor, then stale answers.

1. Stored callbacks that already hold a final status answer with no upstream call.
2. Otherwise an answer cached in this process, then one cached in the table, while fresh:
   final answers for ``FINAL_CACHE_SECONDS``, others for ``NON_FINAL_CACHE_SECONDS``.
3. Otherwise the vendor. When the vendor is down (not when it says "no such transaction"),
   the newest cached answer within ``STALE_SERVING_SECONDS`` is served, marked stale.

The vendor's "no such transaction" (7600) is cached too, for ``NOT_FOUND_CACHE_SECONDS``, so
that a client retrying a wrong id cannot spend the vendor's rate limit; it is never served
once a callback for the id is stored, and never served stale.

Every table read and vendor call of one request shares its :class:`Deadline`: a table call
that could not finish before it is skipped (as if the table were unreadable) and the vendor
gets only the time left, so a slow table plus a slow vendor still ends in a stale answer or
a 504, never in the platform's timeout.

A fresh *final* answer in this process's memory is served before the table is read at
all: no callback can overtake it, and it spares a query per repeated lookup. A fresh answer
that is not final gives way to stored callbacks that have become final since. Answers
rebuilt from callbacks are remembered for ``NON_FINAL_CACHE_SECONDS`` only, so a later
callback (a complaint after a delivery) shows soon.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from lookup.answers import (
    answer_is_final,
    callbacks_view,
    is_not_found,
    not_found_answer,
    not_found_error,
    search_page_view,
    settled_event,
    vendor_answer_from_callbacks,
    vendor_view,
)
from lookup.errors import (
    InvalidSearchError,
    Problem,
    TransactionNotFoundError,
    describe,
)
from lookup.memory_cache import CacheEntry, MemoryCache
from lookup.schemas import AnswerSource, SearchPageView, TransactionView, UpstreamProblem
from lookup.telemetry import logger
from receipts.deadline import Deadline
from receipts.errors import NotificationValidationError
from receipts.lifecycle import current_event
from receipts.models.status_api import VendorTransaction, parse_status_response
from receipts.storage import SearchPage, StoredEvent, StoreUnavailableError
from receipts.storage.event_store import CachedAnswer
from receipts.vendor import (
    NO_RESULTS_CODE,
    VendorError,
    VendorFailedError,
    VendorRejectedError,
)

Clock = Callable[[], datetime]
Result = TypeVar("Result")


class StatusApi(Protocol):
    """The vendor's status API: the answer's JSON text, or a :class:`VendorError`.

    ``within_seconds`` bounds every attempt and pause of the call together.
    """

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str: ...


class LookupStore(Protocol):
    """What the lookup needs of the events table (:class:`receipts.storage.EventStore`)."""

    def list_events(self, transid: str) -> list[StoredEvent]: ...

    def has_final_event(self, transid: str) -> bool: ...

    def search(
        self,
        *,
        destination: str | None = None,
        correlationid: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage: ...

    def get_cached_answer(self, transid: str) -> CachedAnswer | None: ...

    def put_cached_answer(
        self, transid: str, answer: CachedAnswer, *, keep_for: timedelta
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class CachePolicy:
    final_fresh_for: timedelta
    non_final_fresh_for: timedelta
    stale_for: timedelta
    not_found_fresh_for: timedelta = timedelta(seconds=60)

    def fresh_for(self, final: bool) -> timedelta:
        return self.final_fresh_for if final else self.non_final_fresh_for

    def keep_for(self, final: bool) -> timedelta:
        """How long a copy is kept: while fresh, then while it may still be served stale."""
        return self.fresh_for(final) + self.stale_for

    def fresh_for_answer(self, answer: CachedAnswer) -> timedelta:
        if is_not_found(answer):
            return self.not_found_fresh_for
        return self.fresh_for(answer.final)

    def keep_for_answer(self, answer: CachedAnswer) -> timedelta:
        # "No such transaction" is the vendor's word on the id, not an outage to bridge:
        # it is never served stale, so it is kept only while fresh.
        if is_not_found(answer):
            return self.not_found_fresh_for
        return self.keep_for(answer.final)


@dataclass(frozen=True, slots=True)
class Remembered:
    """A vendor-shaped answer held in memory, and whether it was rebuilt from callbacks."""

    answer: CachedAnswer
    from_callbacks: bool


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """The vendor-shaped answer (a JSON array, as text) and where it came from."""

    body: str
    source: AnswerSource
    fetched_at: datetime
    final: bool
    # "memory" or "table" when served from a cache.
    cache_layer: str | None = None
    stale: bool = False
    # Why a stale answer is served.
    problem: Problem | None = None

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.fetched_at).total_seconds()))


def upstream_problem(problem: Problem) -> UpstreamProblem:
    return UpstreamProblem(
        code=problem.code, message=problem.message, vendor_code=problem.vendor_code
    )


def _compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


class LookupService:
    def __init__(
        self,
        *,
        store: LookupStore,
        status_api: StatusApi,
        memory: MemoryCache[Remembered],
        policy: CachePolicy,
        clock: Clock,
        table_call_seconds: float = 0.0,
    ) -> None:
        self._store = store
        self._status_api = status_api
        self._memory = memory
        self._policy = policy
        self._clock = clock
        # The longest one table call can take; none starts without that much time left.
        self._table_call_seconds = table_call_seconds

    def now(self) -> datetime:
        return self._clock()

    # ---- the vendor-shaped answer -------------------------------------------------------

    def vendor_status(self, transid: str, deadline: Deadline | None = None) -> StatusAnswer:
        deadline = deadline or Deadline.unbounded()
        remembered = self._memory.get(transid)
        fresh = remembered is not None and remembered.is_fresh(self._clock())
        if remembered is not None and fresh and remembered.value.answer.final:
            return self._from_memory(remembered)
        events = self._events_if_readable(transid, deadline)
        rebuilt = vendor_answer_from_callbacks(transid, events)
        if rebuilt is not None:
            answer = CachedAnswer(body=_compact(rebuilt), fetched_at=self._clock(), final=True)
            self._remember(transid, answer, from_callbacks=True)
            return StatusAnswer(
                body=answer.body,
                source=AnswerSource.CALLBACKS,
                fetched_at=max(stored.received_at for stored in events),
                final=True,
            )
        remembered = _unless_disproved(remembered, has_callbacks=bool(events))
        if remembered is not None and fresh:
            return self._from_memory(remembered)
        return self._cached_or_upstream(transid, remembered, deadline, has_callbacks=bool(events))

    # ---- this product's view ------------------------------------------------------------

    def transaction_view(self, transid: str, deadline: Deadline | None = None) -> TransactionView:
        deadline = deadline or Deadline.unbounded()
        # The timeline is the point of this route: without the table there is no answer.
        events = self._in_time(deadline, lambda: self._store.list_events(transid))
        # Unlike the vendor-shaped answer, this view may stand on a horizon closure: it says
        # so (origin "horizon", status unknown), and the sweep already asked the vendor until
        # the horizon, so asking again on every view would only spend its rate limit.
        if settled_event(events) is not None:
            return callbacks_view(transid, events, now=self._clock())
        try:
            answer = self._answer_without_callbacks(transid, deadline, has_callbacks=bool(events))
        except VendorError as error:
            problem = describe(error)
            if not events or problem is None:
                raise
            return callbacks_view(
                transid, events, now=self._clock(), upstream_error=upstream_problem(problem)
            )
        transaction = _pick_transaction(answer.body, transid)
        winner = current_event(stored.event for stored in events)
        if transaction is None:
            if events:
                return callbacks_view(transid, events, now=self._clock())
            raise TransactionNotFoundError("The vendor has no transaction with this id.")
        if winner is not None and winner.status.rank > transaction.canonical_status.rank:
            # The vendor lags behind a callback already stored: the callback is newer news.
            return callbacks_view(transid, events, now=self._clock())
        return vendor_view(
            transid,
            transaction,
            events,
            source=answer.source,
            as_of=answer.fetched_at,
            now=self._clock(),
            stale=answer.stale,
            upstream_error=upstream_problem(answer.problem) if answer.problem else None,
        )

    # ---- search -------------------------------------------------------------------------

    def search(
        self,
        *,
        destination: str | None,
        correlationid: str | None,
        limit: int,
        cursor: str | None,
        deadline: Deadline | None = None,
    ) -> SearchPageView:
        if bool(destination) == bool(correlationid):
            raise InvalidSearchError("Search by exactly one of 'destination' or 'correlationid'.")
        # The store refuses a token issued for another search (InvalidCursorError, a 400).
        page = self._in_time(
            deadline or Deadline.unbounded(),
            lambda: self._store.search(
                destination=destination, correlationid=correlationid, limit=limit, cursor=cursor
            ),
        )
        return search_page_view(page, limit=limit)

    # ---- the cache chain ----------------------------------------------------------------

    def _answer_without_callbacks(
        self, transid: str, deadline: Deadline, *, has_callbacks: bool
    ) -> StatusAnswer:
        remembered = _unless_disproved(self._memory.get(transid), has_callbacks=has_callbacks)
        if remembered is not None and remembered.is_fresh(self._clock()):
            return self._from_memory(remembered)
        return self._cached_or_upstream(transid, remembered, deadline, has_callbacks=has_callbacks)

    def _cached_or_upstream(
        self,
        transid: str,
        remembered: CacheEntry[Remembered] | None,
        deadline: Deadline,
        *,
        has_callbacks: bool,
    ) -> StatusAnswer:
        stored = self._stored_answer(transid, deadline)
        if stored is not None and has_callbacks and is_not_found(stored):
            stored = None
        if stored is not None and self._is_fresh(stored):
            self._remember(transid, stored, from_callbacks=False)
            if is_not_found(stored):
                raise not_found_error(stored)
            return StatusAnswer(
                body=stored.body,
                source=AnswerSource.CACHE,
                fetched_at=stored.fetched_at,
                final=stored.final,
                cache_layer="table",
            )
        try:
            fetched = self._fetch(transid, deadline)
        except VendorError as error:
            if isinstance(error, VendorRejectedError) and error.numeric_code == NO_RESULTS_CODE:
                # Kept only for an id the table knows nothing of (a stored callback already
                # outranks it) and only when the setting keeps it at all.
                if not has_callbacks and self._policy.not_found_fresh_for > timedelta(0):
                    self._cache_not_found(transid, error, deadline)
                raise
            problem = describe(error)
            fallback = self._stale_fallback(remembered, stored)
            if problem is None or not problem.upstream_is_down or fallback is None:
                raise
            answer, layer = fallback
            logger.warning(
                "vendor failed; serving a stale answer",
                extra={"problem": problem.code, "age_seconds": self._age(answer)},
            )
            return StatusAnswer(
                body=answer.body,
                source=AnswerSource.CACHE,
                fetched_at=answer.fetched_at,
                final=answer.final,
                cache_layer=layer,
                stale=True,
                problem=problem,
            )
        self._remember(transid, fetched, from_callbacks=False)
        self._store_answer(transid, fetched, deadline)
        return StatusAnswer(
            body=fetched.body,
            source=AnswerSource.UPSTREAM,
            fetched_at=fetched.fetched_at,
            final=fetched.final,
        )

    def _cache_not_found(
        self, transid: str, error: VendorRejectedError, deadline: Deadline
    ) -> None:
        answer = not_found_answer(error, self._clock())
        self._remember(transid, answer, from_callbacks=False)
        self._store_answer(transid, answer, deadline)

    def _fetch(self, transid: str, deadline: Deadline) -> CachedAnswer:
        body = self._status_api.fetch_status(transid, within_seconds=deadline.remaining())
        try:
            transactions = parse_status_response(body)
        except NotificationValidationError as error:
            raise VendorFailedError(f"its answer is not a transaction list ({error})") from None
        return CachedAnswer(
            body=body, fetched_at=self._clock(), final=answer_is_final(transactions)
        )

    def _from_memory(self, entry: CacheEntry[Remembered]) -> StatusAnswer:
        answer = entry.value.answer
        if is_not_found(answer):
            raise not_found_error(answer)
        return StatusAnswer(
            body=answer.body,
            source=AnswerSource.CACHE,
            fetched_at=answer.fetched_at,
            final=answer.final,
            cache_layer="memory",
        )

    def _stale_fallback(
        self, remembered: CacheEntry[Remembered] | None, stored: CachedAnswer | None
    ) -> tuple[CachedAnswer, str] | None:
        candidates: list[tuple[CachedAnswer, str]] = []
        if remembered is not None and not is_not_found(remembered.value.answer):
            candidates.append((remembered.value.answer, "memory"))
        if (
            stored is not None
            and not is_not_found(stored)
            and self._clock() < self._keep_until(stored)
        ):
            candidates.append((stored, "table"))
        return max(candidates, key=lambda candidate: candidate[0].fetched_at, default=None)

    def _remember(self, transid: str, answer: CachedAnswer, *, from_callbacks: bool) -> None:
        # An answer rebuilt from callbacks is cheap to rebuild, and a later callback (a
        # complaint after a delivery) must show soon: it is remembered briefly.
        if from_callbacks:
            fresh_for = self._policy.fresh_for(final=False)
            keep_for = self._policy.keep_for(final=False)
        else:
            fresh_for = self._policy.fresh_for_answer(answer)
            keep_for = self._policy.keep_for_answer(answer)
        self._memory.put(
            transid,
            Remembered(answer=answer, from_callbacks=from_callbacks),
            fresh_until=answer.fetched_at + fresh_for,
            keep_until=answer.fetched_at + keep_for,
        )

    def _is_fresh(self, answer: CachedAnswer) -> bool:
        return self._clock() < answer.fetched_at + self._policy.fresh_for_answer(answer)

    def _keep_until(self, answer: CachedAnswer) -> datetime:
        return answer.fetched_at + self._policy.keep_for_answer(answer)

    def _age(self, answer: CachedAnswer) -> int:
        return max(0, int((self._clock() - answer.fetched_at).total_seconds()))

    # ---- the table, where a fault must not stop the vendor from answering -----------------

    def _in_time(self, deadline: Deadline, call: Callable[[], Result]) -> Result:
        """Run one table call, unless it could outlast the request's deadline."""
        if not deadline.allows(self._table_call_seconds):
            raise StoreUnavailableError("no time left for a table call before the deadline")
        return call()

    def _events_if_readable(self, transid: str, deadline: Deadline) -> list[StoredEvent]:
        try:
            return self._in_time(deadline, lambda: self._store.list_events(transid))
        except StoreUnavailableError:
            logger.warning("stored callbacks unreadable; asking the caches and the vendor")
            return []

    def _stored_answer(self, transid: str, deadline: Deadline) -> CachedAnswer | None:
        try:
            return self._in_time(deadline, lambda: self._store.get_cached_answer(transid))
        except StoreUnavailableError:
            logger.warning("cached answer unreadable; asking the vendor")
            return None

    def _store_answer(self, transid: str, answer: CachedAnswer, deadline: Deadline) -> None:
        keep_for = self._policy.keep_for_answer(answer)
        try:
            self._in_time(
                deadline,
                lambda: self._store.put_cached_answer(transid, answer, keep_for=keep_for),
            )
        except StoreUnavailableError:
            logger.warning("vendor answer not cached in the table; it is still served")


def _unless_disproved(
    remembered: CacheEntry[Remembered] | None, *, has_callbacks: bool
) -> CacheEntry[Remembered] | None:
    """A remembered "no such transaction" is void once a callback for the id is stored."""
    if remembered is not None and has_callbacks and is_not_found(remembered.value.answer):
        return None
    return remembered


def _pick_transaction(body: str, transid: str) -> VendorTransaction | None:
    """The transaction object for ``transid`` in a vendor answer (the first when none match)."""
    transactions = parse_status_response(body)
    return next(
        (tx for tx in transactions if tx.transactionid == transid),
        transactions[0] if transactions else None,
    )
