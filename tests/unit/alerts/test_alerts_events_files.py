"""events/sqs/ is what tools/make_alert_events.py builds from the callback samples (and one
horizon closure)."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

from tests.unit.alerts.doubles import SQS_EVENTS_DIR
from tools import make_alert_events

from alerts.model import DigestMarker
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.storage.alert_records import matches_alert_filter, stored_event_from_pipe_message


def _normalised(path: Path) -> Any:
    """The event with each compressed raw body inflated (zlib builds may differ in bytes)."""
    event = json.loads(path.read_text(encoding="utf-8"))
    for record in event["Records"]:
        record.pop("md5OfBody")
        try:
            body = json.loads(record["body"])
        except ValueError:
            continue
        raw = body.get("dynamodb", {}).get("NewImage", {}).get("raw")
        if raw:
            raw["B"] = zlib.decompress(base64.b64decode(raw["B"])).decode()
        record["body"] = body
    return event


def test_the_committed_events_are_what_the_tool_builds(tmp_path: Path) -> None:
    make_alert_events.main(tmp_path)

    built = sorted(path.name for path in tmp_path.glob("*.json"))
    committed = sorted(path.name for path in SQS_EVENTS_DIR.glob("*.json"))
    assert built == committed
    for name in built:
        assert _normalised(tmp_path / name) == _normalised(SQS_EVENTS_DIR / name), name


def test_every_alert_event_is_a_failure_or_a_horizon_closure_the_pipe_forwards() -> None:
    alert_files = sorted(SQS_EVENTS_DIR.glob("alert-*.json"))
    horizon_file = f"alert-{make_alert_events.HORIZON_SAMPLE}.json"

    assert len(alert_files) >= 10
    assert horizon_file in {path.name for path in alert_files}
    for path in alert_files:
        (record,) = json.loads(path.read_text(encoding="utf-8"))["Records"]
        body = json.loads(record["body"])
        assert matches_alert_filter(body), path.name
        event = stored_event_from_pipe_message(record["body"]).event
        if path.name == horizon_file:
            # An id only registered for reconciliation: closed with no channel known.
            assert (event.origin, event.status, event.channel) == (
                EventOrigin.HORIZON,
                DeliveryStatus.UNKNOWN,
                Channel.UNKNOWN,
            )
        else:
            assert event.is_failure, path.name
            assert event.origin is EventOrigin.CALLBACK, path.name


def test_the_batches_fit_the_event_source_and_the_marker_parses() -> None:
    batch = json.loads((SQS_EVENTS_DIR / "batch-failures.json").read_text(encoding="utf-8"))
    marker = json.loads((SQS_EVENTS_DIR / "digest-marker.json").read_text(encoding="utf-8"))

    assert len(batch["Records"]) == 10
    parsed = DigestMarker.from_payload(json.loads(marker["Records"][0]["body"]))
    assert (parsed.window.seconds, parsed.sequence) == (300, 0)
