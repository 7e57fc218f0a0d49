"""The drop-in path as existing client code calls it: the vendor's `key` header, the key in
the path, ids that try to change the vendor URL's path, and repeated look-ups of a wrong id."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    API_KEY,
    body_of,
    keyed_vendor_status_event,
    search_event,
    transaction_event,
    vendor_status_event,
    with_header,
)
from tests.unit.lookup.lookup_fakes import FakeClock

from lookup.telemetry import logger

TRANSID = "262895e4-2217-4eef-92ca-79fd0250c4a3"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


# ---- 1. the vendor's `key` header --------------------------------------------------------


def test_the_drop_in_path_accepts_the_api_key_in_the_vendors_key_header(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.set_status(TRANSID, "delivered")

    response = lookup.invoke(
        with_header(vendor_status_event(TRANSID, api_key=None), "key", API_KEY)
    )

    assert response["statusCode"] == 200
    assert body_of(response)[0]["status"] == "delivered"


def test_a_wrong_key_in_the_key_header_is_refused_without_any_call(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    response = lookup.invoke(
        with_header(vendor_status_event(TRANSID, api_key=None), "key", "not-a-key")
    )

    assert response["statusCode"] == 401
    assert lookup.store.calls == []
    assert fake_vendor.request_count == 0


@pytest.mark.parametrize(
    "event",
    [transaction_event(TRANSID, api_key=None), search_event(api_key=None, destination="9188")],
    ids=["transaction", "search"],
)
def test_the_products_own_routes_take_the_key_in_x_api_key_only(
    lookup: LookupProcess, event: dict[str, object]
) -> None:
    response = lookup.invoke(with_header(event, "key", API_KEY))  # type: ignore[arg-type]

    assert response["statusCode"] == 401
    assert lookup.store.calls == []


# ---- 2. the key in the path --------------------------------------------------------------


def test_older_clients_put_the_key_in_the_path(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.set_status(TRANSID, "delivered")

    response = lookup.invoke(keyed_vendor_status_event(API_KEY, TRANSID))

    assert response["statusCode"] == 200
    assert body_of(response)[0]["transactionid"] == TRANSID
    assert fake_vendor.requests_for(TRANSID) == 1


def test_a_wrong_key_in_the_path_is_refused_without_any_call(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    response = lookup.invoke(keyed_vendor_status_event("wrong-key", TRANSID))

    assert response["statusCode"] == 401
    assert lookup.store.calls == []
    assert fake_vendor.request_count == 0


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """Every line the lookup logs, formatted as Lambda prints it, at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    capsys.readouterr()

    def text() -> str:
        printed = capsys.readouterr()
        return stream.getvalue() + printed.out + printed.err

    yield text
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_key_in_the_path_never_reaches_the_logs(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, log_lines: Callable[[], str]
) -> None:
    fake_vendor.set_status(TRANSID, "delivered")
    fake_vendor.fail_with(UNKNOWN, "7600")

    answered = lookup.invoke(keyed_vendor_status_event(API_KEY, TRANSID))
    refused = lookup.invoke(keyed_vendor_status_event(API_KEY, UNKNOWN))
    malformed = lookup.invoke(keyed_vendor_status_event(API_KEY, "bad id!"))

    assert [answered["statusCode"], refused["statusCode"], malformed["statusCode"]] == [
        200,
        404,
        400,
    ]
    text = log_lines()
    assert TRANSID in text  # the answers are logged, by transaction id
    assert API_KEY not in text


# ---- 3. ids that would change the vendor URL's path --------------------------------------

# As API Gateway hands them over: the path decoded once (`%2E%2E` is `..`, `%252E` is `%2E`).
PATH_TRICKS = [".", "..", "%2E", "%2e%2E", "%252E%252E", "a/b", "../x", "a%2Fb", "x/.."]


# Refused for what it is before the key is looked at: with a valid key, none or a wrong one.
@pytest.mark.parametrize("api_key", [API_KEY, None, "not-a-key"])
@pytest.mark.parametrize("transid", PATH_TRICKS)
def test_an_id_that_could_change_the_vendor_path_is_400_before_any_call(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, transid: str, api_key: str | None
) -> None:
    response = lookup.invoke(vendor_status_event(transid, api_key=api_key))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_transaction_id"
    assert fake_vendor.request_count == 0
    assert lookup.store.calls == []


