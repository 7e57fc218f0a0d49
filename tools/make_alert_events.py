"""Build ``events/sqs/``: SQS events for the alerts function, in the real hand-off format.

Run from the repository root (with the project's virtualenv)::

    .venv/bin/python tools/make_alert_events.py                  # rewrite events/sqs/
    .venv/bin/python tools/make_alert_events.py --output-dir DIR # write them elsewhere

Each message body is what the EventBridge pipe puts on the alerts queue: a DynamoDB stream
record of an event item, built from an ``events/callbacks`` sample by the same code that
stores callbacks (``EventStore.event_item``) and encoded by
``alert_records.pipe_message_from_stream_record``. Only samples that pass the pipe's filter
(failures) become alert records. One more record is the reconcile sweep's closure at the
horizon ("no final receipt") of an id only registered through POST /v1/reconcile, built by
``horizon_event`` as the sweep builds it. The output is deterministic; stale ``*.json``
files in ``events/sqs/`` are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "layers" / "shared", REPO_ROOT / "functions"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from alerts.model import DigestMarker, StormWindow  # noqa: E402
from receipts.models.callback import DeliveryEvent, parse_callback  # noqa: E402
from receipts.models.reconciled import horizon_event  # noqa: E402
from receipts.storage import EventStore  # noqa: E402
from receipts.storage.alert_records import (  # noqa: E402
    matches_alert_filter,
    pipe_message_from_stream_record,
)
from reconcile.asking import HORIZON_REASON  # noqa: E402

CALLBACKS_DIR = REPO_ROOT / "events" / "callbacks"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "events" / "sqs"

# Fixed, obviously fake values: nothing here names a real account or resource.
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
TABLE_STREAM_ARN = (
    f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/imiconnect-receipts-events/stream/"
    "2024-05-01T00:00:00.000"
)
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:imiconnect-receipts-AlertsQueue"
PIPE_SENDER_ID = "AROAEXAMPLEPIPEROLE00:imiconnect-receipts-AlertsPipe"
FIRST_RECEIVED_AT = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
GTRID = "gtrid-0000000000000001"
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/imiconnect-receipts/events/sqs")
BATCH_SIZE = 10  # the event source's BatchSize in template.yaml
HORIZON_SAMPLE = "horizon-no-final-receipt"
HORIZON_HOURS = 72.0  # the template's default ReconcileHorizonHours

JsonObject = dict[str, Any]


def _id(*parts: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


def stream_record(sample_name: str, received_at: datetime) -> JsonObject:
    """The table's stream record for one stored callback sample (as boto3 returns it)."""
    event = parse_callback((CALLBACKS_DIR / f"{sample_name}.json").read_bytes())
    return event_stream_record(sample_name, event, received_at, gtrid=GTRID)


def horizon_stream_record(received_at: datetime) -> JsonObject:
    """The stream record of the sweep's closure at the horizon of an id only registered
    through POST /v1/reconcile: no callback ever came, so its channel and destination are
    not known. Stored as the sweep stores it with AlertOnNoReceipt on (flagged, no gtrid)."""
    event = horizon_event(
        _id("transid", HORIZON_SAMPLE),
        closed_at=received_at,
        horizon_hours=HORIZON_HOURS,
        reason=HORIZON_REASON,
    )
    return event_stream_record(HORIZON_SAMPLE, event, received_at, gtrid=None, alert=True)


def event_stream_record(
    name: str,
    event: DeliveryEvent,
    received_at: datetime,
    *,
    gtrid: str | None,
    alert: bool | None = None,
) -> JsonObject:
    """The table's stream record for one stored event (as boto3 returns it)."""
    store = EventStore(client=None, table_name="imiconnect-receipts-events")  # type: ignore[arg-type]
    item = store.event_item(event, received_at=received_at, gtrid=gtrid, alert=alert)
    size = len(json.dumps(item, default=str))
    return {
        "eventID": _id("stream", name).replace("-", ""),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": received_at,
            "Keys": {"pk": item["pk"], "sk": item["sk"]},
            "NewImage": item,
            "SequenceNumber": str(100000000000000000000 + int(received_at.timestamp())),
            "SizeBytes": size,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": TABLE_STREAM_ARN,
    }


