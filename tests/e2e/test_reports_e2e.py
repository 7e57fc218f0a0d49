"""Reports on the local stack: a campaign sent through the simulator, counted from the stream.

The session's simulator repeats every callback and delivers them out of order; the stream
consumer runs from the template's event source (batches gathered for up to 5 s). The
campaign's report must agree, count for count, with the transactions' own views.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import pytest

from local_stack.client import StackClient, request, wait_until
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER

pytestmark = pytest.mark.e2e

# channel, messages, outcome (the simulator's x-simulator-outcome)
CAMPAIGN = (
    ("sms", 4, "delivered"),
    ("sms", 2, "failed:7206"),
    ("email", 3, "delivered"),
    ("email", 1, "failed:7520"),
    ("rt", 3, "read"),
)
REPORT_TIMEOUT = 90.0


def _report(stack: StackClient, path: str) -> Any:
    answer = request("GET", f"{stack.state.api_url}{path}", headers=stack.lookup_headers())
    return answer.status, answer.json()


def _views(stack: StackClient, transids: list[str]) -> list[dict[str, Any]]:
    views = []
    for transid in transids:
        answer = stack.transaction(transid)
        assert answer.status == 200, answer.body
        views.append(answer.json())
    return views


def _matches(report: dict[str, Any], views: list[dict[str, Any]]) -> bool:
    return report.get("statuses") == dict(Counter(view["status"] for view in views))


def test_a_campaigns_report_agrees_with_its_transactions(stack: StackClient) -> None:
    campaign = f"report-{uuid4().hex[:8]}"
    transids: list[str] = []
    for channel, count, outcome in CAMPAIGN:
        transids += stack.send_transids(
            send_request(channel, count, correlationid=campaign), headers={OUTCOME_HEADER: outcome}
        )
    stack.wait_settled(timeout=60)
    views = _views(stack, transids)
    assert all(view["final"] for view in views)

    path = f"/v1/reports/campaigns/{quote(campaign)}"
    report = wait_until(
        lambda: (
            (answer := _report(stack, path))[0] == 200 and _matches(answer[1], views) and answer[1]
        ),
        timeout=REPORT_TIMEOUT,
        interval=1.0,
    )

    assert report["transactions"] == len(transids)
    assert report["still_open"] == 0
    by_channel = Counter(view["channel"] for view in views)
    assert {name: part["transactions"] for name, part in report["channels"].items()} == dict(
        by_channel
    )
    failed = Counter(
        (view["channel"], view["status"], view["code"]["code"] if view["code"] else None)
        for view in views
        if view["classification"].startswith("failed")
    )
    assert {(f["channel"], f["status"], f["code"]): f["count"] for f in report["failures"]} == dict(
        failed
    )
    delivered = sum(1 for view in views if view["status"] in ("delivered", "read", "answered"))
    assert report["delivered"] == delivered
    assert report["time_to_deliver"]["measured"] == delivered
    assert report["time_to_deliver"]["p50"] is not None

    # The same transactions, day by day.
    days = sorted({view["timeline"][0]["occurred_at"][:10] for view in views})
    status, daily = _report(stack, f"/v1/reports/daily?from={days[0]}&to={days[-1]}&channel=sms")
    assert status == 200
    assert {row["channel"] for row in daily["days"]} <= {"sms"}
    assert sum(row["transactions"] for row in daily["days"]) >= by_channel["sms"]


def test_the_reports_need_the_api_key(stack: StackClient) -> None:
    today = datetime.now(UTC).date().isoformat()
    for path in ("/v1/reports/campaigns/anything", f"/v1/reports/daily?from={today}&to={today}"):
        answer = request("GET", f"{stack.state.api_url}{path}")
        assert answer.status == 401


def test_an_unknown_campaign_is_not_found(stack: StackClient) -> None:
    status, body = _report(stack, f"/v1/reports/campaigns/never-sent-{uuid4().hex[:8]}")

    assert status == 404
    assert body["error"]["code"] == "campaign_not_found"


def test_the_stream_consumer_runs_from_the_template(stack: StackClient) -> None:
    triggers = stack.stats()["stream_triggers"]

    consumer = triggers["StreamConsumerFunction.TableStream"]
    assert consumer["invocations"] > 0
    assert consumer["failed_invocations"] == 0
