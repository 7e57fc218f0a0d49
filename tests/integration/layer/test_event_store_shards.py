"""Write-sharded keys under moto: every shard is read, merged in order, paged exactly once."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.layer.test_event_store import RECEIVED, callback

from receipts.models.callback import parse_callback
from receipts.storage import EventStore, keys
from receipts.storage.event_store import InvalidCursorError, SearchMatch
from receipts.storage.search_cursor import After, SearchIdentity, encode_cursor

CAMPAIGN = "campaign-42"
CORRELATION_SEARCH = SearchIdentity(keys.CORRELATION_INDEX, keys.correlation_key(CAMPAIGN, 0))
TRANSIDS = [f"tx-{n}" for n in range(12)]


def store_event(
    store: EventStore,
    transid: str,
    minute: int,
    *,
    sample: str = "01-sms-submitted",
    correlationid: str = CAMPAIGN,
    second: int = 0,
) -> bool:
    event = parse_callback(
        callback(
            sample,
            transid=transid,
            correlationid=correlationid,
            timeStamp=f"2024-05-01T10:{minute:02d}:{second:02d}.000Z",
        )
    )
    return store.put_event(event, received_at=RECEIVED)


def store_legacy_event(
    dynamodb_client: Any,
    table: str,
    store: EventStore,
    transid: str,
    minute: int,
    *,
    sample: str = "01-sms-submitted",
) -> None:
    """An event as the release before sharding wrote it: unsharded keys, whatever its shard."""
    event = parse_callback(
        callback(
            sample,
            transid=transid,
            correlationid=CAMPAIGN,
            timeStamp=f"2024-05-01T10:{minute:02d}:00.000Z",
        )
    )
    item = store.event_item(event, received_at=RECEIVED, gtrid=None)
    item[keys.CORRELATION_KEY] = {"S": f"CORR#{CAMPAIGN}"}
    item["open_key"] = {"S": f"OPEN#{RECEIVED.date().isoformat()}"}
    dynamodb_client.put_item(TableName=table, Item=item)


def every_page(store: EventStore, *, limit: int, **search: str) -> list[list[SearchMatch]]:
    pages = []
    cursor: str | None = None
    while True:
        page = store.search(limit=limit, cursor=cursor, **search)
        assert len(page.matches) <= limit
        pages.append(page.matches)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 200, "the pages never end"


def newest_first(matches: list[SearchMatch]) -> bool:
    order = [(match.occurred_at, match.transid) for match in matches]
    return order == sorted(order, reverse=True)


def test_the_sample_transactions_are_spread_over_several_shards() -> None:
    # What the tests below rely on to cross shards.
    assert len({keys.shard_of(transid) for transid in TRANSIDS}) >= 8


def test_a_campaign_spread_over_shards_is_found_newest_first(event_store: EventStore) -> None:
    for minute, transid in enumerate(TRANSIDS):
        store_event(event_store, transid, minute)

    page = event_store.search(correlationid=CAMPAIGN, limit=50)

    assert [match.transid for match in page.matches] == TRANSIDS[::-1]
    assert {match.correlationid for match in page.matches} == {CAMPAIGN}
    assert page.next_cursor is None


def test_events_are_written_under_their_transactions_shard(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    store_event(event_store, "tx-3", 1)
    store_event(event_store, "tx-3", 2, sample="02-sms-delivered")

    items = dynamodb_client.scan(TableName=events_table)["Items"]

    shard = keys.shard_of("tx-3")
    assert shard != 0
    assert {item[keys.CORRELATION_KEY]["S"] for item in items} == {f"CORR.{shard}#{CAMPAIGN}"}
    # Only the submitted event is still open.
    assert [item["open_key"]["S"] for item in items if "open_key" in item] == [
        f"OPEN.{shard}#{keys.arrival_bucket(RECEIVED)}"
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_pages_return_every_event_once_in_order(event_store: EventStore, limit: int) -> None:
    for minute, transid in enumerate(TRANSIDS):
        store_event(event_store, transid, minute)
        store_event(event_store, transid, minute, sample="02-sms-delivered", second=30)

    pages = every_page(event_store, limit=limit, correlationid=CAMPAIGN)

    found = [(m.transid, m.status.value) for page in pages for m in page]
    assert len(found) == 2 * len(TRANSIDS) == len(set(found))
    assert newest_first([match for page in pages for match in page])
    assert all(len(page) == limit for page in pages[:-1])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(TRANSIDS),
            st.integers(min_value=0, max_value=5),
            st.sampled_from(["01-sms-submitted", "02-sms-delivered", "04-sms-failed"]),
        ),
        max_size=14,
    ),
    limit=st.sampled_from([1, 2, 3, 7]),
)
def test_any_campaign_pages_every_event_once_newest_first(
    event_store: EventStore, events: list[tuple[str, int, str]], limit: int
) -> None:
    # One table for every example: each example searches a campaign of its own.
    campaign = f"campaign-{next(_EXAMPLES)}"
    stored = {
        (transid, minute, sample)
        for transid, minute, sample in events
        if store_event(event_store, transid, minute, sample=sample, correlationid=campaign)
    }

    pages = every_page(event_store, limit=limit, correlationid=campaign)
    matches = [match for page in pages for match in page]

    assert sorted((m.transid, m.occurred_at.minute, m.status.value) for m in matches) == sorted(
        (transid, minute, _STATUS_OF[sample]) for transid, minute, sample in stored
    )
    assert newest_first(matches)
    assert all(len(page) == limit for page in pages[:-1])


_EXAMPLES = itertools.count()
_STATUS_OF = {
    "01-sms-submitted": "submitted",
    "02-sms-delivered": "delivered",
    "04-sms-failed": "failed",
}


def test_events_stored_before_sharding_are_found_in_order(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    legacy = [transid for transid in TRANSIDS if keys.shard_of(transid) != 0][:3]
    for minute, transid in enumerate(legacy):
        store_legacy_event(dynamodb_client, events_table, event_store, transid, minute * 2)
    for minute, transid in enumerate(TRANSIDS[6:]):
        store_event(event_store, transid, minute * 2 + 1)

    pages = every_page(event_store, limit=2, correlationid=CAMPAIGN)
    matches = [match for page in pages for match in page]

    assert sorted(m.transid for m in matches) == sorted(legacy + TRANSIDS[6:])
    assert newest_first(matches)
    assert set(legacy) <= set(event_store.open_transactions(RECEIVED.date().isoformat()))


TIED_SAMPLES = ["01-sms-submitted", "02-sms-delivered", "04-sms-failed"]


@pytest.mark.parametrize("limit", [1, 2])
def test_events_of_one_transaction_at_one_instant_are_paged_exactly_once(
    event_store: EventStore, limit: int
) -> None:
    # Equal match_sort values: a page may end between them, and the token holds only the
    # last one returned, so the next page must resume inside the tie.
    tied = TRANSIDS[3:6]
    for minute, transid in enumerate(TRANSIDS[:8]):
        for sample in TIED_SAMPLES if transid in tied else TIED_SAMPLES[:1]:
            assert store_event(event_store, transid, minute, sample=sample)

    pages = every_page(event_store, limit=limit, correlationid=CAMPAIGN)
    found = [(m.transid, m.status.value) for page in pages for m in page]

    assert len(found) == len(set(found)) == 8 + 2 * len(tied)
    assert {status for transid, status in found if transid in tied} == {
        "submitted",
        "delivered",
        "failed",
    }
    assert newest_first([match for page in pages for match in page])
    assert all(len(page) == limit for page in pages[:-1])


@pytest.mark.parametrize("limit", [1, 2])
def test_tied_events_stored_before_sharding_are_paged_exactly_once(
    event_store: EventStore, dynamodb_client: Any, events_table: str, limit: int
) -> None:
    # Stored before sharding, a transaction's events are in shard 0 whatever its own shard:
    # a tie that a page splits must resume there too.
    transid = next(transid for transid in TRANSIDS if keys.shard_of(transid) != 0)
    for sample in TIED_SAMPLES:
        store_legacy_event(dynamodb_client, events_table, event_store, transid, 5, sample=sample)
    for minute, other in enumerate(t for t in TRANSIDS if t != transid):
        store_event(event_store, other, minute)

    pages = every_page(event_store, limit=limit, correlationid=CAMPAIGN)
    found = [(m.transid, m.status.value) for page in pages for m in page]

    assert len(found) == len(set(found)) == len(TRANSIDS) - 1 + len(TIED_SAMPLES)
    assert sorted(status for tx, status in found if tx == transid) == sorted(
        _STATUS_OF[sample] for sample in TIED_SAMPLES
    )
    assert newest_first([match for page in pages for match in page])


def test_a_destination_search_pages_through_the_same_token(event_store: EventStore) -> None:
    for minute, transid in enumerate(TRANSIDS[:5]):
        store_event(event_store, transid, minute)

    pages = every_page(event_store, limit=2, destination="918886661353")

    assert [[m.transid for m in page] for page in pages] == [
        ["tx-4", "tx-3"],
        ["tx-2", "tx-1"],
        ["tx-0"],
    ]


def test_the_token_of_one_position_is_always_the_same_string(event_store: EventStore) -> None:
    for minute, transid in enumerate(TRANSIDS):
        store_event(event_store, transid, minute)

    first = event_store.search(correlationid=CAMPAIGN, limit=3).next_cursor
    again = event_store.search(correlationid=CAMPAIGN, limit=3).next_cursor
    assert first is not None and first == again
    following = event_store.search(correlationid=CAMPAIGN, limit=3, cursor=first).next_cursor
    assert (
        following == event_store.search(correlationid=CAMPAIGN, limit=3, cursor=first).next_cursor
    )
    assert following != first
    assert "=" not in first and "+" not in first and "/" not in first


def test_every_page_queries_every_shard_once(dynamodb_client: Any, events_table: str) -> None:
    # The cost of one global position: any shard may hold the next event, so each is asked
    # on every page (an empty answer is half a read unit). Only the shards that may hold
    # the position's transaction resume from a start key; the others read what is older.
    recorded = _RecordedQueries(dynamodb_client)
    store = EventStore(recorded, events_table)  # type: ignore[arg-type]
    for minute, transid in enumerate(TRANSIDS):
        store_event(store, transid, minute)

    cursor: str | None = None
    pages = 0
    while True:
        recorded.requests.clear()
        page = store.search(correlationid=CAMPAIGN, limit=4, cursor=cursor)
        pages += 1
        partitions = [r["ExpressionAttributeValues"][":key"]["S"] for r in recorded.requests]
        assert sorted(partitions) == sorted(keys.correlation_keys(CAMPAIGN))
        resumed = [r for r in recorded.requests if "ExclusiveStartKey" in r]
        older = [r for r in recorded.requests if ":after" in r["ExpressionAttributeValues"]]
        if cursor is None:
            assert resumed == older == []
        else:
            transid = resumed[0]["ExclusiveStartKey"]["pk"]["S"].removeprefix("TX#")
            assert {r["ExpressionAttributeValues"][":key"]["S"] for r in resumed} == {
                keys.correlation_key(CAMPAIGN, 0),
                keys.correlation_key(CAMPAIGN, keys.shard_of(transid)),
            }
            assert len(resumed) + len(older) == keys.WRITE_SHARDS
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3


def test_the_shards_are_queried_side_by_side(dynamodb_client: Any, events_table: str) -> None:
    slow = _SlowQueries(dynamodb_client)
    store = EventStore(slow, events_table)  # type: ignore[arg-type]
    for minute, transid in enumerate(TRANSIDS):
        store_event(store, transid, minute)

    assert len(store.search(correlationid=CAMPAIGN, limit=50).matches) == len(TRANSIDS)
    assert slow.queries == keys.WRITE_SHARDS
    assert slow.most_at_once > 1


def test_a_shard_answering_short_never_lets_older_events_overtake(
    dynamodb_client: Any, events_table: str
) -> None:
    # DynamoDB may end a page early (1 MB) with more to come: what that shard did not yet
    # return may be newer than the other shards' answers.
    short = _ShortAnswers(dynamodb_client)
    store = EventStore(short, events_table)  # type: ignore[arg-type]
    for minute, transid in enumerate(TRANSIDS):
        store_event(store, transid, minute)
        store_event(store, transid, minute, sample="02-sms-delivered", second=30)

    pages = every_page(store, limit=5, correlationid=CAMPAIGN)
    matches = [match for page in pages for match in page]

    assert short.shortened > 0
    assert all(page for page in pages)
    assert len(matches) == 2 * len(TRANSIDS)
    assert len({(m.transid, m.status) for m in matches}) == len(matches)
    assert newest_first(matches)


# ---- tokens that are refused ----------------------------------------------------------------


@pytest.fixture
def cursor(event_store: EventStore) -> str:
    for minute, transid in enumerate(TRANSIDS):
        store_event(event_store, transid, minute)
    issued = event_store.search(correlationid=CAMPAIGN, limit=3).next_cursor
    assert issued is not None
    return issued


def test_a_token_with_any_character_changed_is_refused(
    event_store: EventStore, cursor: str
) -> None:
    # The issued token itself works.
    assert event_store.search(correlationid=CAMPAIGN, limit=3, cursor=cursor).matches
    for index, character in enumerate(cursor):
        for replacement in {"A", "_"} - {character}:
            changed = cursor[:index] + replacement + cursor[index + 1 :]
            with pytest.raises(InvalidCursorError):
                event_store.search(correlationid=CAMPAIGN, limit=3, cursor=changed)


@pytest.mark.parametrize(
    "search",
    [{"correlationid": "another-campaign"}, {"destination": "918886661353"}],
    ids=["another-correlation-id", "a-destination"],
)
def test_a_token_of_another_search_is_refused(
    event_store: EventStore, cursor: str, search: dict[str, str]
) -> None:
    with pytest.raises(InvalidCursorError):
        event_store.search(limit=3, cursor=cursor, **search)


def test_a_destination_token_is_refused_by_a_correlation_search(event_store: EventStore) -> None:
    for minute, transid in enumerate(TRANSIDS[:3]):
        store_event(event_store, transid, minute)
    issued = event_store.search(destination="918886661353", limit=1).next_cursor
    assert issued is not None

    with pytest.raises(InvalidCursorError):
        event_store.search(correlationid=CAMPAIGN, limit=1, cursor=issued)


def _after(transid: str = "tx-1", **changes: str) -> After:
    position = After(
        match_sort=f"2024-05-01T10:01:00.000Z#{transid}",
        sk="EV#2024-05-01T10:01:00.000Z#submitted#abc",
    )
    return position._replace(**changes)


def _token(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def _edited(token: str, old: str, new: str) -> str:
    """A token whose JSON has ``old`` replaced by ``new`` (its digest left as it was)."""
    text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    assert old in text
    return _token(text.replace(old, new).encode())


def _canonical(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


ISSUED = encode_cursor(CORRELATION_SEARCH, _after())
VALID_POSITION = list(_after())

FORGED = {
    "no digest": _token(_canonical({"after": VALID_POSITION, "v": 1})),
    "made-up digest": _token(_canonical({"after": VALID_POSITION, "digest": "0" * 32, "v": 1})),
    "another version": _edited(ISSUED, '"v":1', '"v":2'),
    "the version spelled true": _edited(ISSUED, '"v":1', '"v":true'),
    "the version spelled 1.0": _edited(ISSUED, '"v":1', '"v":1.0'),
    "another JSON spelling": _edited(ISSUED, '"v":1', '"v": 1'),
    "an extra field": _edited(ISSUED, '"v":1', '"v":1,"w":0'),
    "another position": _edited(ISSUED, "10:01:00.000Z#tx-1", "10:02:00.000Z#tx-1"),
    "not an event sort key": encode_cursor(CORRELATION_SEARCH, _after(sk="STATUS")),
    "a sort key too long for DynamoDB": encode_cursor(
        CORRELATION_SEARCH, _after(sk="EV#" + "x" * 1100)
    ),
    "not a time": encode_cursor(CORRELATION_SEARCH, _after(match_sort="yesterday#tx-1")),
    "no transid": encode_cursor(CORRELATION_SEARCH, _after(match_sort="2024-05-01T10:01:00.000Z#")),
    "not a position": encode_cursor(CORRELATION_SEARCH, After(1, 2)),  # type: ignore[arg-type]
    "an escaped lone surrogate": _edited(ISSUED, "#tx-1", "#tx-1\\ud800"),
    "nested too deep to read": _token(b"[" * 3000),
    "the earlier release's token": base64.urlsafe_b64encode(
        json.dumps(
            {
                "pk": {"S": "TX#tx-1"},
                "sk": {"S": "EV#x"},
                "correlation_key": {"S": f"CORR#{CAMPAIGN}"},
                "match_sort": {"S": "2024-05-01T10:01:00.000Z#tx-1"},
            }
        ).encode()
    ).decode(),
    "a digest with a letter beyond ASCII": _token(
        json.dumps(
            {"after": VALID_POSITION, "digest": "é" * 32, "v": 1},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ),
    "a time in other digits": encode_cursor(
        CORRELATION_SEARCH, _after(match_sort="٢٠٢٤-05-01T10:01:00.000Z#tx-1")
    ),
    "padded": ISSUED + "==",
    "too long": "A" * 10_000,
}


@pytest.mark.parametrize("token", FORGED.values(), ids=FORGED.keys())
def test_a_forged_token_is_refused(event_store: EventStore, token: str) -> None:
    with pytest.raises(InvalidCursorError):
        event_store.search(correlationid=CAMPAIGN, limit=3, cursor=token)


def test_a_well_formed_token_is_accepted(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    # The refusals above are for what they changed, not for the way the tokens were built.
    store_event(event_store, "tx-1", 1)
    store_event(event_store, "tx-2", 2)
    (newest,) = [
        item
        for item in dynamodb_client.scan(TableName=events_table)["Items"]
        if item["pk"]["S"] == "TX#tx-2"
    ]
    position = After(newest["match_sort"]["S"], newest["sk"]["S"])
    assert position.pk == newest["pk"]["S"]

    page = event_store.search(
        correlationid=CAMPAIGN, limit=3, cursor=encode_cursor(CORRELATION_SEARCH, position)
    )

    # tx-2's shard resumes after tx-2; every other shard reads what is older.
    assert [match.transid for match in page.matches] == ["tx-1"]


def _long_transid(seed: str) -> str:
    """A 256-character transid, the longest the model accepts, that compresses poorly."""
    return base64.urlsafe_b64encode(hashlib.shake_256(seed.encode()).digest(192)).decode()


def test_a_token_stays_small_with_the_longest_transids(event_store: EventStore) -> None:
    older, newer = _long_transid("older"), _long_transid("newer")
    assert len(older) == len(newer) == 256
    store_event(event_store, older, 1, sample="02-sms-delivered")
    store_event(event_store, newer, 2, sample="02-sms-delivered")

    first = event_store.search(correlationid=CAMPAIGN, limit=1)
    assert [match.transid for match in first.matches] == [newer]
    assert first.next_cursor is not None
    assert len(first.next_cursor) < 600
    # The token works: it leads to the other event and no further.
    second = event_store.search(correlationid=CAMPAIGN, limit=1, cursor=first.next_cursor)
    assert [match.transid for match in second.matches] == [older]
    assert (
        second.next_cursor is None
        or not event_store.search(
            correlationid=CAMPAIGN, limit=1, cursor=second.next_cursor
        ).matches
    )


@pytest.mark.parametrize(
    "position",
    [
        # Three UTF-8 bytes a character, 256 characters: the token grows by bytes.
        After("2024-05-01T10:01:07.123Z#" + "\u20ac" * 256, "EV#2024-05-01T10:01:07.123Z#x"),
        # Both sort keys at DynamoDB's limit of 1024 bytes: the largest position there is.
        After("2024-05-01T10:01:07.123Z#" + "x" * 999, "EV#" + "y" * 1021),
    ],
    ids=["non-ascii-transid", "largest-keys"],
)
def test_the_token_of_any_storable_position_is_accepted(
    event_store: EventStore, position: After
) -> None:
    token = encode_cursor(CORRELATION_SEARCH, position)

    assert len(token) < 3000
    # Accepted (it decodes to a position), though nothing of this campaign is stored.
    assert event_store.search(correlationid=CAMPAIGN, limit=1, cursor=token).matches == []


# ---- the open index and the quarantine ------------------------------------------------------


def test_open_transactions_are_found_in_every_shard(event_store: EventStore) -> None:
    for minute, transid in enumerate(TRANSIDS):
        store_event(event_store, transid, minute)
    store_event(event_store, "tx-0", 0, sample="02-sms-delivered")

    bucket = keys.arrival_bucket(RECEIVED)
    assert event_store.open_transactions(bucket, limit=2) == sorted(TRANSIDS)
    assert event_store.open_transactions(keys.next_bucket(bucket)) == []


def test_the_quarantine_of_a_day_is_read_from_every_shard_in_order(
    event_store: EventStore, dynamodb_client: Any, events_table: str
) -> None:
    request_ids = [f"req-{n}" for n in range(10)]
    assert len({keys.shard_of(request_id) for request_id in request_ids}) > 3
    kept = [
        event_store.quarantine(
            body=f"body {n}".encode(),
            received_at=RECEIVED + timedelta(seconds=(n * 7) % 10),
            request_id=request_id,
            reason="body is not valid JSON",
            error_code="invalid_json",
            field=None,
            headers={},
        )
        for n, request_id in enumerate(request_ids)
    ]
    # One body as the release before sharding kept it.
    legacy_id = next(f"old-{n}" for n in itertools.count() if keys.shard_of(f"old-{n}") != 0)
    legacy_item = {
        "pk": {"S": f"QUARANTINE#{RECEIVED.date().isoformat()}"},
        "sk": {"S": keys.quarantine_sort_key(RECEIVED, legacy_id)},
        "received_at": {"S": RECEIVED.isoformat()},
        "reason": {"S": "body is not valid JSON"},
        "error_code": {"S": "invalid_json"},
        "headers": {"M": {}},
        "body": {"B": b"old"},
    }
    dynamodb_client.put_item(TableName=events_table, Item=legacy_item)

    listed = event_store.list_quarantine(RECEIVED.date().isoformat())

    assert [body.sort_key for body in listed] == sorted(
        [body.sort_key for body in kept] + [legacy_item["sk"]["S"]]
    )
    assert {body.day for body in listed} == {RECEIVED.date().isoformat()}
    assert [body for body in listed if body.body != b"old"] == sorted(
        kept, key=lambda body: body.sort_key
    )
    assert event_store.list_quarantine("2026-11-24") == []


# ---- clients that show how the store reads ---------------------------------------------------


class _RecordedQueries:
    """The real client, keeping every query request."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **request: Any) -> Any:
        with self._lock:
            self.requests.append(request)
        return self._client.query(**request)


class _SlowQueries:
    """The real client, but each query takes 20 ms longer; counts queries in flight."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._in_flight = 0
        self.queries = 0
        self.most_at_once = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **request: Any) -> Any:
        with self._lock:
            self.queries += 1
            self._in_flight += 1
            self.most_at_once = max(self.most_at_once, self._in_flight)
        try:
            time.sleep(0.02)
            return self._client.query(**request)
        finally:
            with self._lock:
                self._in_flight -= 1


class _ShortAnswers:
    """The real client, but an index query answering more than one item returns only the
    first, with a LastEvaluatedKey, as DynamoDB does when a page reaches 1 MB."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.shortened = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **request: Any) -> Any:
        answer: dict[str, Any] = self._client.query(**request)
        items = answer.get("Items", [])
        if "IndexName" not in request or len(items) < 2:
            return answer
        with self._lock:
            self.shortened += 1
        first = items[0]
        start = {name: first[name] for name in ("pk", "sk", "correlation_key", "match_sort")}
        return {**answer, "Items": [first], "LastEvaluatedKey": start}
