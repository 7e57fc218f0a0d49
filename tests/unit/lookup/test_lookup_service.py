"""The answer strategy over in-memory fakes: callbacks, memory, table, vendor, stale."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from tests.unit.lookup.lookup_fakes import (
    START,
    FakeClock,
    InMemoryStore,
    ScriptedVendor,
    stored,
    vendor_body,
)

from lookup.errors import InvalidSearchError, TransactionNotFoundError
from lookup.schemas import AnswerSource
from lookup.service import LookupService
from receipts.lifecycle import DeliveryStatus
from receipts.storage import SearchPage
from receipts.storage.event_store import CachedAnswer, InvalidCursorError
from receipts.vendor import VendorFailedError, VendorRejectedError, VendorUnreachableError

TX = "262895e4-2217-4eef-92ca-79fd0250c4a3"


# ---- stored callbacks -----------------------------------------------------------------------


def test_final_callbacks_answer_without_asking_the_vendor(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.events[TX] = [stored("01-sms-submitted"), stored("02-sms-delivered")]

    answer = service.vendor_status(TX)

    assert answer.source is AnswerSource.CALLBACKS
    assert json.loads(answer.body)[0]["status"] == "delivered"
    assert vendor.calls == []
    assert "put_cached_answer" not in store.calls


def test_an_answer_rebuilt_from_callbacks_is_remembered_briefly(
    service: LookupService, store: InMemoryStore, clock: FakeClock
) -> None:
    store.events[TX] = [stored("02-sms-delivered")]
    service.vendor_status(TX)
    store.calls.clear()

    assert service.vendor_status(TX).cache_layer == "memory"
    assert store.calls == []

    # A callback arriving later (a failure after a delivery) shows once the short TTL ends.
    store.events[TX].append(stored("03-sms-un-delivered", transid=TX))
    clock.advance(31)
    answer = service.vendor_status(TX)
    assert answer.source is AnswerSource.CALLBACKS
    assert json.loads(answer.body)[0]["status"] == "failed"


def test_non_final_callbacks_ask_the_vendor(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.events[TX] = [stored("01-sms-submitted")]
    vendor.answers[TX] = [vendor_body(TX, "delivered")]

    answer = service.vendor_status(TX)

    assert answer.source is AnswerSource.UPSTREAM
    assert answer.final
    assert vendor.calls == [TX]


# ---- caches ---------------------------------------------------------------------------------


def test_a_vendor_answer_is_cached_in_memory_then_in_the_table(
    new_service: Callable[[], LookupService],
    store: InMemoryStore,
    vendor: ScriptedVendor,
    clock: FakeClock,
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent")]
    warm = new_service()
    first = warm.vendor_status(TX)

    again = warm.vendor_status(TX)
    from_a_new_process = new_service().vendor_status(TX)

    assert first.source is AnswerSource.UPSTREAM and not first.final
    assert (again.source, again.cache_layer) == (AnswerSource.CACHE, "memory")
    assert (from_a_new_process.source, from_a_new_process.cache_layer) == (
        AnswerSource.CACHE,
        "table",
    )
    assert from_a_new_process.body == first.body
    assert vendor.calls == [TX]
    # The table keeps the copy past its freshness, for stale serving.
    assert store.kept_for[TX] == timedelta(seconds=30) + timedelta(hours=24)


def test_a_non_final_answer_expires_after_its_short_ttl(
    service: LookupService, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), vendor_body(TX, "delivered")]
    service.vendor_status(TX)

    clock.advance(29)
    assert service.vendor_status(TX).source is AnswerSource.CACHE
    clock.advance(1)
    answer = service.vendor_status(TX)

    assert answer.source is AnswerSource.UPSTREAM
    assert json.loads(answer.body)[0]["status"] == "delivered"
    assert vendor.calls == [TX, TX]


def test_a_final_answer_is_cached_for_the_long_ttl(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "delivered")]
    service.vendor_status(TX)

    clock.advance(24 * 3600 - 1)
    assert service.vendor_status(TX).source is AnswerSource.CACHE
    clock.advance(1)
    assert service.vendor_status(TX).source is AnswerSource.UPSTREAM

    assert vendor.calls == [TX, TX]
    assert store.kept_for[TX] == timedelta(hours=48)


def test_a_stale_table_copy_is_not_served_as_fresh(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    # DynamoDB removes expired items lazily: one past its freshness may still be read.
    store.answers[TX] = CachedAnswer(
        body=vendor_body(TX, "sent"), fetched_at=START - timedelta(minutes=5), final=False
    )
    vendor.answers[TX] = [vendor_body(TX, "delivered")]

    answer = service.vendor_status(TX)

    assert answer.source is AnswerSource.UPSTREAM
    assert vendor.calls == [TX]


# ---- the vendor failing ---------------------------------------------------------------------


def test_a_stale_answer_is_served_when_the_vendor_is_down(
    service: LookupService, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), VendorUnreachableError("timeout", attempts=3)]
    first = service.vendor_status(TX)
    clock.advance(120)

    answer = service.vendor_status(TX)

    assert answer.stale
    assert answer.body == first.body
    assert answer.source is AnswerSource.CACHE
    assert answer.age_seconds(clock()) == 120
    assert answer.problem is not None and answer.problem.code == "vendor_unreachable"


def test_a_stale_answer_from_the_table_serves_a_new_process(
    new_service: Callable[[], LookupService], vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), VendorFailedError("HTTP 503")]
    new_service().vendor_status(TX)
    clock.advance(3600)

    answer = new_service().vendor_status(TX)

    assert answer.stale and answer.cache_layer == "table"


def test_no_stale_answer_past_the_stale_window(
    new_service: Callable[[], LookupService], vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), VendorFailedError("HTTP 503")]
    new_service().vendor_status(TX)
    clock.advance(30 + 24 * 3600)

    with pytest.raises(VendorFailedError):
        new_service().vendor_status(TX)


def test_the_vendors_no_such_transaction_is_never_covered_by_a_stale_answer(
    service: LookupService, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), VendorRejectedError("7600", "no results")]
    service.vendor_status(TX)
    clock.advance(60)

    with pytest.raises(VendorRejectedError):
        service.vendor_status(TX)


def test_a_vendor_failure_without_any_copy_reaches_the_caller(
    service: LookupService, vendor: ScriptedVendor
) -> None:
    vendor.answers[TX] = [VendorUnreachableError("timeout")]

    with pytest.raises(VendorUnreachableError):
        service.vendor_status(TX)


def test_an_answer_that_is_not_a_transaction_list_is_a_vendor_failure(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    vendor.answers[TX] = ['[{"no": "transactionid"}]']

    with pytest.raises(VendorFailedError):
        service.vendor_status(TX)
    assert TX not in store.answers


# ---- the table failing ----------------------------------------------------------------------


def test_the_vendor_still_answers_when_the_table_is_down(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.unavailable = True
    vendor.answers[TX] = [vendor_body(TX, "delivered")]

    answer = service.vendor_status(TX)

    assert answer.source is AnswerSource.UPSTREAM
    assert store.calls == ["list_events", "get_cached_answer", "put_cached_answer"]


# ---- this product's view --------------------------------------------------------------------


def test_the_view_prefers_final_callbacks(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.events[TX] = [stored("01-sms-submitted"), stored("02-sms-delivered")]

    view = service.transaction_view(TX)

    assert (view.source, view.status) == (AnswerSource.CALLBACKS, DeliveryStatus.DELIVERED)
    assert [entry.status for entry in view.timeline] == [
        DeliveryStatus.SUBMITTED,
        DeliveryStatus.DELIVERED,
    ]
    assert vendor.calls == []


def test_the_view_asks_the_vendor_when_no_callback_is_final(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    store.events[TX] = [stored("01-sms-submitted")]
    vendor.answers[TX] = [vendor_body(TX, "failed", error_code="7101")]

    view = service.transaction_view(TX)
    clock.advance(10)
    cached = service.transaction_view(TX)

    assert (view.source, view.status, view.final) == (
        AnswerSource.UPSTREAM,
        DeliveryStatus.FAILED,
        True,
    )
    assert view.code is not None and view.code.message == "Invalid Sender ID"
    assert len(view.timeline) == 1
    assert (cached.source, cached.age_seconds) == (AnswerSource.CACHE, 10)


def test_a_callback_ahead_of_a_lagging_vendor_wins(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.events[TX] = [stored("01-sms-submitted")]
    vendor.answers[TX] = [vendor_body(TX, "queued")]

    view = service.transaction_view(TX)

    assert (view.source, view.status) == (AnswerSource.CALLBACKS, DeliveryStatus.SUBMITTED)


def test_the_view_shows_callbacks_and_the_vendors_failure_when_it_is_down(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    store.events[TX] = [stored("01-sms-submitted")]
    vendor.answers[TX] = [VendorUnreachableError("timeout", attempts=3)]

    view = service.transaction_view(TX)

    assert view.source is AnswerSource.CALLBACKS
    assert view.upstream_error is not None and view.upstream_error.code == "vendor_unreachable"


def test_the_view_marks_a_stale_vendor_answer(
    service: LookupService, vendor: ScriptedVendor, clock: FakeClock
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "sent"), VendorFailedError("HTTP 502")]
    service.transaction_view(TX)
    clock.advance(45)

    view = service.transaction_view(TX)

    assert view.stale and view.age_seconds == 45
    assert view.upstream_error is not None and view.upstream_error.code == "vendor_error"


def test_the_view_of_an_unknown_transaction_is_not_found(
    service: LookupService, vendor: ScriptedVendor
) -> None:
    vendor.answers[TX] = ["[]"]

    with pytest.raises(TransactionNotFoundError):
        service.transaction_view(TX)


def test_the_view_without_callbacks_passes_the_vendors_refusal_on(
    service: LookupService, vendor: ScriptedVendor
) -> None:
    vendor.answers[TX] = [VendorRejectedError("7601", "not under this service")]

    with pytest.raises(VendorRejectedError):
        service.transaction_view(TX)


# ---- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "correlationid"), [(None, None), ("918886661353", "corr"), ("", "")]
)
def test_a_search_names_exactly_one_key(
    service: LookupService,
    store: InMemoryStore,
    destination: str | None,
    correlationid: str | None,
) -> None:
    with pytest.raises(InvalidSearchError):
        service.search(destination=destination, correlationid=correlationid, limit=20, cursor=None)
    assert store.calls == []


def test_a_token_the_store_refuses_is_the_callers_error(
    service: LookupService, store: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store decides whether a token belongs to the search (it rebuilds every start key
    # from the search): the service hands it over and lets the refusal through, a 400.
    asked: list[tuple[str | None, str | None, str | None]] = []

    def refuse(
        *,
        destination: str | None = None,
        correlationid: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage:
        asked.append((destination, correlationid, cursor))
        raise InvalidCursorError("the 'next' token belongs to another search")

    monkeypatch.setattr(store, "search", refuse)

    with pytest.raises(InvalidCursorError):
        service.search(destination="918886661353", correlationid=None, limit=20, cursor="other")
    with pytest.raises(InvalidCursorError):
        service.search(destination=None, correlationid="corr", limit=20, cursor="other")
    assert asked == [("918886661353", None, "other"), (None, "corr", "other")]


def test_a_token_is_handed_to_the_store_unchanged(
    service: LookupService, store: InMemoryStore
) -> None:
    store.pages[(None, "corr", "token-2")] = SearchPage([], next_cursor="token-3")

    page = service.search(destination=None, correlationid="corr", limit=20, cursor="token-2")

    assert page.next == "token-3"


def test_final_callbacks_overtake_a_non_final_answer_held_in_memory(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    # Given a "sent" answer from the vendor, fresh in memory
    vendor.answers[TX] = [vendor_body(TX, "sent")]
    assert service.vendor_status(TX).source is AnswerSource.UPSTREAM

    # When the final callbacks arrive before the memory entry expires
    store.events[TX] = [stored("01-sms-submitted"), stored("02-sms-delivered")]
    answer = service.vendor_status(TX)

    # Then the stored callbacks answer, not the stale-in-spirit cached "sent"
    assert answer.source is AnswerSource.CALLBACKS
    assert json.loads(answer.body)[0]["status"] == "delivered"
    assert vendor.calls == [TX]


def test_a_final_answer_in_memory_needs_no_table_read(
    service: LookupService, store: InMemoryStore, vendor: ScriptedVendor
) -> None:
    vendor.answers[TX] = [vendor_body(TX, "delivered")]
    service.vendor_status(TX)
    store.calls.clear()

    answer = service.vendor_status(TX)

    assert (answer.source, answer.cache_layer) == (AnswerSource.CACHE, "memory")
    assert store.calls == []
