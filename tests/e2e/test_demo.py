"""``make demo`` against the running stack: it reports what happened, and nothing is lost,
not even what the webhook never stored."""

from __future__ import annotations

import re

import pytest

from local_stack.client import StackClient
from local_stack.demo import run

pytestmark = pytest.mark.e2e


def test_the_demo_campaign_reports_every_part(
    stack: StackClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(stack, per_channel=1, outage=2, timeout=60, dropped=8, dropped_failures=3) == 0

    report = capsys.readouterr().out
    assert "8 channels x 1 destinations" in report
    assert re.search(r"retried 2, dropped 0", report), report
    stored = re.search(r"callbacks stored (\d+), duplicates absorbed (\d+)", report)
    assert stored, report
    assert int(stored.group(1)) > 0
    assert int(stored.group(2)) > 0  # the session's simulator duplicates every delivery
    assert "right after sending" in report
    assert "after the callbacks" in report
    assert re.search(r"Alerts raised: \d+", report)
    for channel in ("sms", "voice", "rt", "push", "fb", "twitter", "wechat", "email"):
        assert re.search(rf"^  {channel}\s+\d+", report, re.MULTILINE), channel
    # The last phase: every callback of 8 messages dropped,
    # the ids registered, and each reconciled from the status API
    assert re.search(r"callbacks dropped \d+ \(after \d+ retries\), delivered 0", report), report
    assert "ids registered for reconciliation (POST /v1/reconcile): 8 new" in report
    assert (
        "reconciled 8 of 8 transactions whose callbacks were dropped (3 failures alerted)" in report
    ), report
