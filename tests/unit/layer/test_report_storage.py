"""The reports' items: tallies stored and read back unchanged, counters' expiry, and how a
cancelled write is told apart (a race to retry, a refusal to leave out, a fault)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from receipts.aggregates.tally import CAMPAIGN, DAY, AggregateKey, Tally, fold
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage import StoreUnavailableError
from receipts.storage.aggregates import (
    AggregateStore,
    TallyChange,
    UnstorableWriteError,
    day_counters_expire_at,
    stored_tally_from_item,
    tally_item,
)
from receipts.storage.event_store import EventSummary

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

summaries = st.builds(
    EventSummary,
    status=st.sampled_from(list(DeliveryStatus)),
    origin=st.sampled_from(list(EventOrigin)),
    occurred_at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    received_at=st.just(T0),
    code=st.one_of(st.none(), st.integers(min_value=0, max_value=99999)),
    channel=st.sampled_from(list(Channel)),
    destination=st.just("918886661353"),
    correlationid=st.sampled_from(["", "spring", "a#b.c"]),
)


@given(st.lists(summaries, min_size=1, max_size=5), st.integers(min_value=1, max_value=10**6))
def test_a_tally_reads_back_as_it_was_stored(events: list[EventSummary], version: int) -> None:
    tally = fold(events)
    assert isinstance(tally, Tally)

    stored = stored_tally_from_item(tally_item("t1", tally, version, expires_at=1))

    assert stored.tally == tally
    assert stored.version == version


def test_a_days_counters_expire_a_fixed_time_after_the_day_whatever_the_write() -> None:
    retention = timedelta(days=90)
    expires = day_counters_expire_at("2026-12-02", retention)

    assert datetime.fromtimestamp(expires, UTC) == datetime(
        2026, 12, 3, tzinfo=UTC
    ) + retention + timedelta(days=31)


class CancellingClient:
    """A table that cancels every transaction with the given reasons (or error code)."""

    def __init__(
        self, reasons: list[str] | None = None, code: str = "TransactionCanceledException"
    ) -> None:
        self.reasons = reasons or []
        self.code = code
        self.requests: list[dict[str, Any]] = []

    def transact_write_items(self, **request: Any) -> None:
        self.requests.append(request)
        response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": "cancelled"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        if self.reasons:
            response["CancellationReasons"] = [{"Code": reason} for reason in self.reasons]
        raise ClientError(response, "TransactWriteItems")


def _commit(client: CancellingClient) -> bool:
    tally = fold(
        [
            EventSummary(
                DeliveryStatus.DELIVERED,
                EventOrigin.CALLBACK,
                T0,
                T0,
                None,
                Channel.SMS,
                "d",
                "spring",
            )
        ]
    )
    assert tally is not None
    moved = {
        AggregateKey(DAY, "2026-12-02", "sms"): {"n": 1},
        AggregateKey(CAMPAIGN, "spring", "sms"): {"n": 1},
    }
    store = AggregateStore(client, "events")  # type: ignore[arg-type]
    return store.commit([TallyChange("t1", None, tally)], moved, T0)


@pytest.mark.parametrize(
    "reasons",
    [["ConditionalCheckFailed", "None", "None"], ["None", "TransactionConflict", "None"]],
)
def test_a_lost_race_is_retried_after_reading_again(reasons: list[str]) -> None:
    assert _commit(CancellingClient(reasons)) is False


@pytest.mark.parametrize(
    "client",
    [
        CancellingClient(["None", "ValidationError", "None"]),
        CancellingClient(code="ValidationException"),
    ],
)
def test_a_write_the_table_will_never_take_is_refused(client: CancellingClient) -> None:
    with pytest.raises(UnstorableWriteError):
        _commit(client)


def test_a_throttled_write_is_a_fault_to_retry_later() -> None:
    with pytest.raises(StoreUnavailableError):
        _commit(CancellingClient(["None", "ThrottlingError", "None"]))


def test_one_write_puts_every_counter_on_one_shard_and_only_day_counters_expire() -> None:
    client = CancellingClient(["TransactionConflict"])
    _commit(client)

    (request,) = client.requests
    updates = [item["Update"] for item in request["TransactItems"] if "Update" in item]
    shards = {update["Key"]["pk"]["S"].split("#")[0] for update in updates}
    assert len(updates) == 2 and len(shards) == 2  # CAMPAIGN.{n} and DAILY.{n}, one n
    assert len({shard.partition(".")[2] or "0" for shard in shards}) == 1
    expiring = {
        update["Key"]["pk"]["S"].split(".")[0].split("#")[0]: "SET" in update["UpdateExpression"]
        for update in updates
    }
    assert expiring == {"CAMPAIGN": False, "DAILY": True}
