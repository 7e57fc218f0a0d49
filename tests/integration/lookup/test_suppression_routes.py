"""/v1/suppressions...: the suppression registers through the real lookup handler, under moto.

The registers are written as the stream consumer writes them: a stored event's verdict
(``verdict_of``) offered to ``SuppressionStore.offer``. The only write the API makes is an
operator's lift (``DELETE``), at the process clock's time.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from tests.fakes.event_summaries import callback_summary
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    body_of,
    lift_suppression_event,
    openapi_event,
    suppression_check_event,
    suppression_event,
    suppression_list_event,
)
from tests.unit.lookup.lookup_fakes import FakeClock

from receipts.channels import Channel
from receipts.codes import resolve_code
from receipts.lifecycle import DeliveryStatus
from receipts.storage import keys
from receipts.storage.event_store import EventSummary
from receipts.storage.suppressions import Move, SuppressionStore
from receipts.suppressions.verdicts import verdict_of

# The FakeClock's now is 2024-05-01T12:00:00Z: every event below happened before it.
FAILED_AT = datetime(2024, 4, 30, 10, 15, 30, 250_000, tzinfo=UTC)
FAILED_AT_TEXT = "2024-04-30T10:15:30.250Z"
PHONE = "918886661353"
EMAIL = "ops@example.com"


def _event(
    status: DeliveryStatus,
    *,
    channel: Channel,
    destination: str,
    code: int | None = None,
    at: datetime = FAILED_AT,
) -> EventSummary:
    return callback_summary(status, channel=channel, code=code, sent=at, destination=destination)


def _offer(
    store: SuppressionStore,
    clock: FakeClock,
    transid: str,
    event: EventSummary,
    description: str = "",
) -> Move:
    """What the stream consumer does with one stored event."""
    verdict = verdict_of(transid, event, description)
    assert verdict is not None, f"{event} decides nothing"
    return store.offer(verdict, clock.now)


def _complaint(
    store: SuppressionStore,
    clock: FakeClock,
    destination: str = EMAIL,
    *,
    transid: str = "tx-complaint",
    at: datetime = FAILED_AT,
) -> None:
    event = _event(
        DeliveryStatus.COMPLAINT, channel=Channel.EMAIL, destination=destination, code=7521, at=at
    )
    assert _offer(store, clock, transid, event, "abuse") is Move.SUPPRESSED


def _unknown_subscriber(
    store: SuppressionStore,
    clock: FakeClock,
    destination: str = PHONE,
    *,
    transid: str = "tx-7203",
    at: datetime = FAILED_AT,
) -> Move:
    event = _event(
        DeliveryStatus.UNDELIVERED, channel=Channel.SMS, destination=destination, code=7203, at=at
    )
    return _offer(store, clock, transid, event)


def _delivery(
    store: SuppressionStore,
    clock: FakeClock,
    destination: str,
    *,
    channel: Channel = Channel.SMS,
    transid: str = "tx-delivered",
    at: datetime,
) -> Move:
    event = _event(DeliveryStatus.DELIVERED, channel=channel, destination=destination, at=at)
    return _offer(store, clock, transid, event)


def _answer(response: dict[str, Any], status: int = 200) -> Any:
    assert response["statusCode"] == status, response["body"]
    return body_of(response)


def _error(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["headers"]["Content-Type"] == "application/json"
    error: dict[str, Any] = _answer(response, status)["error"]
    return error


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


NOT_SUPPRESSED = {
    "suppressed": False,
    "reason": None,
    "code": None,
    "meaning": None,
    "status": None,
    "transactionid": None,
    "since": None,
    "lifted_at": None,
    "lifted_by": None,
    "updated_at": None,
}


# ---- GET /v1/suppressions/{channel}/{destination} ------------------------------------------


def test_a_destination_never_seen_is_not_suppressed(lookup: LookupProcess) -> None:
    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))

    assert view == {"channel": "sms", "destination": PHONE, "normalised": PHONE, **NOT_SUPPRESSED}


def test_an_email_complaint_suppresses_the_address(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _complaint(suppression_store, clock)

    view = _answer(lookup.invoke(suppression_event("email", EMAIL)))

    assert view == {
        "channel": "email",
        "destination": EMAIL,
        "normalised": EMAIL,
        "suppressed": True,
        "reason": "complaint",
        "code": 7521,
        "meaning": resolve_code(7521, Channel.EMAIL, DeliveryStatus.COMPLAINT).message,
        "status": "complaint",
        "transactionid": "tx-complaint",
        "since": FAILED_AT_TEXT,
        "lifted_at": None,
        "lifted_by": None,
        "updated_at": _iso(clock.now),
    }


def test_an_unknown_subscriber_suppresses_the_number(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    assert _unknown_subscriber(suppression_store, clock) is Move.SUPPRESSED

    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))

    meaning = resolve_code(7203, Channel.SMS, DeliveryStatus.UNDELIVERED).message
    assert meaning == "Unknown Subscriber address"
    assert (view["suppressed"], view["reason"], view["code"]) == (True, "invalid_address", 7203)
    assert (view["meaning"], view["status"]) == (meaning, "undelivered")
    assert (view["transactionid"], view["since"]) == ("tx-7203", FAILED_AT_TEXT)
    assert (view["lifted_at"], view["lifted_by"]) == (None, None)


def test_a_suppression_is_the_channels_own(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)

    view = _answer(lookup.invoke(suppression_event("voice", PHONE)))

    assert view["suppressed"] is False
    assert view["since"] is None


@pytest.mark.parametrize(
    ("channel", "asked", "normalised"),
    [
        ("sms", "+91 888 666 1353", PHONE),
        ("sms", "+918886661353", PHONE),
        ("sms", "tel:+91 (888) 666-1353", PHONE),
        ("email", "Ops@Example.com", EMAIL),
        ("email", "OPS@EXAMPLE.COM", EMAIL),
    ],
)
def test_any_spelling_of_the_destination_finds_it(
    lookup: LookupProcess,
    suppression_store: SuppressionStore,
    clock: FakeClock,
    channel: str,
    asked: str,
    normalised: str,
) -> None:
    _unknown_subscriber(suppression_store, clock)
    _complaint(suppression_store, clock)
    # The client sends the destination URL-encoded; API Gateway matches the route and hands
    # the function the path decoded.
    assert quote(asked, safe="") != asked

    view = _answer(lookup.invoke(suppression_event(channel, asked)))

    assert view["suppressed"] is True
    assert (view["destination"], view["normalised"]) == (asked, normalised)
    assert view["since"] == FAILED_AT_TEXT


def test_a_later_delivery_lifts_the_suppression(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    delivered_at = FAILED_AT + timedelta(hours=2, milliseconds=5)
    assert _delivery(suppression_store, clock, PHONE, at=delivered_at) is Move.LIFTED

    view = _answer(lookup.invoke(suppression_event("sms", "+91 888 666 1353")))

    assert view["suppressed"] is False
    assert (view["lifted_by"], view["lifted_at"]) == ("delivery", "2024-04-30T12:15:30.255Z")
    assert (view["since"], view["reason"]) == (None, None)
    assert (view["transactionid"], view["status"]) == ("tx-delivered", "delivered")


def test_an_earlier_delivery_arriving_late_does_not_lift_it(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    earlier = FAILED_AT - timedelta(minutes=1)
    assert _delivery(suppression_store, clock, PHONE, at=earlier) is Move.UNCHANGED

    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))

    assert (view["suppressed"], view["transactionid"]) == (True, "tx-7203")


@pytest.mark.parametrize("channel", ["fax", "SMS", "Email"])
def test_an_unknown_channel_is_400(lookup: LookupProcess, channel: str) -> None:
    response = lookup.invoke(suppression_event(channel, PHONE))

    error = _error(response, 400)
    assert error["code"] == "invalid_request"
    assert "channel" in error["message"]


@pytest.mark.parametrize("api_key", [None, "not-a-key"])
def test_a_lookup_needs_an_api_key(
    lookup: LookupProcess,
    suppression_store: SuppressionStore,
    clock: FakeClock,
    api_key: str | None,
) -> None:
    _unknown_subscriber(suppression_store, clock)

    response = lookup.invoke(suppression_event("sms", PHONE, api_key=api_key))

    assert _error(response, 401)["code"] == "unauthorized"
    assert "918886661353" not in response["body"]


@pytest.mark.parametrize("destination", ["..", ".", "a/b", "%2E%2E", "%252F"])
def test_path_tricks_are_refused(lookup: LookupProcess, destination: str) -> None:
    for event in (
        suppression_event("sms", destination),
        lift_suppression_event("sms", destination),
    ):
        error = _error(lookup.invoke(event), 400)
        assert error["code"] == "invalid_path_parameter"
        assert "destination" in error["message"]


@pytest.mark.parametrize("event", [suppression_event, lift_suppression_event])
def test_a_destination_of_spaces_is_400(lookup: LookupProcess, event: Any) -> None:
    error = _error(lookup.invoke(event("sms", "   ")), 400)

    assert error["code"] == "invalid_search"
    assert "spaces" in error["message"]


# ---- POST /v1/suppressions/check -----------------------------------------------------------


def test_a_check_answers_each_destination_in_the_order_asked(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)  # suppressed
    _unknown_subscriber(suppression_store, clock, "447700900123", transid="tx-lifted")
    _delivery(
        suppression_store, clock, "447700900123", at=FAILED_AT + timedelta(minutes=5)
    )  # lifted
    asked = [
        "447700900123",
        "+91 888 666 1353",
        "15550001111",  # never seen
        "918886661353",
        "tel:+91-888-666-1353",
    ]

    answer = _answer(
        lookup.invoke(suppression_check_event({"channel": "sms", "destinations": asked}))
    )

    assert answer["channel"] == "sms"
    results = answer["results"]
    assert [r["destination"] for r in results] == asked
    assert [r["normalised"] for r in results] == [
        "447700900123",
        PHONE,
        "15550001111",
        PHONE,
        PHONE,
    ]
    assert [r["suppressed"] for r in results] == [False, True, False, True, True]
    assert answer["suppressed"] == 3
    lifted, suppressed, unknown = results[0], results[1], results[2]
    assert (lifted["lifted_by"], lifted["transactionid"]) == ("delivery", "tx-delivered")
    assert (suppressed["reason"], suppressed["code"], suppressed["since"]) == (
        "invalid_address",
        7203,
        FAILED_AT_TEXT,
    )
    assert unknown == {
        "channel": "sms",
        "destination": "15550001111",
        "normalised": "15550001111",
        **NOT_SUPPRESSED,
    }
    # Each one as GET answers it.
    single = _answer(lookup.invoke(suppression_event("sms", "+91 888 666 1353")))
    assert results[1] == single


def test_a_check_of_exactly_100_destinations_is_answered(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    asked = [f"9100000{n:05d}" for n in range(100)]
    for n in (0, 42, 99):
        _unknown_subscriber(suppression_store, clock, asked[n], transid=f"tx-{n}")

    answer = _answer(
        lookup.invoke(suppression_check_event({"channel": "sms", "destinations": asked}))
    )

    assert [r["destination"] for r in answer["results"]] == asked
    assert answer["suppressed"] == 3
    assert [n for n, r in enumerate(answer["results"]) if r["suppressed"]] == [0, 42, 99]
    assert answer["results"][42]["transactionid"] == "tx-42"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"channel": "sms", "destinations": [f"9100000{n:05d}" for n in range(101)]}, "destin"),
        ({"channel": "sms", "destinations": []}, "destin"),
        ({"channel": "fax", "destinations": [PHONE]}, "channel"),
        ({"destinations": [PHONE]}, "channel"),
        ({"channel": "sms"}, "destin"),
        ({"channel": "sms", "destinations": PHONE}, "destin"),
        ({"channel": "sms", "destinations": [""]}, "destin"),
        ({"channel": "sms", "destinations": ["x" * 257]}, "destin"),
        ("not json", "JSON"),
        ('{"channel": "sms", "destinations": ["9188', "JSON"),
        ("", "body"),
    ],
    ids=[
        "101",
        "empty-list",
        "bad-channel",
        "no-channel",
        "no-destinations",
        "not-a-list",
        "empty-destination",
        "too-long-destination",
        "not-json",
        "cut-json",
        "no-body",
    ],
)
def test_a_check_body_is_checked(lookup: LookupProcess, body: object, named: str) -> None:
    error = _error(lookup.invoke(suppression_check_event(body)), 400)

    assert error["code"] == "invalid_request"
    assert named in error["message"]


def test_a_check_of_a_destination_of_spaces_is_400(lookup: LookupProcess) -> None:
    body = {"channel": "sms", "destinations": [PHONE, "   "]}

    error = _error(lookup.invoke(suppression_check_event(body)), 400)

    assert error["code"] == "invalid_request"
    assert "destinations.1" in error["message"]


@pytest.mark.parametrize("api_key", [None, "not-a-key"])
def test_a_check_needs_an_api_key_before_its_body_is_read(
    lookup: LookupProcess, api_key: str | None
) -> None:
    valid = suppression_check_event({"channel": "sms", "destinations": [PHONE]}, api_key=api_key)
    invalid = suppression_check_event("not json", api_key=api_key)

    assert _error(lookup.invoke(valid), 401)["code"] == "unauthorized"
    assert _error(lookup.invoke(invalid), 401)["code"] == "unauthorized"


# ---- DELETE /v1/suppressions/{channel}/{destination} ---------------------------------------


def test_an_operator_lifts_a_suppression(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    clock.advance(60)

    answer = _answer(lookup.invoke(lift_suppression_event("sms", "+91 888 666 1353")))

    lifted, now = answer["lifted"], answer["suppression"]
    assert (lifted["suppressed"], lifted["reason"], lifted["code"]) == (
        True,
        "invalid_address",
        7203,
    )
    assert (lifted["transactionid"], lifted["since"]) == ("tx-7203", FAILED_AT_TEXT)
    assert (lifted["destination"], lifted["normalised"]) == ("+91 888 666 1353", PHONE)
    assert now["suppressed"] is False
    assert (now["lifted_by"], now["lifted_at"]) == ("operator", _iso(clock.now))
    assert (now["reason"], now["since"], now["transactionid"]) == (None, None, None)
    # A following lookup shows it lifted, and the table holds the operator's verdict.
    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))
    assert (view["suppressed"], view["lifted_by"], view["lifted_at"]) == (
        False,
        "operator",
        _iso(clock.now),
    )
    stored = suppression_store.get(Channel.SMS, PHONE)
    assert stored is not None
    assert (stored.suppressed, stored.verdict.decided_by) == (False, "operator")


def test_a_second_lift_is_404_and_changes_nothing(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _complaint(suppression_store, clock)
    _answer(lookup.invoke(lift_suppression_event("email", EMAIL)))
    first = suppression_store.get(Channel.EMAIL, EMAIL)
    clock.advance(30)

    error = _error(lookup.invoke(lift_suppression_event("email", "Ops@Example.com")), 404)

    assert error["code"] == "not_suppressed"
    assert suppression_store.get(Channel.EMAIL, EMAIL) == first


def test_a_lift_of_a_destination_lifted_by_a_delivery_is_404(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    _delivery(suppression_store, clock, PHONE, at=FAILED_AT + timedelta(seconds=1))
    before = suppression_store.get(Channel.SMS, PHONE)

    error = _error(lookup.invoke(lift_suppression_event("sms", PHONE)), 404)

    assert error["code"] == "not_suppressed"
    assert suppression_store.get(Channel.SMS, PHONE) == before


def test_a_lift_of_a_destination_never_seen_is_404_and_stores_nothing(
    lookup: LookupProcess, suppression_store: SuppressionStore
) -> None:
    error = _error(lookup.invoke(lift_suppression_event("sms", PHONE)), 404)

    assert error["code"] == "not_suppressed"
    assert PHONE in error["message"]
    assert suppression_store.get(Channel.SMS, PHONE) is None


def test_an_older_failure_arriving_after_a_lift_leaves_it_lifted(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    lift_time = clock.now
    _answer(lookup.invoke(lift_suppression_event("sms", PHONE)))

    # A failure that happened before the lift, recovered late (the reconcile sweep).
    late = _unknown_subscriber(
        suppression_store, clock, transid="tx-late", at=lift_time - timedelta(milliseconds=1)
    )

    assert late is Move.UNCHANGED
    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))
    assert (view["suppressed"], view["lifted_by"]) == (False, "operator")


def test_a_failure_after_the_lift_suppresses_it_again(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _unknown_subscriber(suppression_store, clock)
    lift_time = clock.now
    _answer(lookup.invoke(lift_suppression_event("sms", PHONE)))
    # An operator's lift outranks every event of its second: the next second's failure wins.
    again_at = lift_time + timedelta(seconds=1)
    clock.advance(5)

    again = _unknown_subscriber(suppression_store, clock, transid="tx-again", at=again_at)

    assert again is Move.SUPPRESSED
    view = _answer(lookup.invoke(suppression_event("sms", PHONE)))
    assert (view["suppressed"], view["transactionid"], view["since"]) == (
        True,
        "tx-again",
        _iso(again_at),
    )
    assert (view["lifted_by"], view["lifted_at"]) == (None, None)


@pytest.mark.parametrize("api_key", [None, "not-a-key"])
def test_a_lift_needs_an_api_key(
    lookup: LookupProcess,
    suppression_store: SuppressionStore,
    clock: FakeClock,
    api_key: str | None,
) -> None:
    _unknown_subscriber(suppression_store, clock)

    response = lookup.invoke(lift_suppression_event("sms", PHONE, api_key=api_key))

    assert _error(response, 401)["code"] == "unauthorized"
    stored = suppression_store.get(Channel.SMS, PHONE)
    assert stored is not None and stored.suppressed


def test_a_lift_on_an_unknown_channel_is_400(lookup: LookupProcess) -> None:
    error = _error(lookup.invoke(lift_suppression_event("fax", PHONE)), 400)

    assert error["code"] == "invalid_request"
    assert "channel" in error["message"]


# ---- GET /v1/suppressions ------------------------------------------------------------------

SUPPRESSED_EMAILS = [f"user{n}@example.com" for n in range(7)]


def _email_list(store: SuppressionStore, clock: FakeClock) -> None:
    """7 suppressed email addresses, 2 lifted ones, and 1 suppressed SMS number."""
    for n, address in enumerate(SUPPRESSED_EMAILS):
        _complaint(store, clock, address, transid=f"tx-e{n}", at=FAILED_AT + timedelta(minutes=n))
    for n in range(2):
        address = f"lifted{n}@example.com"
        _complaint(store, clock, address, transid=f"tx-l{n}")
        _delivery(
            store,
            clock,
            address,
            channel=Channel.EMAIL,
            transid=f"tx-d{n}",
            at=FAILED_AT + timedelta(hours=1),
        )
    _unknown_subscriber(store, clock)


def _pages(lookup: LookupProcess, channel: str, limit: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    query = {"channel": channel, "limit": str(limit)}
    while True:
        page = _answer(lookup.invoke(suppression_list_event(**query)))
        pages.append(page)
        assert len(pages) <= 20, "the pages never end"
        if page["next"] is None:
            return pages
        query["next"] = page["next"]


def test_paging_a_channel_lists_each_suppressed_destination_once(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _email_list(suppression_store, clock)

    pages = _pages(lookup, "email", 3)

    items = [item for page in pages for item in page["items"]]
    assert sorted(item["normalised"] for item in items) == sorted(SUPPRESSED_EMAILS)
    assert len(items) == len(SUPPRESSED_EMAILS)
    assert all(len(page["items"]) <= 3 for page in pages)
    assert all((page["channel"], page["limit"]) == ("email", 3) for page in pages)
    for item in items:
        assert (item["channel"], item["suppressed"], item["reason"]) == (
            "email",
            True,
            "complaint",
        )
        assert item["destination"] == item["normalised"]
        n = SUPPRESSED_EMAILS.index(item["normalised"])
        assert item["transactionid"] == f"tx-e{n}"
        assert item["since"] == _iso(FAILED_AT + timedelta(minutes=n))


def test_one_page_can_hold_the_whole_list(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _email_list(suppression_store, clock)

    page = _answer(lookup.invoke(suppression_list_event(channel="email", limit="100")))

    assert sorted(item["normalised"] for item in page["items"]) == sorted(SUPPRESSED_EMAILS)
    assert page["next"] is None


def test_the_default_page_is_50(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _email_list(suppression_store, clock)

    page = _answer(lookup.invoke(suppression_list_event(channel="sms")))

    assert page["limit"] == 50
    assert [item["normalised"] for item in page["items"]] == [PHONE]
    assert page["next"] is None


def test_an_operator_lift_takes_a_destination_off_the_list(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _email_list(suppression_store, clock)
    _answer(lookup.invoke(lift_suppression_event("email", "User3@Example.com")))

    items = [item for page in _pages(lookup, "email", 2) for item in page["items"]]

    assert sorted(item["normalised"] for item in items) == sorted(
        address for address in SUPPRESSED_EMAILS if address != "user3@example.com"
    )


def test_a_channel_with_no_suppressions_lists_nothing(lookup: LookupProcess) -> None:
    page = _answer(lookup.invoke(suppression_list_event(channel="push", limit="3")))

    assert page == {"channel": "push", "items": [], "next": None, "limit": 3}


def _token(document: object) -> str:
    raw = json.dumps(document).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(token: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _numbers_in_one_shard(count: int) -> list[str]:
    """SMS numbers whose registers share one write shard (so a page can stop inside it)."""
    by_shard: dict[int, list[str]] = {}
    for n in range(1000):
        number = f"9100000{n:05d}"
        found = by_shard.setdefault(keys.shard_of(number), [])
        found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("no shard holds that many numbers")


def _sms_token_inside_a_shard(
    lookup: LookupProcess, store: SuppressionStore, clock: FakeClock
) -> str:
    """A page token of the SMS list that stopped inside a shard: it names an index position."""
    for n, number in enumerate(_numbers_in_one_shard(3)):
        _unknown_subscriber(store, clock, number, transid=f"tx-{n}")
    page = _answer(lookup.invoke(suppression_list_event(channel="sms", limit="1")))
    token: str = page["next"]
    assert token
    assert _untoken(token)["after"] is not None
    return token


def test_a_tampered_next_is_400(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    token = _sms_token_inside_a_shard(lookup, suppression_store, clock)
    decoded = _untoken(token)
    # The token as given is good.
    _answer(lookup.invoke(suppression_list_event(channel="sms", limit="1", **{"next": token})))

    def changed(**changes: Any) -> str:
        document = json.loads(json.dumps(decoded))
        document.update(changes)
        return _token(document)

    since, number = decoded["after"]
    for tampered in (
        "garbage!",
        "bm90IGpzb24",  # base64 of "not json"
        token[:-6],
        _token(None),
        _token([decoded["shard"], decoded["after"]]),
        _token({"channel": "sms", "shard": 0, "after": None, "extra": 1}),
        _token("[" * 1200),  # nesting no parser should walk
        "WwWWW" * 700,
        changed(shard=keys.WRITE_SHARDS),
        changed(shard=-1),
        changed(shard="0"),
        changed(shard=True),
        changed(channel="email"),
        changed(channel=None),
        changed(after=[since]),
        changed(after=[since, number, "x"]),
        changed(after={"since": since, "destination": number}),
        changed(after=[since, 918886661353]),
        changed(after=["yesterday", number]),
        changed(after=[since + "0", number]),
        changed(after=[since, ""]),
        changed(after=[since, "+91 888 666 1353"]),  # a spelling, not the stored form
        changed(after=[since, "9" * 2100]),  # longer than any register's key
        changed(after=[since, "\ud800"]),
    ):
        response = lookup.invoke(
            suppression_list_event(channel="sms", limit="1", **{"next": tampered})
        )
        assert _error(response, 400)["code"] == "invalid_next_token", tampered


def test_a_next_between_shards_is_refused_on_another_channels_list(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    # A page that ends where a shard's query ran out names no position, only the next shard:
    # the channel in the token still ties it to its own list.
    _email_list(suppression_store, clock)
    between = _token({"channel": "sms", "shard": 2, "after": None})
    own = _token({"channel": "email", "shard": 2, "after": None})

    refused = lookup.invoke(suppression_list_event(channel="email", limit="3", **{"next": between}))
    accepted = lookup.invoke(suppression_list_event(channel="email", limit="3", **{"next": own}))

    assert _error(refused, 400)["code"] == "invalid_next_token"
    assert _answer(accepted)["channel"] == "email"


def test_a_next_from_another_channels_list_is_400(
    lookup: LookupProcess, suppression_store: SuppressionStore, clock: FakeClock
) -> None:
    _email_list(suppression_store, clock)
    token = _sms_token_inside_a_shard(lookup, suppression_store, clock)

    response = lookup.invoke(suppression_list_event(channel="email", limit="3", **{"next": token}))

    assert _error(response, 400)["code"] == "invalid_next_token"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({}, "channel"),
        ({"channel": "fax"}, "channel"),
        ({"channel": "email", "limit": "0"}, "limit"),
        ({"channel": "email", "limit": "101"}, "limit"),
        ({"channel": "email", "limit": "ten"}, "limit"),
        ({"channel": "email", "next": ""}, "next"),
    ],
    ids=["no-channel", "bad-channel", "limit-0", "limit-101", "limit-word", "empty-next"],
)
def test_list_queries_are_checked(lookup: LookupProcess, query: dict[str, str], named: str) -> None:
    error = _error(lookup.invoke(suppression_list_event(**query)), 400)

    assert error["code"] == "invalid_request"
    assert named in error["message"]


@pytest.mark.parametrize("api_key", [None, "not-a-key"])
def test_a_list_needs_an_api_key(
    lookup: LookupProcess,
    suppression_store: SuppressionStore,
    clock: FakeClock,
    api_key: str | None,
) -> None:
    _email_list(suppression_store, clock)

    response = lookup.invoke(suppression_list_event(api_key=api_key, channel="email"))

    assert _error(response, 401)["code"] == "unauthorized"
    assert "example.com" not in response["body"]


# ---- the document ----------------------------------------------------------------------------


def test_the_document_describes_the_four_suppression_operations(lookup: LookupProcess) -> None:
    document = _answer(lookup.invoke(openapi_event()))
    paths = document["paths"]

    one = paths["/v1/suppressions/{channel}/{destination}"]
    operations = {
        "getSuppression": one["get"],
        "liftSuppression": one["delete"],
        "checkSuppressions": paths["/v1/suppressions/check"]["post"],
        "listSuppressions": paths["/v1/suppressions"]["get"],
    }
    for operation_id, operation in operations.items():
        assert operation["operationId"] == operation_id
        assert operation["security"] == [{"ApiKey": []}]
        assert {"200", "400", "401"} <= set(operation["responses"])
    assert "404" in operations["liftSuppression"]["responses"]
    assert {p["name"] for p in one["get"]["parameters"]} == {"channel", "destination"}
    listed = {p["name"]: p["required"] for p in operations["listSuppressions"]["parameters"]}
    assert listed == {"channel": True, "limit": False, "next": False}
    assert "ApiKey" in document["components"]["securitySchemes"]


def test_a_destination_the_table_cannot_hold_is_400(lookup: LookupProcess) -> None:
    # A lone surrogate, escaped in the JSON body: valid JSON, no UTF-8 text.
    body = '{"channel": "sms", "destinations": ["918886661353", "\\ud800"]}'

    response = lookup.invoke(suppression_check_event(body))

    assert _error(response, 400)["code"] == "invalid_request"
    one = lookup.invoke(suppression_event("sms", "\ud800"))
    assert _error(one, 400)["code"] in {"invalid_request", "invalid_search"}