@pytest.mark.parametrize("transid", ["..", "a/b"])
def test_the_timeline_refuses_path_tricks_too(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, transid: str
) -> None:
    response = lookup.invoke(transaction_event(transid))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_transaction_id"
    assert fake_vendor.request_count == 0


def test_the_keyed_form_refuses_path_tricks_too(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    response = lookup.invoke(keyed_vendor_status_event(API_KEY, ".."))

    assert response["statusCode"] == 400
    assert fake_vendor.request_count == 0


def test_an_id_with_dots_inside_is_still_an_id(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.set_status("a.b", "sent")

    response = lookup.invoke(vendor_status_event("a.b"))

    assert response["statusCode"] == 200
    assert fake_vendor.requests_for("a.b") == 1


# ---- 4. a wrong id does not spend the vendor's rate limit ---------------------------------


def test_a_7600_is_cached_briefly_in_memory_and_in_the_table(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    clock: FakeClock,
) -> None:
    fake_vendor.fail_with(UNKNOWN, "7600")
    first_process, second_process = new_process(), new_process()

    answers = [first_process.invoke(vendor_status_event(UNKNOWN)) for _ in range(3)]
    from_the_table = second_process.invoke(vendor_status_event(UNKNOWN))

    assert [answer["statusCode"] for answer in [*answers, from_the_table]] == [404] * 4
    assert body_of(from_the_table)["code"] == "7600"
    assert fake_vendor.requests_for(UNKNOWN) == 1

    clock.advance(61)
    expired = first_process.invoke(vendor_status_event(UNKNOWN))

    assert expired["statusCode"] == 404
    assert fake_vendor.requests_for(UNKNOWN) == 2


def test_the_not_found_cache_time_is_a_setting(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    clock: FakeClock,
) -> None:
    fake_vendor.fail_with(UNKNOWN, "7600")
    lookup = new_process(not_found_cache_seconds=5)

    lookup.invoke(vendor_status_event(UNKNOWN))
    clock.advance(6)
    lookup.invoke(vendor_status_event(UNKNOWN))

    assert fake_vendor.requests_for(UNKNOWN) == 2


def test_a_not_found_cache_time_of_zero_keeps_nothing(
    new_process: Callable[..., LookupProcess], fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.fail_with(UNKNOWN, "7600")
    lookup = new_process(not_found_cache_seconds=0)

    assert lookup.invoke(vendor_status_event(UNKNOWN))["statusCode"] == 404
    assert lookup.invoke(vendor_status_event(UNKNOWN))["statusCode"] == 404

    assert fake_vendor.requests_for(UNKNOWN) == 2
    assert "put_cached_answer" not in lookup.store.calls


def test_a_7600_about_a_transaction_with_callbacks_is_not_kept(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    store_callback: Callable[..., None],
) -> None:
    # The timeline of a stored, unfinished transaction asks the vendor; its "no such
    # transaction" is shown but never cached: the stored callbacks already outrank it.
    transid = "7c1d2e3f-0000-4000-8000-00000000000b"
    store_callback("01-sms-submitted", transid=transid)
    fake_vendor.fail_with(transid, "7600")
    lookup = new_process()

    assert lookup.invoke(transaction_event(transid))["statusCode"] == 200

    assert "put_cached_answer" not in lookup.store.calls


def test_a_cached_7600_is_never_served_once_a_callback_is_stored(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    store_callback: Callable[..., None],
) -> None:
    transid = "7c1d2e3f-0000-4000-8000-00000000000a"
    fake_vendor.fail_with(transid, "7600")
    lookup = new_process()
    assert lookup.invoke(vendor_status_event(transid))["statusCode"] == 404

    store_callback("01-sms-submitted", transid=transid)
    fake_vendor.set_status(transid, "sent")
    drop_in = lookup.invoke(vendor_status_event(transid))
    view = new_process().invoke(transaction_event(transid))

    assert drop_in["statusCode"] == 200
    assert body_of(drop_in)[0]["status"] == "sent"
    assert view["statusCode"] == 200
    assert body_of(view)["upstream_error"] is None
