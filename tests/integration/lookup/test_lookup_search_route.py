"""GET /v1/transactions?destination=|correlationid=: newest first, paginated, against moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import body_of, search_event

DESTINATION = "918886661353"
OTHER_DESTINATION = "910000000001"


def _store_sends(store_callback: Callable[..., None], count: int) -> list[str]:
    """``count`` SMS sends to one destination, a minute apart, each submitted then delivered."""
    transids = []
    for minute in range(count):
        transid = f"tx-{minute:02d}"
        correlationid = "campaign-even" if minute % 2 == 0 else "campaign-odd"
        for sample, second in (("01-sms-submitted", 1), ("02-sms-delivered", 4)):
            store_callback(
                sample,
                transid=transid,
                correlationid=correlationid,
                timeStamp=f"2024-05-01T10:{minute:02d}:0{second}.000Z",
            )
        transids.append(transid)
    store_callback("03-sms-un-delivered", transid="tx-elsewhere")
    return transids


def _pages(lookup: LookupProcess, **query: str) -> list[dict[str, Any]]:
    pages = []
    token: str | None = None
    while True:
        params = dict(query, **({"next": token} if token else {}))
        response = lookup.invoke(search_event(**params))
        assert response["statusCode"] == 200, response["body"]
        page = body_of(response)
        pages.append(page)
        token = page["next"]
        if not token:
            return pages


def test_a_destination_search_is_newest_first_and_grouped_by_transaction(
    lookup: LookupProcess, store_callback: Callable[..., None], fake_vendor: FakeVendorStatusApi
) -> None:
    _store_sends(store_callback, 3)

    page = body_of(lookup.invoke(search_event(destination=DESTINATION)))

    assert [item["transactionid"] for item in page["items"]] == ["tx-02", "tx-01", "tx-00"]
    newest = page["items"][0]
    assert newest["status"] == "delivered"
    assert newest["channel"] == "sms"
    assert newest["destination"] == DESTINATION
    assert newest["last_event_at"] == "2024-05-01T10:02:04.000Z"
    assert [event["status"] for event in newest["events"]] == ["delivered", "submitted"]
    assert page["next"] is None
    assert page["limit"] == 20
    assert fake_vendor.request_count == 0


def test_pages_cover_every_event_once_in_order(
    lookup: LookupProcess, store_callback: Callable[..., None]
) -> None:
    _store_sends(store_callback, 7)

    pages = _pages(lookup, destination=DESTINATION, limit="3")

    events = [
        (item["transactionid"], event["occurred_at"])
        for page in pages
        for item in page["items"]
        for event in item["events"]
    ]
    assert len(events) == 14 == len(set(events))
    assert [occurred for _, occurred in events] == sorted(
        (occurred for _, occurred in events), reverse=True
    )
    assert all(sum(len(item["events"]) for item in page["items"]) <= 3 for page in pages)
    assert len(pages) == 5


def test_a_correlation_id_search_finds_only_its_campaign(
    lookup: LookupProcess, store_callback: Callable[..., None]
) -> None:
    _store_sends(store_callback, 4)

    page = body_of(lookup.invoke(search_event(correlationid="campaign-odd")))

    assert [item["transactionid"] for item in page["items"]] == ["tx-03", "tx-01"]
    assert {item["correlationid"] for item in page["items"]} == {"campaign-odd"}


def test_a_destination_with_no_messages_is_an_empty_page(lookup: LookupProcess) -> None:
    page = body_of(lookup.invoke(search_event(destination="919999999999")))

    assert page == {"items": [], "next": None, "limit": 20}


def _token(**key: str) -> str:
    return base64.urlsafe_b64encode(
        json.dumps({name: {"S": value} for name, value in key.items()}).encode()
    ).decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        _token(
            pk="TX#x", sk="EV#x", destination_key=f"DEST#{OTHER_DESTINATION}", destination_sort="x"
        ),
        _token(destination_key=f"DEST#{DESTINATION}"),
    ],
    ids=["garbage", "not-a-key", "another-search", "incomplete-key"],
)
def test_a_token_this_search_did_not_issue_is_400(
    lookup: LookupProcess, store_callback: Callable[..., None], token: str
) -> None:
    _store_sends(store_callback, 2)

    response = lookup.invoke(search_event(destination=DESTINATION, next=token))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_next_token"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"destination": DESTINATION, "correlationid": "campaign-odd"},
        {"destination": DESTINATION, "limit": "0"},
        {"destination": DESTINATION, "limit": "101"},
        {"destination": DESTINATION, "limit": "ten"},
        {"destination": ""},
    ],
    ids=["no-key", "two-keys", "limit-0", "limit-101", "limit-text", "empty-destination"],
)
def test_a_malformed_search_is_400_without_touching_the_table(
    lookup: LookupProcess, query: dict[str, str]
) -> None:
    response = lookup.invoke(search_event(**query))

    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] in {"invalid_search", "invalid_request"}
    assert lookup.store.calls == []
