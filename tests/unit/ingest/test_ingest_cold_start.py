"""The handler's imports load pydantic, botocore and the layer's models with the cycle
collector off, and leave them frozen (receipts.cold_start): no timing, only what happened."""

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

from pydantic import BaseModel
from botocore.exceptions import ClientError
from receipts.models.callback import VendorCallback
from ingest.settings import IngestSettings

scanned = {id(item) for item in gc.get_objects()}
loaded = (BaseModel, ClientError, VendorCallback, IngestSettings)
print("collections while the dependencies loaded:", collections_inside)
print("collector enabled:", gc.isenabled())
print("still scanned:", [item.__name__ for item in loaded if id(item) in scanned])
"""


def test_importing_the_handler_runs_no_collection_and_freezes_what_it_loaded() -> None:
    output = output_of(_IMPORT_THE_HANDLER)

    assert "collections while the dependencies loaded: []" in output, output
    assert "collector enabled: True" in output, output
    assert "still scanned: []" in output, output
