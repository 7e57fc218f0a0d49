"""GET /resources/v1/messaging/status/{id}: the drop-in, against moto and the fake vendor."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from tests.fakes.vendor_status_api import Answer, FakeVendorStatusApi, transaction_answer
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    VENDOR_KEY_REFERENCE,
    body_of,
    vendor_status_event,
)
from tests.unit.lookup.lookup_fakes import FakeClock

SMS_TX = "262895e4-2217-4eef-92ca-79fd0250c4a3"
TX = "8026899a-bed4-4ea4-b1cd-eef98829dbd1"
NO_RESULTS = {"code": "7600", "description": "no results found"}


# ---- answers from stored callbacks ----------------------------------------------------------


def test_final_callbacks_answer_with_zero_upstream_calls(
    lookup: LookupProcess,
    fake_vendor: FakeVendorStatusApi,
    store_callback: Callable[..., None],
) -> None:
    # Given the ingest function stored "Submitted" then "Delivered" for an SMS
    store_callback("01-sms-submitted")
    store_callback("02-sms-delivered", received_after_seconds=3)

    # When a client asks the drop-in path
    response = lookup.invoke(vendor_status_event(SMS_TX))

    # Then it answers in the vendor's shape without asking the vendor
    assert response["statusCode"] == 200
    assert response["headers"]["x-answer-source"] == "callbacks"
    assert body_of(response) == [
        {
            "transactionid": SMS_TX,
            "clientid": None,
            "api_version": "v1",
            "type": None,
            "from": None,
            "to": "918886661353",
            "channel": "SMS",
            "status": "delivered",
            "date_created": "Wed, 20 Jul 2016 17:13:17 UTC",
            "last_updated": "Wed, 20 Jul 2016 17:13:17 UTC",
            "error_code": None,
            "error_message": None,
        }
    ]
    assert fake_vendor.request_count == 0


def test_a_failure_from_callbacks_carries_the_code_and_its_meaning(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, store_callback: Callable[..., None]
) -> None:
    store_callback("03-sms-un-delivered")

    [answer] = body_of(lookup.invoke(vendor_status_event("8f0fd088-2a80-43e3-9da1-e82e52b17390")))

    assert (answer["status"], answer["error_code"], answer["error_message"]) == (
        "failed",
        "7208",
        "Message expired",
    )
    assert fake_vendor.request_count == 0


def test_sms_submitted_is_not_final_so_the_vendor_is_asked(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, store_callback: Callable[..., None]
) -> None:
    store_callback("01-sms-submitted")
    fake_vendor.set_status(SMS_TX, "delivered")

    response = lookup.invoke(vendor_status_event(SMS_TX))

    assert response["headers"]["x-answer-source"] == "upstream"
    assert body_of(response) == transaction_answer(SMS_TX, status="delivered")
    assert fake_vendor.requests_for(SMS_TX) == 1


# ---- the vendor and the caches --------------------------------------------------------------


def test_the_vendors_answer_passes_through_with_its_key_header(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    answer = transaction_answer(TX, status="sent", sample="02-voice")
    fake_vendor.script(TX, Answer(body=answer))

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == 200
    assert body_of(response) == answer  # voice's callflowid and every field kept
    assert response["headers"]["x-cache"] == "miss"
    [request] = fake_vendor.requests
    assert request.path == f"/resources/v1/messaging/status/{TX}"
    assert request.headers["key"] == fake_vendor.service_key


def test_a_repeated_lookup_is_a_memory_cache_hit(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.set_status(TX, "sent")
    lookup.invoke(vendor_status_event(TX))
    clock.advance(12)
    lookup.store.calls.clear()

    response = lookup.invoke(vendor_status_event(TX))

    assert response["headers"]["x-cache"] == "hit"
    assert response["headers"]["x-answer-source"] == "cache"
    assert response["headers"]["age"] == "12"
    assert fake_vendor.request_count == 1
    # A non-final answer is served from memory only after the stored callbacks are checked:
    # they may have become final since. The table cache is not read.
    assert lookup.store.calls == ["list_events"]


def test_a_repeated_lookup_of_a_final_answer_reads_nothing(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.set_status(TX, "delivered")
    lookup.invoke(vendor_status_event(TX))
    clock.advance(12)
    lookup.store.calls.clear()

    response = lookup.invoke(vendor_status_event(TX))

    assert response["headers"]["x-cache"] == "hit"
    assert fake_vendor.request_count == 1
    assert lookup.store.calls == []  # not even the table is read


def test_a_new_process_finds_the_answer_in_the_table(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    dynamodb_client: Any,
    events_table: str,
    clock: FakeClock,
) -> None:
    fake_vendor.set_status(TX, "sent")
    first = new_process().invoke(vendor_status_event(TX))
    clock.advance(5)

    # A cold start: a new process with nothing in memory and a new connection pool
    cold = new_process()
    response = cold.invoke(vendor_status_event(TX))

    assert response["headers"]["x-cache"] == "hit"
    assert response["headers"]["age"] == "5"
    assert body_of(response) == body_of(first)
    assert fake_vendor.request_count == 1
    assert cold.store.calls == ["list_events", "get_cached_answer"]
    # The table copy outlives its freshness by the stale window (DynamoDB TTL).
    item = dynamodb_client.get_item(
        TableName=events_table, Key={"pk": {"S": f"CACHE#{TX}"}, "sk": {"S": "STATUS"}}
    )["Item"]
    expected_expiry = clock.now - timedelta(seconds=5) + timedelta(seconds=30 + 86400)
    assert int(item["expires_at"]["N"]) == int(expected_expiry.timestamp())


def test_a_non_final_answer_expires_and_the_vendor_is_asked_again(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.script(
        TX,
        Answer(body=transaction_answer(TX, status="sent")),
        Answer(body=transaction_answer(TX, status="delivered")),
    )
    lookup.invoke(vendor_status_event(TX))

    clock.advance(29)
    assert lookup.invoke(vendor_status_event(TX))["headers"]["x-cache"] == "hit"
    clock.advance(1)
    response = lookup.invoke(vendor_status_event(TX))

    assert response["headers"]["x-cache"] == "miss"
    assert body_of(response)[0]["status"] == "delivered"
    assert fake_vendor.request_count == 2


def test_a_final_answer_is_served_from_cache_for_a_day(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    clock: FakeClock,
) -> None:
    fake_vendor.set_status(TX, "delivered")
    new_process().invoke(vendor_status_event(TX))

    clock.advance(86399)
    assert new_process().invoke(vendor_status_event(TX))["headers"]["x-cache"] == "hit"
    clock.advance(1)
    assert new_process().invoke(vendor_status_event(TX))["headers"]["x-cache"] == "miss"

    assert fake_vendor.request_count == 2


def test_the_tls_connection_is_reused_across_warm_invocations(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    for transid in ("a1", "a2", "a3"):
        fake_vendor.set_status(transid, "sent")
        lookup.invoke(vendor_status_event(transid))

    assert fake_vendor.request_count == 3
    assert fake_vendor.connection_count == 1


# ---- stale-on-error -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outage",
    [
        Answer(status=503, body=b"Service Unavailable"),
        Answer(status=500, body={"code": "7006", "description": "Internal error occurred"}),
        Answer(drop_connection=True),
        Answer(status=200, body={"code": "7001", "description": "Authentication failed"}),
    ],
    ids=["503", "7006", "dropped", "7001"],
)
def test_a_stale_answer_is_served_when_the_vendor_fails(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    clock: FakeClock,
    outage: Answer,
) -> None:
    # Given a non-final answer cached ten minutes ago, long expired
    fake_vendor.script(TX, Answer(body=transaction_answer(TX, status="sent")), outage)
    first = new_process().invoke(vendor_status_event(TX))
    clock.advance(600)

    # When the vendor fails, in this process and in a cold one
    warm = new_process()
    response = warm.invoke(vendor_status_event(TX))

    # Then the old answer is served, its body still a pure JSON array, marked in headers
    assert response["statusCode"] == 200
    assert body_of(response) == body_of(first)
    assert response["headers"]["x-cache"] == "stale"
    assert response["headers"]["warning"] == '110 - "Response is Stale"'
    assert response["headers"]["age"] == "600"
    assert response["headers"]["x-stale-reason"]


def test_no_such_transaction_is_never_hidden_by_a_stale_answer(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, clock: FakeClock
) -> None:
    fake_vendor.script(
        TX,
        Answer(body=transaction_answer(TX, status="sent")),
        Answer(status=404, body={"code": "7600", "description": "no results found"}),
    )
    lookup.invoke(vendor_status_event(TX))
    clock.advance(60)

    assert lookup.invoke(vendor_status_event(TX))["statusCode"] == 404


# ---- every error mapping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "code", "vendor_code"),
    [
        (
            Answer(400, {"code": "7600", "description": "no results found"}),
            404,
            "not_found",
            "7600",
        ),
        (
            Answer(200, {"code": "7600", "description": "no results found"}),
            404,
            "not_found",
            "7600",
        ),
        (
            Answer(403, {"code": "7601", "description": "transaction is not under this service"}),
            403,
            "forbidden",
            "7601",
        ),
        (
            Answer(401, {"code": "7001", "description": "Authentication failed"}),
            502,
            "vendor_rejected_service_key",
            "7001",
        ),
        (
            Answer(400, {"code": "7002", "description": "Service Key Missing"}),
            502,
            "vendor_rejected_service_key",
            "7002",
        ),
        (Answer(400, {"code": "8123", "description": "new"}), 502, "vendor_unknown_code", "8123"),
        (Answer(503, b"down"), 502, "vendor_error", None),
        (Answer(200, b"<html>maintenance</html>"), 502, "vendor_error", None),
        (Answer(200, [{"transactionid": None}]), 502, "vendor_error", None),
    ],
)
def test_every_vendor_failure_has_its_own_answer(
    lookup: LookupProcess,
    fake_vendor: FakeVendorStatusApi,
    answer: Answer,
    status: int,
    code: str,
    vendor_code: str | None,
) -> None:
    fake_vendor.script(TX, answer)

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == status
    body = body_of(response)
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["vendor_code"] == vendor_code
    if vendor_code is not None:
        # On the vendor's own path the vendor's fields are there too, for drop-in clients.
        assert body["code"] == vendor_code


def test_the_proxys_wrong_service_key_is_named_as_such(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, secrets: Any
) -> None:
    fake_vendor.set_status(TX, "sent")
    secrets.values[VENDOR_KEY_REFERENCE] = "a-revoked-service-key"

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == 502
    assert "proxy's service key is wrong" in body_of(response)["error"]["message"]
    assert "a-revoked-service-key" not in json.dumps(response)


def test_a_rate_limit_becomes_429_with_retry_after(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.script(
        TX,
        Answer(429, {"code": "7302", "description": "Rate limit exceeded"}, {"Retry-After": "7"}),
    )

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == 429
    assert response["headers"]["Retry-After"] == "7"
    assert body_of(response)["error"]["code"] == "rate_limited"
    assert fake_vendor.request_count == 1  # never retried


def test_an_unreachable_vendor_is_504_after_bounded_retries(
    new_process: Callable[..., LookupProcess], fake_vendor: FakeVendorStatusApi
) -> None:
    lookup = new_process(vendor_timeout_seconds=0.2)
    fake_vendor.script(TX, Answer(delay_seconds=2, body=transaction_answer(TX)))

    started = time.monotonic()
    response = lookup.invoke(vendor_status_event(TX))
    elapsed = time.monotonic() - started

    assert response["statusCode"] == 504
    assert body_of(response)["error"]["code"] == "vendor_unreachable"
    assert fake_vendor.requests_for(TX) == 3
    assert elapsed < 2  # three 0.2 s timeouts and two short pauses, not the 2 s delay


def test_a_vendor_nobody_listens_to_is_504(
    new_process: Callable[..., LookupProcess], fake_vendor: FakeVendorStatusApi
) -> None:
    base_url = fake_vendor.base_url
    fake_vendor.stop()

    response = new_process(vendor_base_url=base_url).invoke(vendor_status_event(TX))

    assert response["statusCode"] == 504


# ---- retries --------------------------------------------------------------------------------


def test_retries_on_5xx_stop_at_the_attempt_limit(
    new_process: Callable[..., LookupProcess], fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.script(TX, Answer(status=503, body=b""))

    new_process(vendor_max_attempts=2).invoke(vendor_status_event(TX))
    two = fake_vendor.requests_for(TX)
    new_process(vendor_max_attempts=3).invoke(vendor_status_event(TX))

    assert two == 2
    assert fake_vendor.requests_for(TX) == 2 + 3


def test_a_transient_failure_then_success_is_answered(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.script(
        TX,
        Answer(status=502, body=b""),
        Answer(drop_connection=True),
        Answer(body=transaction_answer(TX, status="delivered")),
    )

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == 200
    assert fake_vendor.requests_for(TX) == 3


def test_the_time_budget_stops_retries_early(
    new_process: Callable[..., LookupProcess], fake_vendor: FakeVendorStatusApi
) -> None:
    lookup = new_process(vendor_timeout_seconds=0.3, vendor_budget_seconds=0.5)
    fake_vendor.script(TX, Answer(delay_seconds=2, body=transaction_answer(TX)))

    response = lookup.invoke(vendor_status_event(TX))

    assert response["statusCode"] == 504
    assert fake_vendor.requests_for(TX) == 2  # 0.3 s, a pause, then only what is left


# ---- requests refused before any call -------------------------------------------------------


@pytest.mark.parametrize(
    "transid",
    ["has space", "a" * 129, "semi;colon", "quote'", "%2e%2e", "<script>"],
)
def test_a_malformed_transaction_id_is_400_before_any_call(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, transid: str
) -> None:
    response = lookup.invoke(vendor_status_event(transid))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_transaction_id"
    assert fake_vendor.request_count == 0
    assert lookup.store.calls == []


@pytest.mark.parametrize(
    "transid",
    [
        "8026899a-bed4-4ea4-b1cd-eef98829dbd1",
        "092dbe6d-bd84-458d-9c34-634b6adaa164_5854_13218_1",
        "a" * 128,
        "tenant:42.msg_7",
    ],
)
def test_every_id_shape_the_vendor_uses_is_accepted(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, transid: str
) -> None:
    fake_vendor.set_status(transid, "sent")

    response = lookup.invoke(vendor_status_event(transid))

    assert response["statusCode"] == 200
    assert fake_vendor.requests_for(transid) == 1


def test_the_service_key_never_reaches_a_log_or_an_answer(
    lookup: LookupProcess,
    fake_vendor: FakeVendorStatusApi,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_vendor.script(TX, Answer(status=401, body={"code": "7001", "description": "Auth"}))
    fake_vendor.set_status("ok", "sent")

    responses = [lookup.invoke(vendor_status_event(t)) for t in (TX, "ok")]

    logged = capsys.readouterr()
    assert fake_vendor.service_key not in logged.out + logged.err
    assert fake_vendor.service_key not in json.dumps(responses)
