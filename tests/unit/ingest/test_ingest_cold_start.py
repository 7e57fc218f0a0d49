"""The handler's imports load botocore and the layer's models with the cycle collector off,
and leave them frozen (receipts.cold_start); pydantic is not among them: no timing, only what
happened."""

from __future__ import annotations

from tests.fresh_interpreter import output_of

# A collection that starts while ingest.dependencies is half imported (its own imports done
# or under way, its classes not yet defined) runs inside the window the collector must skip.
_IMPORT_THE_HANDLER = """
import gc, sys

collections_inside = []

def watch(phase, info):
    dependencies = sys.modules.get("ingest.dependencies")
    if phase == "start" and dependencies is not None:
        if not hasattr(dependencies, "IngestDependencies"):
            collections_inside.append(info["generation"])

gc.callbacks.append(watch)
import ingest.handler
gc.callbacks.remove(watch)

from botocore.exceptions import ClientError
from receipts.models.callback import DeliveryEvent
from ingest.settings import IngestSettings

scanned = {id(item) for item in gc.get_objects()}
loaded = (ClientError, DeliveryEvent, IngestSettings)
print("collections while the dependencies loaded:", collections_inside)
print("collector enabled:", gc.isenabled())
print("still scanned:", [item.__name__ for item in loaded if id(item) in scanned])
"""


def test_importing_the_handler_runs_no_collection_and_freezes_what_it_loaded() -> None:
    output = output_of(_IMPORT_THE_HANDLER)

    assert "collections while the dependencies loaded: []" in output, output
    assert "collector enabled: True" in output, output
    assert "still scanned: []" in output, output


# pydantic and the models it builds were two thirds of what the webhook's cold start added to
# boto3's (make bench); the callback and the settings are read by hand to keep it off.
_READ_EVERY_SAMPLE = """
import sys
from pathlib import Path

import ingest.handler
from ingest.settings import settings_from
from receipts.models.callback import parse_callback

settings_from({"EVENTS_TABLE_NAME": "events", "CALLBACK_SECRET_REFERENCE": "ssm:/secret"})
samples = sorted(Path("events/callbacks").glob("*.json"))
events = [parse_callback(sample.read_bytes()) for sample in samples]
print("samples read:", len(events))
print("pydantic loaded:", any(name.split(".")[0] == "pydantic" for name in sys.modules))
"""


def test_the_webhook_reads_settings_and_callbacks_without_loading_pydantic() -> None:
    output = output_of(_READ_EVERY_SAMPLE)

    assert "pydantic loaded: False" in output, output
    read = int(output.split("samples read:")[1].split()[0])
    assert read >= 10, output
