"""Fault injection on the local stack: what breaks is answered, retried or parked, never lost.

- The table throttles or fails during ingest: the webhook answers 5xx, the platform (the
  simulator) retries, and the callback is stored; a rejected body is still quarantined.
- SNS or SQS fail during alerts: the record is retried, or ends in a dead-letter queue from
  which a redrive delivers it; every target gets the alert once.
- The vendor's status API is down: a cached answer is served, marked stale; a look-up with
  nothing cached is answered 504 (unreachable) or 502 (failing).

Faults are armed through the stack's console (``/faults``), as an operator would rehearse
them; each test clears them when it ends.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from benchmarks.load_run import callback_from_sample, hub_signature, sample_callback

from local_stack.client import Answer, StackClient, request, wait_until
from receipts.storage import EventStore
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER, QUIRKS_HEADER

pytestmark = pytest.mark.timeout(120)

ALERT_TARGETS = {"sns", "chat:slack", "chat:teams", "chat:generic"}
# The webhook's event writes (not the quarantine, the alert ledger or the lookup cache).
EVENT_WRITES = '"TX#'
PLAIN = {QUIRKS_HEADER: "none"}


# ---- helpers ------------------------------------------------------------------------------


def _aws(stack: StackClient, service: str) -> Any:
    placeholder = "testing"  # the embedded AWS takes any credentials
    return boto3.session.Session(
        aws_access_key_id=placeholder,
        aws_secret_access_key=placeholder,
        region_name=stack.state.region,
    ).client(service, endpoint_url=stack.state.aws_endpoint_url)


def _event_store(stack: StackClient) -> EventStore:
    return EventStore(_aws(stack, "dynamodb"), stack.state.resources["EventsTable"])


def _new_transid(purpose: str) -> str:
    return f"fault-{purpose}-{uuid.uuid4().hex[:12]}"


def _failed_sms(transid: str) -> bytes:
    return callback_from_sample(
        sample_callback("03-sms-un-delivered"), transid, datetime.now(UTC), failure=True
    ).body


def _post(stack: StackClient, body: bytes) -> Answer:
    """One callback, signed as the platform signs it."""
    return request(
        "POST",
        stack.state.webhook_url,
        body=body,
        headers={
            "content-type": "application/json",
            "x-hub-signature": hub_signature(body, stack.state.callback_secret),
        },
    )


def _alerts_about(stack: StackClient, transid: str) -> Counter[str]:
    return Counter(alert["target"] for alert in stack.alerts() if transid in alert["message"])


def _settled_alerts(stack: StackClient, transid: str, targets: set[str]) -> Counter[str]:
    """Alerts about ``transid`` once ``targets`` have theirs and the queue is idle."""
    wait_until(lambda: targets <= set(_alerts_about(stack, transid)), timeout=60, interval=0.25)
    wait_until(
        lambda: stack.stats()["queues"]["AlertsQueue"] == {"visible": 0, "in_flight": 0},
        timeout=60,
        interval=0.25,
    )
    time.sleep(1.5)  # room for a repeated alert to show up before counting
    return _alerts_about(stack, transid)


def _queued_about(stack: StackClient, queue: str, transid: str) -> list[dict[str, Any]]:
    """Messages of ``queue`` that concern ``transid`` (left in the queue)."""
    sqs = _aws(stack, "sqs")
    answer = sqs.receive_message(
        QueueUrl=stack.state.resources[queue],
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        VisibilityTimeout=0,
    )
    return [message for message in answer.get("Messages", []) if transid in message["Body"]]


def _redrive(stack: StackClient, queue: str, message: dict[str, Any]) -> None:
    """Move one message back to the alerts queue, as the runbook's redrive does."""
    sqs = _aws(stack, "sqs")
    sqs.send_message(QueueUrl=stack.state.resources["AlertsQueue"], MessageBody=message["Body"])
    sqs.delete_message(
        QueueUrl=stack.state.resources[queue], ReceiptHandle=message["ReceiptHandle"]
    )


def _delta(before: dict[str, Any], after: dict[str, Any], name: str) -> int:
    return int(after[name]) - int(before[name])


# ---- storage faults during ingest -----------------------------------------------------------


