"""``make demo`` run once through the session's stack, and what it printed."""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass

from local_stack.client import StackClient
from local_stack.demo import run


@dataclass(frozen=True)
class DemoRun:
    exit_code: int
    report: str
    campaign: str
    console_url: str


def run_demo(client: StackClient) -> DemoRun:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exit_code = run(
                client, per_channel=1, outage=2, timeout=60, dropped=8, dropped_failures=3
            )
    finally:
        # Whatever happened, no outage is left armed for the tests after it.
        client.clear_faults()
    client.wait_settled(timeout=30)
    report = printed.getvalue()
    campaign = re.search(r"^Campaign (\S+):", report, re.MULTILINE)
    url = re.search(r"^  (http://\S+/console#\S+)$", report, re.MULTILINE)
    assert campaign and url, report
    return DemoRun(exit_code, report, campaign.group(1), url.group(1))
