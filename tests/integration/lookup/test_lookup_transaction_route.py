"""GET /v1/transactions/{id}: current status, its meaning, the timeline, source and age."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.vendor_status_api import Answer, FakeVendorStatusApi, transaction_answer
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import body_of, transaction_event
from tests.unit.lookup.lookup_fakes import FakeClock

SMS_TX = "262895e4-2217-4eef-92ca-79fd0250c4a3"
TX = "8026899a-bed4-4ea4-b1cd-eef98829dbd1"


def test_final_callbacks_give_the_whole_story_without_the_vendor(
    lookup: LookupProcess,
    fake_vendor: FakeVendorStatusApi,
    store_callback: Callable[..., None],
    clock: FakeClock,
) -> None:
    # Given "Delivered" arrived first and a late "Submitted" after it
    store_callback("02-sms-delivered", timeStamp="2024-05-01T10:00:05.120Z")
    store_callback(
        "01-sms-submitted", timeStamp="2024-05-01T10:00:01.000Z", received_after_seconds=2
    )
    clock.advance(62)

    response = lookup.invoke(transaction_event(SMS_TX))

    assert response["statusCode"] == 200
    view = body_of(response)
    assert view["status"] == "delivered"
    assert view["raw_status"] == "Delivered"
    assert view["final"] is True
    assert view["classification"] == "delivered"
    assert view["code"]["code"] == 7500
    assert view["code"]["known"] is True
    assert view["channel"] == "sms"
    assert view["destination"] == "918886661353"
    assert view["correlationid"] == "4eef-92ca-79fd0250c4a3-262895e4-2217"
    assert (view["source"], view["age_seconds"], view["stale"]) == ("callbacks", 60, False)
    assert view["upstream_error"] is None
    assert [
        (entry["status"], entry["raw_status"], entry["code"], entry["occurred_at"])
        for entry in view["timeline"]
    ] == [
        ("submitted", "Submitted", 7501, "2024-05-01T10:00:01.000Z"),
        ("delivered", "Delivered", 7500, "2024-05-01T10:00:05.120Z"),
    ]
    assert view["timeline"][0]["description"] == "Submitted"
    assert view["timeline"][0]["received_at"] == "2024-05-01T12:00:02.000Z"
    assert fake_vendor.request_count == 0


def test_a_failure_explains_its_code(
    lookup: LookupProcess, store_callback: Callable[..., None]
) -> None:
    store_callback("03-sms-un-delivered")

    view = body_of(lookup.invoke(transaction_event("8f0fd088-2a80-43e3-9da1-e82e52b17390")))

    assert (view["status"], view["classification"]) == ("undelivered", "failed_permanent")
    assert view["code"]["message"] == "Message expired"
    assert view["code"]["description"]


def test_without_callbacks_the_vendor_answers_then_the_cache(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.set_status(TX, "sent")

    fetched = body_of(lookup.invoke(transaction_event(TX)))
    clock.advance(7)
    cached = body_of(lookup.invoke(transaction_event(TX)))

    assert (fetched["source"], fetched["status"], fetched["final"]) == (
        "upstream",
        "submitted",
        False,
    )
    assert fetched["raw_status"] == "sent"
    assert fetched["timeline"] == []
    assert (cached["source"], cached["age_seconds"]) == ("cache", 7)
    assert fake_vendor.request_count == 1


def test_a_stale_vendor_answer_is_marked_in_the_body(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.script(
        TX, Answer(body=transaction_answer(TX, status="sent")), Answer(status=503, body=b"")
    )
    lookup.invoke(transaction_event(TX))
    clock.advance(300)

    response = lookup.invoke(transaction_event(TX))

    view = body_of(response)
    assert response["statusCode"] == 200
    assert (view["stale"], view["source"], view["age_seconds"]) == (True, "cache", 300)
    assert view["upstream_error"]["code"] == "vendor_error"


def test_non_final_callbacks_and_a_failing_vendor_still_answer(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, store_callback: Callable[..., None]
) -> None:
    store_callback("01-sms-submitted")
    fake_vendor.script(SMS_TX, Answer(status=401, body={"code": "7001", "description": "x"}))

    view = body_of(lookup.invoke(transaction_event(SMS_TX)))

    assert (view["source"], view["status"]) == ("callbacks", "submitted")
    assert view["upstream_error"]["code"] == "vendor_rejected_service_key"
    assert view["upstream_error"]["vendor_code"] == "7001"


def test_an_unknown_transaction_is_404(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    response = lookup.invoke(transaction_event("no-such-transaction"))

    assert response["statusCode"] == 404
    assert body_of(response)["error"] == {
        "code": "not_found",
        "message": "The vendor has no transaction with this id.",
        "vendor_code": "7600",
    }
    assert "code" not in body_of(response)  # the vendor's fields belong to its own path only


def test_a_malformed_id_is_400(lookup: LookupProcess, fake_vendor: FakeVendorStatusApi) -> None:
    response = lookup.invoke(transaction_event("x" * 129))

    assert response["statusCode"] == 400
    assert fake_vendor.request_count == 0
    assert lookup.store.calls == []
