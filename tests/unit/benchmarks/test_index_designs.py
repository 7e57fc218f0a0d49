"""The index designs' write-unit arithmetic, on one SMS: submitted, then delivered."""

from __future__ import annotations

import json

import pytest
from benchmarks import index_designs
from benchmarks.index_designs import Stored

from receipts.models.callback import parse_callback
from receipts.storage import EventStore

SAMPLES = index_designs.SEEDS


def _stored(*names: str) -> list[Stored]:
    store = EventStore(None, "events")  # type: ignore[arg-type]  # event_item makes no call
    stored = []
    for name in names:
        event = parse_callback(json.loads((SAMPLES / f"{name}.json").read_text())["body"])
        stored.append(
            Stored(
                event, store.event_item(event, received_at=index_designs.RECEIVED_AT, gtrid=None)
            )
        )
    return stored


def test_every_event_in_every_index_counts_one_unit_per_entry() -> None:
    submitted, delivered = _stored("01-sms-submitted", "02-sms-delivered")
    # submitted: item + destination + correlation + in-progress; delivered: item + 2 searches
    assert index_designs.per_event([submitted]) == 4
    assert index_designs.per_event([delivered]) == 3
    assert index_designs.without_correlation_index([submitted, delivered]) == 5


def test_search_keys_on_final_events_leave_the_submitted_one_in_the_open_index_only() -> None:
    submitted, delivered = _stored("01-sms-submitted", "02-sms-delivered")
    assert index_designs.search_keys_on_final_events([submitted]) == 2
    assert index_designs.search_keys_on_final_events([delivered]) == 3


def test_a_head_item_costs_a_write_per_callback_and_its_entries_once() -> None:
    submitted, delivered = _stored("01-sms-submitted", "02-sms-delivered")
    assert submitted.event.transid == delivered.event.transid
    # 2 event items + 2 head writes + destination, correlation and in-progress entries once
    # + the in-progress entry leaving the index when the delivery arrives.
    assert index_designs.transaction_head_item([submitted, delivered]) == 8


def test_the_first_stored_event_alone_carries_the_keys() -> None:
    submitted, delivered = _stored("01-sms-submitted", "02-sms-delivered")
    # 2 event items + destination, correlation and in-progress entries of the submitted one.
    assert index_designs.first_stored_event_carries_keys([submitted, delivered]) == 5
    # Arriving first, the delivery carries the search keys and, being final, no in-progress.
    assert index_designs.first_stored_event_carries_keys([delivered, submitted]) == 4


def test_stream_built_pages_share_one_page_per_key_and_batch() -> None:
    submitted, delivered = _stored("01-sms-submitted", "02-sms-delivered")
    # 2 items + 2 destination entries; one correlation page holds both, one in-progress page.
    assert index_designs.stream_built_pages([submitted, delivered]) == 6


COMPLETE_FOR_DESTINATIONS = [
    design
    for design in index_designs.DESIGNS
    # the one design that does not find a message to a number until it is final
    if design.units is not index_designs.search_keys_on_final_events
]


@pytest.mark.parametrize("design", COMPLETE_FOR_DESTINATIONS, ids=lambda design: design.name)
def test_no_design_that_keeps_destination_search_complete_goes_below_two_units(
    design: index_designs.Design,
) -> None:
    stored = index_designs.seed_items()
    assert design.units(stored) / len(stored) >= 2.0


def test_the_shipped_design_is_the_first_row() -> None:
    assert index_designs.DESIGNS[0].units is index_designs.per_event


def test_the_readme_shows_the_designs_as_measured_now() -> None:
    readme = (index_designs.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert index_designs.markdown(index_designs.seed_items()) in readme
