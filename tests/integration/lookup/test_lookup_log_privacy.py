"""The lookup never logs its request, even when the environment asks Powertools to.

``POWERTOOLS_LOGGER_LOG_EVENT=true`` (an operator debugging) would log every event whole:
the older clients' key in the path, and the ``key`` and ``x-api-key`` headers. Powertools
reads the variable when the handler module is imported, so the proof runs in a fresh
interpreter with it set.
"""

from __future__ import annotations

import json

from tests.fresh_interpreter import output_of
from tests.integration.lookup.lookup_harness import (
    API_KEY,
    keyed_vendor_status_event,
    vendor_status_event,
    with_header,
)

TRANSID = "log-privacy-1"


def test_the_event_is_not_logged_even_when_the_environment_asks_for_it() -> None:
    events = [
        keyed_vendor_status_event(API_KEY, TRANSID),
        with_header(vendor_status_event(TRANSID, api_key=None), "key", API_KEY),
    ]
    script = f"""
import json
from datetime import UTC, datetime
from lookup.auth import ApiKeyVerifier
from lookup.handler import lambda_handler
from lookup.memory_cache import MemoryCache
from lookup.service import LookupService
from lookup.wiring import LookupDependencies
from tests.integration.lookup.lookup_harness import LambdaContextStub
from tests.unit.lookup.lookup_fakes import POLICY, InMemoryStore, ScriptedVendor, vendor_body

clock = lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
vendor = ScriptedVendor(answers={{{TRANSID!r}: [vendor_body({TRANSID!r}, "delivered")]}})
service = LookupService(
    store=InMemoryStore(), status_api=vendor, memory=MemoryCache(max_entries=8, clock=clock),
    policy=POLICY, clock=clock,
)
dependencies = LookupDependencies(service=service, api_keys=ApiKeyVerifier(lambda: [{API_KEY!r}]))
for event in json.loads({json.dumps(json.dumps(events))}):
    answer = lambda_handler(event, LambdaContextStub(), dependencies)
    print("status", answer["statusCode"])
"""
    output = output_of(
        script,
        POWERTOOLS_LOGGER_LOG_EVENT="true",
        POWERTOOLS_LOG_LEVEL="DEBUG",
        POWERTOOLS_SERVICE_NAME="lookup",
    )
    assert output.count("status 200") == 2, output
    assert TRANSID in output  # the function did log, by transaction id
    assert API_KEY not in output
