"""``make demo`` against the running stack: it reports what happened, and nothing is lost,
not even what the webhook never stored."""

from __future__ import annotations

import re

import pytest
from tests.e2e.demo_run import DemoRun

from local_stack.client import StackClient

pytestmark = pytest.mark.e2e


def test_the_demo_campaign_reports_every_part(demo_run: DemoRun) -> None:
    assert demo_run.exit_code == 0

    report = demo_run.report
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


def test_the_demo_ends_with_the_console_url_of_its_campaign(
    stack: StackClient, demo_run: DemoRun
) -> None:
    assert demo_run.campaign.startswith("demo-")
    assert demo_run.report.rstrip().endswith(demo_run.console_url)
    assert demo_run.console_url == f"{stack.state.api_url}/console#campaign={demo_run.campaign}"
    # Every channel's messages share the campaign's one correlation id.
    found = stack.search(correlationid=demo_run.campaign, limit="100").json()
    channels = {item["channel"] for item in found["items"]}
    assert {"sms", "voice", "rtm", "push", "facebook", "twitter", "wechat", "email"} <= channels


def test_the_demo_suppresses_a_complaining_address_and_a_later_delivery_lifts_it(
    stack: StackClient, demo_run: DemoRun
) -> None:
    report = demo_run.report
    suppressed = re.search(
        r"suppressed: complaint \(code 7521, [^)]+\), transaction (\S+), since (\S+)", report
    )
    lifted = re.search(r"lifted by the delivery of transaction (\S+) at (\S+)", report)
    assert suppressed and lifted, report
    complained, welcomed = suppressed.group(1), lifted.group(1)
    assert complained != welcomed

    # The list holds what the demo printed: lifted, by the later delivery, after the complaint.
    address = re.search(r"Suppression list: (\S+) complains", report)
    assert address, report
    now = stack.suppression("email", address.group(1).upper()).json()
    assert now["suppressed"] is False and now["lifted_by"] == "delivery"
    assert now["transactionid"] == welcomed and now["lifted_at"] == lifted.group(2)
    assert now["lifted_at"] > suppressed.group(2)
    # The complaint itself is the complaining transaction's current status.
    assert stack.transaction(complained).json()["status"] == "complaint"