def test_a_throttled_table_is_answered_503_and_the_platforms_retries_store_every_callback(
    stack: StackClient,
) -> None:
    # Given a table that throttles the next 8 event writes (two whole writes, retries included)
    before = stack.simulator_stats()
    api_before = stack.stats()["api"]["requests"].get("POST /callbacks", {})
    stack.add_aws_fault(
        "dynamodb:PutItem", "ProvisionedThroughputExceededException", match=EVENT_WRITES, count=8
    )

    # When the platform sends an SMS's two callbacks
    (transid,) = stack.send_transids(
        send_request("sms"), headers={**PLAIN, OUTCOME_HEADER: "delivered"}
    )
    after = stack.wait_settled(timeout=90)

    # Then the webhook answered 503 until the table recovered, and the retries stored both
    api_after = stack.stats()["api"]["requests"]["POST /callbacks"]
    answered_503 = int(api_after.get("503", 0)) - int(api_before.get("503", 0))
    assert answered_503 >= 2
    assert _delta(before, after, "retried") == answered_503
    assert _delta(before, after, "dropped") == 0
    assert _delta(before, after, "callbacks_delivered") == 2
    stored = _event_store(stack).list_events(transid)
    assert [event.event.status.value for event in stored] == ["submitted", "delivered"]
    assert stack.stats()["aws_faults_injected"] >= 8


def test_a_throttled_write_is_tried_three_times_as_documented(stack: StackClient) -> None:
    # docs/ingest.md and receipts.aws_clients: "1 s connect, 2 s read, 3 attempts", so that
    # a slow table stays inside the platform's 10 s callback timeout.
    transid = _new_transid("attempts")
    stack.add_aws_fault(
        "dynamodb:PutItem", "ProvisionedThroughputExceededException", match=transid, count=100
    )
    injected_before = stack.stats()["aws_faults_injected"]

    answer = _post(stack, _failed_sms(transid))

    assert answer.status == 503
    assert stack.stats()["aws_faults_injected"] - injected_before == 3


def test_a_rejected_body_is_quarantined_even_when_the_table_failed_the_first_time(
    stack: StackClient,
) -> None:
    # Given a table failing the quarantine's writes, and a signed body that is no notification
    body = json.dumps({"deliveryInfoNotification": {"deliveryInfo": "not an object"}}).encode()
    # Every shard of the quarantine: QUARANTINE#{day} and QUARANTINE.{shard}#{day}.
    stack.add_aws_fault("dynamodb:PutItem", "InternalServerError", match="QUARANTINE", count=100)

    # When it arrives, then it is answered 5xx (so the platform sends it again, not dropped)
    first = _post(stack, body)
    assert first.status == 503
    assert first.json()["error"]["code"] in {"store_unavailable", "quarantine_unavailable"}

    # And once the table recovers, the platform's retry is refused 400 and the body is kept
    stack.clear_faults()
    second = _post(stack, body)
    assert second.status == 400
    kept = _event_store(stack).list_quarantine(datetime.now(UTC).date().isoformat())
    assert body in [item.body for item in kept]


# ---- SNS and SQS faults during alerts -------------------------------------------------------


def test_sns_failing_once_is_retried_and_every_target_alerts_once(stack: StackClient) -> None:
    transid = _new_transid("sns-once")
    poller_before = stack.stats()["alerts_poller"]["failed"]
    # One whole Publish call fails (every attempt botocore makes of it).
    stack.add_aws_fault("sns:Publish", "InternalError", count=4)

    assert _post(stack, _failed_sms(transid)).status == 200
    alerts = _settled_alerts(stack, transid, ALERT_TARGETS)

    assert alerts == dict.fromkeys(ALERT_TARGETS, 1)
    assert stack.stats()["alerts_poller"]["failed"] > poller_before  # it was retried
    assert _queued_about(stack, "AlertsDeadLetterQueue", transid) == []


