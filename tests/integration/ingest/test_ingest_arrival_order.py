"""Out-of-order and repeated arrival never changes a transaction's final status.

Each group is the vendor samples that share one transid. Every permutation of a group goes
through the real handler into the table; the current status is then derived from what was
stored, by the shared lifecycle rule, as the lookup function derives it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.integration.ingest.ingest_support import Answer, http_event, signed

from ingest.dependencies import IngestDependencies
from receipts.lifecycle import DeliveryStatus, current_event
from receipts.storage import EventStore
from receipts.storage.keys import transaction_key

# transid -> (sample names, the status that must win, how many distinct events they are)
GROUPS: dict[str, tuple[list[str], DeliveryStatus, int]] = {
    "262895e4-2217-4eef-92ca-79fd0250c4a3": (
        ["01-sms-submitted", "02-sms-delivered"],
        DeliveryStatus.DELIVERED,
        2,
    ),
    "99ef31c6-40a5-474b-a01e-d458f0638912": (
        [
            "19-push-firefox_pushid-submited",
            "20-push-firefox_pushid-delivered",
            "21-push-firefox_pushid-read",
        ],
        DeliveryStatus.READ,
        3,
    ),
    # The iOS samples repeat the Android ones but for the destination type: a field that
    # differs makes another event (the identity never guesses which fields matter), so four
    # callbacks are four events, and the current status is the same as with two.
    "092dbe6d-bd84-458d-9c34-634b6adaa164_5854_13218_1": (
        [
            "11-push-android_pushid-submitted",
            "12-push-android_pushid-delivered",
            "15-push-ios_pushid-submitted",
            "16-push-ios_pushid-delivered",
        ],
        DeliveryStatus.DELIVERED,
        4,
    ),
    # Four final failures at the same instant: the rule still picks one (the highest code).
    "4b72d8a2-290d-49e2-993e-3bd8edf31c81": (
        [
            "32-email-submitted",
            "33-email-delivered",
            "34-email-not-verified",
            "35-email-invalid-email-address",
            "36-email-bounce",
            "37-email-complaint",
        ],
        DeliveryStatus.INVALID_ADDRESS,
        6,
    ),
}


@pytest.fixture
def deliver(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    event_store: EventStore,
    dynamodb_client: Any,
    events_table: str,
) -> Callable[[list[str]], tuple[DeliveryStatus | None, int, list[str]]]:
    """Deliver samples in the given order into an empty transaction; report what is stored."""
    events = {name: signed(http_event(name)) for group in GROUPS.values() for name in group[0]}

    def forget(transid: str) -> None:
        answer = dynamodb_client.query(
            TableName=events_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": transaction_key(transid)}},
            ProjectionExpression="pk, sk",
        )
        for key in answer["Items"]:
            dynamodb_client.delete_item(TableName=events_table, Key=key)

    def run(order: list[str]) -> tuple[DeliveryStatus | None, int, list[str]]:
        transid = next(tid for tid, group in GROUPS.items() if order[0] in group[0])
        forget(transid)
        outcomes = [invoke(events[name], dependencies).json["status"] for name in order]
        stored = event_store.list_events(transid)
        winner = current_event(item.event for item in stored)
        return (winner.status if winner else None), len(stored), outcomes

    return run


EMAIL = "4b72d8a2-290d-49e2-993e-3bd8edf31c81"
EXHAUSTIVE = [transid for transid in GROUPS if transid != EMAIL]


@pytest.mark.parametrize("transid", EXHAUSTIVE, ids=lambda transid: GROUPS[transid][0][0][3:])
def test_every_arrival_order_gives_the_same_final_status(
    transid: str, deliver: Callable[[list[str]], tuple[DeliveryStatus | None, int, list[str]]]
) -> None:
    names, expected_status, distinct = GROUPS[transid]

    for order in itertools.permutations(names):
        status, stored, outcomes = deliver(list(order))

        assert status is expected_status, order
        assert stored == distinct, order
        assert outcomes.count("accepted") == distinct, order


def test_one_in_seven_orders_of_the_six_email_callbacks_give_the_same_final_status(
    deliver: Callable[[list[str]], tuple[DeliveryStatus | None, int, list[str]]],
) -> None:
    # All 720 orders cost half a minute under moto. Every seventh in lexicographic order (103)
    # still puts each callback in every position many times.
    names, expected_status, distinct = GROUPS[EMAIL]
    orders = list(itertools.permutations(names))[::7]

    for order in orders:
        status, stored, outcomes = deliver(list(order))

        assert status is expected_status, order
        assert stored == distinct, order
        assert outcomes.count("accepted") == distinct, order
    assert all({order[position] for order in orders} == set(names) for position in range(6))


def test_orders_with_retries_interleaved_give_the_same_final_status(
    deliver: Callable[[list[str]], tuple[DeliveryStatus | None, int, list[str]]],
) -> None:
    names, expected_status, distinct = GROUPS[EMAIL]

    @settings(max_examples=40, deadline=None)
    @given(order=st.lists(st.sampled_from(names), min_size=len(names), max_size=12))
    def check(order: list[str]) -> None:
        order = order + [name for name in names if name not in order]
        status, stored, outcomes = deliver(order)

        assert status is expected_status
        assert stored == distinct
        assert outcomes.count("accepted") == distinct
        assert outcomes.count("duplicate") == len(order) - distinct

    check()
