"""POST /v1/reconcile's logic: which ids are new, known or refused, and what each costs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from tests.unit.lookup.lookup_fakes import START, FakeClock, InMemoryStore, stored

from lookup.registration import LATE_MESSAGE, RegistrationPolicy, TransactionRegistrar
from lookup.schemas import ReconcileRequest
from receipts.deadline import Deadline
from receipts.storage import StoreUnavailableError
from receipts.storage.watches import WatchSource
from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE

WITH_EVENTS = "262895e4-2217-4eef-92ca-79fd0250c4a3"
POLICY = RegistrationPolicy(first_ask_after=timedelta(minutes=15), horizon=timedelta(hours=72))


@dataclass
class FakeWatches:
    """Watches in memory: transid -> (source, first_seen, due_at, horizon_at)."""

    watched: dict[str, tuple[WatchSource, datetime, datetime, datetime]] = field(
        default_factory=dict
    )
    failing: bool = False
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(
        self,
        transid: str,
        *,
        source: WatchSource,
        first_seen: datetime,
        due_at: datetime,
        horizon_at: datetime,
    ) -> bool:
        with self._lock:
            self.calls += 1
            if self.failing:
                raise StoreUnavailableError("table unavailable (test)")
            if transid in self.watched:
                return False
            self.watched[transid] = (source, first_seen, due_at, horizon_at)
            return True


@pytest.fixture
def watches() -> FakeWatches:
    return FakeWatches()


@pytest.fixture
def registrar(store: InMemoryStore, watches: FakeWatches, clock: FakeClock) -> TransactionRegistrar:
    store.events[WITH_EVENTS] = [stored("01-sms-submitted"), stored("02-sms-delivered")]
    return TransactionRegistrar(
        events=store, watches=watches, policy=POLICY, clock=clock, table_call_seconds=1.0
    )


def test_only_ids_the_table_knows_nothing_of_become_watches(
    registrar: TransactionRegistrar, watches: FakeWatches
) -> None:
    watches.watched["already-watched"] = (WatchSource.SWEEP, START, START, START)

    answer = registrar.register(
        ["fresh-1", WITH_EVENTS, "already-watched", "fresh-2"], Deadline.unbounded()
    )

    assert (answer.new, answer.known, answer.refused) == (2, 2, 0)
    assert answer.refusals == []
    assert answer.watching_until == START + timedelta(hours=72)
    assert watches.watched["fresh-1"] == (
        WatchSource.REGISTERED,
        START,
        START + timedelta(minutes=15),
        START + timedelta(hours=72),
    )
    assert watches.watched["already-watched"][0] is WatchSource.SWEEP  # left as it was
    assert WITH_EVENTS not in watches.watched


def test_an_id_with_only_in_progress_events_is_watched(
    registrar: TransactionRegistrar, store: InMemoryStore, watches: FakeWatches
) -> None:
    # Stored before the sweep read its arrival minute (a backfill): nothing else finds it.
    store.events["in-progress"] = [stored("01-sms-submitted")]

    answer = registrar.register(["in-progress"], Deadline.unbounded())

    assert (answer.new, answer.known) == (1, 0)
    assert watches.watched["in-progress"][0] is WatchSource.REGISTERED


def test_a_malformed_id_is_refused_and_the_others_are_registered(
    registrar: TransactionRegistrar, store: InMemoryStore
) -> None:
    answer = registrar.register(["..", "fine", "a/b", "x" * 129], Deadline.unbounded())

    assert (answer.new, answer.known, answer.refused) == (1, 0, 3)
    assert [refusal.transactionid for refusal in answer.refusals] == ["..", "a/b", "x" * 129]
    assert {refusal.reason for refusal in answer.refusals} == {INVALID_TRANSACTION_ID_MESSAGE}
    assert store.calls == ["has_final_event"]  # a refused id costs no table call


def test_a_repeated_id_counts_once(
    registrar: TransactionRegistrar, watches: FakeWatches, store: InMemoryStore
) -> None:
    answer = registrar.register(["same", "same", "..", ".."], Deadline.unbounded())

    assert (answer.new, answer.known, answer.refused) == (1, 0, 1)
    assert (len(store.calls), watches.calls) == (1, 1)


def test_nothing_new_means_no_horizon(registrar: TransactionRegistrar) -> None:
    answer = registrar.register([WITH_EVENTS, "."], Deadline.unbounded())

    assert (answer.new, answer.known, answer.refused) == (0, 1, 1)
    assert answer.watching_until is None


def test_sending_the_same_ids_again_finds_them_known(registrar: TransactionRegistrar) -> None:
    registrar.register(["one", "two"], Deadline.unbounded())

    again = registrar.register(["one", "two"], Deadline.unbounded())

    assert (again.new, again.known) == (0, 2)


def test_many_ids_are_registered_side_by_side(
    registrar: TransactionRegistrar, watches: FakeWatches
) -> None:
    ids = [f"tx-{number}" for number in range(1000)]

    answer = registrar.register(ids, Deadline.unbounded())

    assert answer.new == 1000
    assert set(watches.watched) == set(ids)


def test_ids_the_deadline_leaves_no_time_for_are_refused_to_be_sent_again(
    registrar: TransactionRegistrar, store: InMemoryStore, watches: FakeWatches
) -> None:
    # Less time left than one table call may take: no call starts.
    nearly_over = Deadline(expires_at=0.5, monotonic=lambda: 0.0)

    answer = registrar.register(["late-1", "late-2", ".."], nearly_over)

    assert (answer.new, answer.known, answer.refused) == (0, 0, 3)
    reasons = {refusal.transactionid: refusal.reason for refusal in answer.refusals}
    assert reasons == {
        "..": INVALID_TRANSACTION_ID_MESSAGE,
        "late-1": LATE_MESSAGE,
        "late-2": LATE_MESSAGE,
    }
    assert (store.calls, watches.calls) == ([], 0)


def test_a_table_fault_fails_the_request(
    registrar: TransactionRegistrar, watches: FakeWatches
) -> None:
    watches.failing = True

    with pytest.raises(StoreUnavailableError):
        registrar.register([f"tx-{number}" for number in range(50)], Deadline.unbounded())

    # The ids still waiting when the first call failed made no call of their own.
    assert watches.calls < 50


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"transactionids": "one"},
        {"transactionids": []},
        {"transactionids": ["tx"] * 1001},
        {"transactionids": ["tx", 7]},
        {"transactionids": [None]},
    ],
    ids=["missing", "not-a-list", "empty", "1001", "a-number", "null"],
)
def test_the_request_names_1_to_1000_string_ids(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ReconcileRequest.model_validate(body)


def test_1000_ids_are_a_valid_request() -> None:
    request = ReconcileRequest.model_validate({"transactionids": ["tx"] * 1000})

    assert len(request.transactionids) == 1000
