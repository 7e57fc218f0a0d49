"""POST /v1/reconcile against the table, and what the reconcile sweep's events look like."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    body_of,
    reconcile_event,
    transaction_event,
    vendor_status_event,
)
from tests.unit.lookup.lookup_fakes import START, FakeClock

from receipts.models.reconciled import horizon_event, status_api_event
from receipts.storage import EventStore, StoreUnavailableError
from receipts.storage.watches import WatchSource, WatchState, WatchStore
from receipts.timestamps import format_rfc1123
from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE

SMS_TX = "262895e4-2217-4eef-92ca-79fd0250c4a3"
NEW_TX = "8026899a-bed4-4ea4-b1cd-eef98829dbd1"
WATCHED_TX = "5b0d3a1e-8d52-4c3f-9a55-1c1f8e2b7d40"


def test_new_known_and_refused_ids_are_counted_and_new_ones_watched(
    new_process: Callable[..., LookupProcess],
    store_callback: Callable[..., None],
    watch_store: WatchStore,
    fake_vendor: FakeVendorStatusApi,
) -> None:
    lookup = new_process(reconcile_after_minutes=5, reconcile_horizon_hours=24)
    store_callback("01-sms-submitted")
    store_callback("02-sms-delivered")  # SMS_TX is settled: nothing left to find
    already = START - timedelta(hours=1)
    assert watch_store.watch(
        WATCHED_TX,
        source=WatchSource.SWEEP,
        first_seen=already,
        due_at=already,
        horizon_at=already + timedelta(hours=72),
    )

    response = lookup.invoke(
        reconcile_event({"transactionids": [NEW_TX, SMS_TX, WATCHED_TX, "..", NEW_TX]})
    )

    assert response["statusCode"] == 200
    assert body_of(response) == {
        "new": 1,
        "known": 2,
        "refused": 1,
        "refusals": [{"transactionid": "..", "reason": INVALID_TRANSACTION_ID_MESSAGE}],
        "watching_until": "2024-05-02T12:00:00.000Z",
    }
    watch = watch_store.get(NEW_TX)
    assert watch is not None
    assert (watch.source, watch.state, watch.attempts) == (
        WatchSource.REGISTERED,
        WatchState.WATCHING,
        0,
    )
    assert watch.first_seen == START
    assert watch.due_at == START + timedelta(minutes=5)
    assert watch.horizon_at == START + timedelta(hours=24)
    assert watch_store.get(SMS_TX) is None
    unchanged = watch_store.get(WATCHED_TX)
    assert unchanged is not None and unchanged.source is WatchSource.SWEEP
    assert fake_vendor.request_count == 0


def test_the_settings_default_to_15_minutes_and_72_hours(
    lookup: LookupProcess, watch_store: WatchStore
) -> None:
    answer = body_of(lookup.invoke(reconcile_event({"transactionids": [NEW_TX]})))

    watch = watch_store.get(NEW_TX)
    assert watch is not None
    assert watch.due_at == START + timedelta(minutes=15)
    assert watch.horizon_at == START + timedelta(hours=72)
    assert answer["watching_until"] == "2024-05-04T12:00:00.000Z"


def test_posting_the_same_ids_again_finds_them_known(lookup: LookupProcess) -> None:
    first = body_of(lookup.invoke(reconcile_event({"transactionids": [NEW_TX, WATCHED_TX]})))
    again = body_of(lookup.invoke(reconcile_event({"transactionids": [NEW_TX, WATCHED_TX]})))

    assert (first["new"], first["known"]) == (2, 0)
    assert (again["new"], again["known"], again["watching_until"]) == (0, 2, None)


def test_a_batch_is_registered_id_by_id(lookup: LookupProcess, watch_store: WatchStore) -> None:
    # A hundred, not the thousand allowed: moto scans its whole table on every query.
    ids = [f"{NEW_TX}_{number}" for number in range(100)]

    response = lookup.invoke(reconcile_event({"transactionids": ids}))

    assert response["statusCode"] == 200
    assert (body_of(response)["new"], body_of(response)["refused"]) == (100, 0)
    assert all(watch_store.get(transid) is not None for transid in ids[::10])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"transactionids": [f"tx-{number}" for number in range(1001)]}, "application/json"),
        ({"transactionids": []}, "application/json"),
        ({"transactionids": "tx-1"}, "application/json"),
        ({"transactionids": ["tx-1", 2]}, "application/json"),
        ({"ids": ["tx-1"]}, "application/json"),
        (["tx-1"], "application/json"),
        ("{not json", "application/json"),
        ("", "application/json"),
        ('{"transactionids": ["tx-1"]}', "text/plain"),
    ],
    ids=[
        "1001-ids",
        "empty-list",
        "not-a-list",
        "not-a-string",
        "no-transactionids",
        "not-an-object",
        "not-json",
        "no-body",
        "not-json-content",
    ],
)
def test_a_malformed_body_is_400_in_the_house_shape(
    lookup: LookupProcess, body: Any, content_type: str
) -> None:
    response = lookup.invoke(reconcile_event(body, content_type=content_type))

    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert error["code"] == "invalid_request"
    assert error["message"]
    assert lookup.store.calls == []


def test_without_a_key_nothing_is_registered(
    lookup: LookupProcess, watch_store: WatchStore
) -> None:
    allowed = lookup.invoke(reconcile_event({"transactionids": [NEW_TX]}, api_key=None))
    malformed = lookup.invoke(reconcile_event("{not json", api_key=None))

    assert (allowed["statusCode"], malformed["statusCode"]) == (401, 401)
    assert watch_store.get(NEW_TX) is None


def test_a_table_fault_is_503(
    lookup: LookupProcess, watch_store: WatchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: Any, **_kwargs: Any) -> bool:
        raise StoreUnavailableError("throttled (test)")

    monkeypatch.setattr(watch_store, "watch", unavailable)

    response = lookup.invoke(reconcile_event({"transactionids": [NEW_TX, WATCHED_TX]}))

    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "storage_unavailable"


# ---- what the sweep stores, as the transaction's view shows it ---------------------------


def _status_api_answer(status: str, *, minutes_later: float) -> dict[str, Any]:
    return {
        "transactionid": SMS_TX,
        "channel": "SMS",
        "status": status,
        "to": "918886661353",
        "last_updated": format_rfc1123(START + timedelta(minutes=minutes_later)),
    }


def test_the_timeline_says_where_each_event_came_from(
    lookup: LookupProcess,
    event_store: EventStore,
    store_callback: Callable[..., None],
    fake_vendor: FakeVendorStatusApi,
    clock: FakeClock,
) -> None:
    store_callback("01-sms-submitted", timeStamp="2024-05-01T12:00:00.000Z")
    asked_at = START + timedelta(minutes=15)
    event_store.put_event(
        status_api_event(SMS_TX, _status_api_answer("sent", minutes_later=15)),
        received_at=asked_at,
    )
    closed_at = START + timedelta(hours=72)
    event_store.put_event(
        horizon_event(SMS_TX, closed_at=closed_at, horizon_hours=72, reason="no final receipt"),
        received_at=closed_at,
    )
    clock.now = closed_at + timedelta(minutes=1)

    response = lookup.invoke(transaction_event(SMS_TX))

    assert response["statusCode"] == 200
    view = body_of(response)
    assert [(entry["origin"], entry["status"]) for entry in view["timeline"]] == [
        ("callback", "submitted"),
        ("status_api", "submitted"),
        ("horizon", "unknown"),
    ]
    assert (view["status"], view["final"], view["source"]) == ("unknown", True, "callbacks")
    # Closed at the horizon, the view stands on what is stored: the sweep asked already.
    assert fake_vendor.request_count == 0


def test_a_final_status_api_answer_settles_the_view(
    lookup: LookupProcess,
    event_store: EventStore,
    store_callback: Callable[..., None],
    fake_vendor: FakeVendorStatusApi,
) -> None:
    store_callback("01-sms-submitted", timeStamp="2024-05-01T12:00:00.000Z")
    event_store.put_event(
        status_api_event(SMS_TX, _status_api_answer("delivered", minutes_later=15)),
        received_at=START + timedelta(minutes=15),
    )

    view = body_of(lookup.invoke(transaction_event(SMS_TX)))

    assert (view["status"], view["final"]) == ("delivered", True)
    assert view["timeline"][-1]["origin"] == "status_api"
    assert fake_vendor.request_count == 0


def test_the_drop_in_still_asks_the_vendor_after_a_horizon_closure(
    lookup: LookupProcess,
    event_store: EventStore,
    store_callback: Callable[..., None],
    fake_vendor: FakeVendorStatusApi,
) -> None:
    store_callback("01-sms-submitted")
    closed_at = START + timedelta(hours=72)
    event_store.put_event(
        horizon_event(SMS_TX, closed_at=closed_at, horizon_hours=72, reason="no final receipt"),
        received_at=closed_at,
    )
    fake_vendor.set_status(SMS_TX, "sent")

    response = lookup.invoke(vendor_status_event(SMS_TX))

    assert response["statusCode"] == 200
    assert response["headers"]["x-answer-source"] == "upstream"
    assert body_of(response)[0]["status"] == "sent"
    assert fake_vendor.request_count == 1


def test_a_body_that_is_not_utf8_is_400_in_the_house_shape(lookup: LookupProcess) -> None:
    event = reconcile_event("")
    # API Gateway passes bytes that are not UTF-8 base64-encoded.
    event["body"], event["isBase64Encoded"] = (
        base64.b64encode(b'{"transactionids": ["\x80"]}').decode(),
        True,
    )

    response = lookup.invoke(event)

    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert (error["code"], error["message"]) == (
        "invalid_request",
        "The body must be JSON in UTF-8.",
    )
    assert lookup.store.calls == []
