"""Imports at cold start without the cycle collector scanning what they load.

A function's imports (botocore's service models, pydantic's schemas, Powertools) create tens
of thousands of objects that live as long as the process. While they load, the collector
runs a young collection every ~700 allocations and, once enough has piled up, a full one
over everything loaded so far: on the ingest function that was 50-80 ms of CPU time per
cold start, a third of its cost over ``import boto3``, spent finding almost no garbage.
Suspending it for the imports and then moving what they loaded into the permanent
generation (``gc.freeze``) leaves every later collection, warm invocations included, with
only the objects the requests create.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_imports() -> Iterator[None]:
    """Run the enclosed imports with the collector off, then freeze what they loaded.

    The few cycles the imports leave behind stay in memory for the process's life (a few
    thousand objects on ingest); the collector is enabled again on leaving, unless it was
    already off on entering (someone else's choice, kept).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
