"""Every generated sample goes through the project's own parsers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus
from receipts.models.callback import parse_callback
from receipts.models.status_api import parse_status_response

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
CALLBACK_FILES = sorted((EVENTS_DIR / "callbacks").glob("*.json"))
STATUS_API_FILES = sorted((EVENTS_DIR / "status_api").glob("*.json"))


def test_there_are_samples_to_parse() -> None:
    assert CALLBACK_FILES
    assert STATUS_API_FILES


@pytest.mark.parametrize("path", CALLBACK_FILES, ids=lambda path: path.name)
def test_callback_sample_parses(path: Path) -> None:
    body = path.read_bytes()
    original = json.loads(body)
    notification = original["deliveryInfoNotification"]

    event = parse_callback(body)

    assert event.payload == original
    assert event.transid == notification["transid"]
    assert event.occurred_at.tzinfo is not None
    assert event.channel != Channel.UNKNOWN
    assert event.status != DeliveryStatus.UNKNOWN
    assert event.code == int(notification["deliveryInfo"]["code"])


@pytest.mark.parametrize("path", STATUS_API_FILES, ids=lambda path: path.name)
def test_status_api_sample_parses(path: Path) -> None:
    body = path.read_bytes()
    original = json.loads(body)

    transactions = parse_status_response(body)

    assert len(transactions) == len(original)
    for transaction, raw in zip(transactions, original, strict=True):
        assert transaction.transactionid == raw["transactionid"]
        assert transaction.date_created.tzinfo is not None