def test_sns_down_parks_the_record_in_the_dead_letter_queue_and_a_redrive_sends_it_once(
    stack: StackClient,
) -> None:
    # Given SNS failing for as long as the record is tried (AlertMaxReceiveCount=2)
    transid = _new_transid("sns-down")
    stack.add_aws_fault("sns:Publish", "InternalError", seconds=120)

    # When a failure is stored, then the chat webhooks alert and the record is parked
    assert _post(stack, _failed_sms(transid)).status == 200
    parked = wait_until(
        lambda: _queued_about(stack, "AlertsDeadLetterQueue", transid), timeout=90, interval=0.5
    )
    assert len(parked) == 1
    assert _alerts_about(stack, transid) == dict.fromkeys(ALERT_TARGETS - {"sns"}, 1)

    # And after the outage a redrive sends it to SNS alone, once
    stack.clear_faults()
    _redrive(stack, "AlertsDeadLetterQueue", parked[0])
    alerts = _settled_alerts(stack, transid, ALERT_TARGETS)
    assert alerts == dict.fromkeys(ALERT_TARGETS, 1)


def test_the_queue_refusing_a_few_sends_still_delivers_the_alert_once(
    stack: StackClient,
) -> None:
    transid = _new_transid("sqs-blip")
    injected_before = stack.stats()["aws_faults_injected"]
    stack.add_aws_fault(
        "sqs:SendMessage", "ServiceUnavailable", match=[transid, '-AlertsQueue"'], count=2
    )

    assert _post(stack, _failed_sms(transid)).status == 200
    alerts = _settled_alerts(stack, transid, ALERT_TARGETS)

    assert alerts == dict.fromkeys(ALERT_TARGETS, 1)
    assert stack.stats()["aws_faults_injected"] - injected_before == 2


def test_the_queue_down_parks_the_stream_record_in_the_pipes_dead_letter_queue(
    stack: StackClient,
) -> None:
    # Given an alerts queue refusing every send of this record by the pipe
    transid = _new_transid("sqs-down")
    dead_lettered_before = stack.stats()["pipe"]["dead_lettered"]
    stack.add_aws_fault(
        "sqs:SendMessage", "ServiceUnavailable", match=[transid, '-AlertsQueue"'], seconds=120
    )

    # When a failure is stored, then its record ends in the pipe's dead-letter queue
    assert _post(stack, _failed_sms(transid)).status == 200
    parked = wait_until(
        lambda: _queued_about(stack, "AlertsPipeDeadLetterQueue", transid),
        timeout=60,
        interval=0.5,
    )
    assert len(parked) == 1
    assert stack.stats()["pipe"]["dead_lettered"] == dead_lettered_before + 1
    assert _alerts_about(stack, transid) == {}

    # And a redrive after the outage alerts every target once
    stack.clear_faults()
    _redrive(stack, "AlertsPipeDeadLetterQueue", parked[0])
    assert _settled_alerts(stack, transid, ALERT_TARGETS) == dict.fromkeys(ALERT_TARGETS, 1)


# ---- the vendor's status API down ------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor_fault", "answer_without_cache"),
    [(0, (504, "vendor_unreachable")), (503, (502, "vendor_error"))],
    ids=["connection-dropped", "answering-503"],
)
def test_with_the_vendor_down_a_cached_answer_is_served_stale_and_nothing_else(
    stack: StackClient, vendor_fault: int, answer_without_cache: tuple[int, str]
) -> None:
    # Given a message still in progress at the vendor, its callbacks going elsewhere, and
    # its status looked up once (cached; a non-final answer is never fresh on this stack)
    (transid,) = stack.send_transids(
        send_request("sms", notify_url=f"{stack.state.console_url}/elsewhere"),
        headers={**PLAIN, OUTCOME_HEADER: "delivered"},
    )
    first = stack.vendor_status(transid)
    assert (first.status, first.header("x-answer-source")) == (200, "upstream")
    assert first.json()[0]["status"] in {"queued", "sent"}

    # When the vendor goes down
    stack.add_vendor_fault(vendor_fault, seconds=60)
    stale = stack.vendor_status(transid)
    unknown = stack.vendor_status(_new_transid("never-sent"))

    # Then the cached answer is served, marked stale, and a look-up with nothing cached fails
    assert stale.status == 200
    assert stale.json() == first.json()
    assert stale.header("x-cache") == "stale"
    assert stale.header("warning") == '110 - "Response is Stale"'
    assert (unknown.status, unknown.json()["error"]["code"]) == answer_without_cache
    assert stack.stats()["vendor_faults_injected"] >= 2

    # And once the vendor is back, answers are fresh again
    stack.clear_faults()
    recovered = stack.vendor_status(transid)
    assert recovered.status == 200
    assert recovered.header("x-cache") != "stale"