def sqs_record(
    message_id: str, body: str, sent_at: datetime, *, receive_count: int = 1
) -> JsonObject:
    """One record of the SQS event Lambda's poller hands the alerts function."""
    millis = str(int(sent_at.timestamp() * 1000))
    return {
        "messageId": message_id,
        "receiptHandle": f"AQEB{hashlib.sha256(message_id.encode()).hexdigest()}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": millis,
            "SenderId": PIPE_SENDER_ID,
            "ApproximateFirstReceiveTimestamp": millis,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def alert_samples() -> list[str]:
    """Callback samples whose stored item passes the pipe's filter (failures), in order."""
    names = []
    for path in sorted(CALLBACKS_DIR.glob("*.json")):
        if matches_alert_filter(stream_record(path.stem, FIRST_RECEIVED_AT)):
            names.append(path.stem)
    return names


def build_event_files() -> dict[str, str]:
    files: dict[str, JsonObject] = {}
    samples = alert_samples()
    bodies: dict[str, tuple[str, datetime]] = {}
    for index, name in enumerate(samples):
        received_at = FIRST_RECEIVED_AT + timedelta(seconds=index)
        bodies[name] = (
            pipe_message_from_stream_record(stream_record(name, received_at)),
            received_at,
        )
        body, sent_at = bodies[name]
        files[f"alert-{name}.json"] = {"Records": [sqs_record(_id("alert", name), body, sent_at)]}

    horizon_body = pipe_message_from_stream_record(horizon_stream_record(FIRST_RECEIVED_AT))
    files[f"alert-{HORIZON_SAMPLE}.json"] = {
        "Records": [sqs_record(_id("alert", HORIZON_SAMPLE), horizon_body, FIRST_RECEIVED_AT)]
    }

    files["batch-failures.json"] = {
        "Records": [sqs_record(_id("batch", name), *bodies[name]) for name in samples[:BATCH_SIZE]]
    }

    first, second = samples[0], samples[-1]
    not_a_stream_record = json.dumps({"eventName": "INSERT", "dynamodb": {"Keys": {}}})
    files["batch-mixed.json"] = {
        "Records": [
            sqs_record(_id("mixed", "good-1"), *bodies[first]),
            sqs_record(_id("mixed", "poison-not-json"), "this is not JSON", FIRST_RECEIVED_AT),
            # The same stream record again, as a redelivery after a lost acknowledgement.
            sqs_record(_id("mixed", "duplicate"), *bodies[first], receive_count=2),
            sqs_record(_id("mixed", "good-2"), *bodies[second]),
            sqs_record(_id("mixed", "poison-no-image"), not_a_stream_record, FIRST_RECEIVED_AT),
        ]
    }
    files["poison-not-a-stream-record.json"] = {
        "Records": [sqs_record(_id("poison"), not_a_stream_record, FIRST_RECEIVED_AT)]
    }

    window = StormWindow.containing(FIRST_RECEIVED_AT, 300)
    files["digest-marker.json"] = {
        "Records": [
            sqs_record(
                _id("marker", window.label), DigestMarker(window, 0).to_body(), FIRST_RECEIVED_AT
            )
        ]
    }
    return {name: json.dumps(event, indent=2) + "\n" for name, event in files.items()}


def main(output_dir: Path | None = None) -> list[Path]:
    target = Path(output_dir) if output_dir is not None else DEFAULT_OUTPUT_DIR
    target.mkdir(parents=True, exist_ok=True)
    files = build_event_files()
    for existing in sorted(target.glob("*.json")):
        if existing.name not in files:
            existing.unlink()
    written = []
    for name, text in sorted(files.items()):
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=None, help="default: events/sqs/")
    written_files = main(parser.parse_args().output_dir)
    print(f"wrote {len(written_files)} files")
