"""A code reads the same in the timeline as in the alert: one classification, in the layer.

7200 ("Unknown Status" in the status-API table) on a failed SMS is a permanent failure in the
alert; the timeline's code meaning used to call it "unknown", the table entry's own class.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.messages import build_alert
from lookup.answers import callbacks_view
from receipts.channels import Channel
from receipts.codes import Classification, classify
from receipts.codes.lookup import all_codes
from receipts.lifecycle import DeliveryStatus
from receipts.models.callback import parse_callback
from receipts.storage import StoredEvent

CALLBACKS = Path(__file__).resolve().parents[3] / "events" / "callbacks"
RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _body(sample: str, **changes: str) -> bytes:
    payload = json.loads((CALLBACKS / f"{sample}.json").read_text(encoding="utf-8"))
    payload["deliveryInfoNotification"]["deliveryInfo"].update(changes)
    return json.dumps(payload).encode()


def _views(body: bytes) -> tuple[Classification, Classification | None, Classification]:
    stored = StoredEvent(parse_callback(body), RECEIVED, None)
    view = callbacks_view(stored.event.transid, [stored], now=RECEIVED)
    alert = build_alert(stored, "https://lookup.example")
    return (
        view.classification,
        view.code.classification if view.code else None,
        alert.classification,
    )


def test_code_7200_on_a_failed_sms_is_a_permanent_failure_everywhere() -> None:
    event_class, code_class, alert_class = _views(_body("04-sms-failed"))
    assert event_class == code_class == alert_class == Classification.FAILED_PERMANENT


@pytest.mark.parametrize("sample", sorted(path.stem for path in CALLBACKS.glob("*.json")))
def test_every_sample_reads_alike_in_the_timeline_and_the_alert(sample: str) -> None:
    event_class, code_class, alert_class = _views(_body(sample))
    assert event_class == alert_class
    assert code_class in (None, alert_class)


@pytest.mark.parametrize("code", sorted(all_codes()))
@pytest.mark.parametrize(
    ("sample", "status"),
    [
        ("04-sms-failed", "Failed"),
        ("03-sms-un-delivered", "Un-Delivered"),
        ("02-sms-delivered", "Delivered"),
    ],
)
def test_every_known_code_reads_alike(code: int, sample: str, status: str) -> None:
    event_class, code_class, alert_class = _views(
        _body(sample, code=str(code), deliveryStatus=status)
    )
    assert event_class == code_class == alert_class
    parsed = parse_callback(_body(sample, code=str(code), deliveryStatus=status))
    assert alert_class == classify(Channel.SMS, code, parsed.status)
    assert parsed.status is not DeliveryStatus.UNKNOWN
