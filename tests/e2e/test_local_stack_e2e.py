"""The product, run locally, driven over HTTP: send through the simulated platform, then
look up what the callbacks told the webhook, and see the alerts arrive."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local_stack.client import StackClient, request, wait_until
from simulator.campaign import CHANNELS, send_request
from simulator.engine import DEVICES_HEADER, OUTCOME_HEADER, QUIRKS_HEADER

pytestmark = pytest.mark.e2e

PLAIN = {QUIRKS_HEADER: "none"}


def _settled_timeline(stack: StackClient, transid: str, events: int) -> dict[str, Any]:
    """The transaction view once ``events`` callbacks are stored."""

    def ready() -> dict[str, Any] | None:
        answer = stack.transaction(transid)
        view = answer.json() if answer.status == 200 else None
        return view if view and len(view["timeline"]) >= events else None

    return wait_until(ready, timeout=20)


def _alerts_about(stack: StackClient, transid: str, count: int) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]] | None:
        found = [alert for alert in stack.alerts() if transid in alert["message"]]
        return found if len(found) >= count else None

    return wait_until(arrived, timeout=30, interval=0.25)


def _delta(before: dict[str, Any], after: dict[str, Any], name: str) -> int:
    return int(after[name]) - int(before[name])


def _ingest_outcomes(stack: StackClient) -> dict[str, int]:
    outcomes: dict[str, int] = stack.stats()["api"]["outcomes"].get("POST /callbacks", {})
    return outcomes


# ---- the HTTP API ------------------------------------------------------------------------


def test_the_console_probes_of_the_webhook_answer_200(stack: StackClient) -> None:
    head = request("HEAD", stack.state.webhook_url)
    get = request("GET", stack.state.webhook_url)

    assert (head.status, head.body) == (200, b"")
    assert get.status == 200


def test_an_unknown_route_is_404_and_a_lookup_needs_its_key(stack: StackClient) -> None:
    unknown = request("GET", f"{stack.state.api_url}/nowhere")
    keyless = request("GET", f"{stack.state.api_url}/v1/transactions/abc")

    assert (unknown.status, unknown.json()) == (404, {"message": "Not Found"})
    assert keyless.status == 401


def test_an_unsigned_callback_is_refused(stack: StackClient) -> None:
    answer = request(
        "POST",
        stack.state.webhook_url,
        body=json.dumps({"deliveryInfoNotification": {}}).encode(),
        headers={"content-type": "application/json"},
    )

    assert answer.status == 401


def test_the_openapi_document_is_served(stack: StackClient) -> None:
    answer = request("GET", f"{stack.state.api_url}/openapi.json")

    assert answer.status == 200
    assert "/v1/transactions/{transactionid}" in answer.json()["paths"]


# ---- delivery and lookup -----------------------------------------------------------------


def test_an_sms_timeline_is_built_from_its_callbacks(stack: StackClient) -> None:
    (transid,) = stack.send_transids(
        send_request("sms", correlationid="e2e-sms", callback_data="order-7"),
        headers={**PLAIN, OUTCOME_HEADER: "delivered"},
    )

    stack.wait_settled()
    status = stack.vendor_status(transid)
    view = _settled_timeline(stack, transid, 2)

    assert view["status"] == "delivered"
    assert view["source"] == "callbacks"
    assert [entry["status"] for entry in view["timeline"]] == ["submitted", "delivered"]
    assert view["correlationid"] == "e2e-sms"
    assert status.status == 200
    assert status.header("x-answer-source") == "callbacks"
    assert status.json()[0]["transactionid"] == transid
    assert status.json()[0]["status"] == "delivered"


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_lifecycle_arrives_whole(stack: StackClient, channel: str) -> None:
    (transid,) = stack.send_transids(
        send_request(channel, correlationid=f"e2e-{channel}"),
        headers={QUIRKS_HEADER: "spelling,timestamps", OUTCOME_HEADER: "read", DEVICES_HEADER: "2"},
    )
    planned = stack.planned(transid)

    for delivery in planned["deliveries"]:
        plan = stack.planned(delivery)
        view = _settled_timeline(stack, delivery, len(plan["events"]))

        # Sorted: web push times have no milliseconds, so one second's events can tie.
        assert sorted(entry["raw_status"] for entry in view["timeline"]) == sorted(
            event["deliveryStatus"] for event in plan["events"]
        )
        assert view["raw_status"] == plan["events"][-1]["deliveryStatus"]
        assert view["final"] is True
        assert view["correlationid"] == f"e2e-{channel}"
    if channel == "push":
        assert len(planned["deliveries"]) == 2
        assert all(delivery.startswith(transid + "_") for delivery in planned["deliveries"])


def test_duplicates_are_absorbed_and_late_statuses_do_not_regress(stack: StackClient) -> None:
    before_simulator, before_ingest = stack.simulator_stats(), _ingest_outcomes(stack)
    transids = stack.send_transids(
        send_request("rt", 3, correlationid="e2e-quirks"),
        headers={QUIRKS_HEADER: "duplicates,out-of-order", OUTCOME_HEADER: "read"},
    )

    after_simulator = stack.wait_settled()
    views = [_settled_timeline(stack, transid, 3) for transid in transids]
    after_ingest = _ingest_outcomes(stack)

    assert _delta(before_simulator, after_simulator, "duplicates_sent") == 3
    assert _delta(before_simulator, after_simulator, "out_of_order_transactions") == 3
    assert after_ingest["duplicate"] - before_ingest.get("duplicate", 0) == 3
    for transid, view in zip(transids, views, strict=True):
        assert stack.planned(transid)["out_of_order"] is True
        assert [entry["status"] for entry in view["timeline"]] == ["submitted", "delivered", "read"]
        assert view["status"] == "read"


def test_a_lookup_before_any_callback_asks_the_platform(stack: StackClient) -> None:
    stack.add_fault("POST /callbacks", 400, count=1)
    (transid,) = stack.send_transids(
        send_request("voice"), headers={**PLAIN, OUTCOME_HEADER: "delivered"}
    )
    stack.wait_settled()

    first, second = stack.vendor_status(transid), stack.vendor_status(transid)

    assert first.status == 200
    assert first.header("x-answer-source") == "upstream"
    assert first.json()[0]["status"] == "answered"
    assert second.header("x-answer-source") == "cache"


def test_an_unknown_transaction_is_the_vendors_7600_as_404(stack: StackClient) -> None:
    answer = stack.vendor_status("00000000-0000-4000-8000-000000000000")

    assert answer.status == 404


def test_search_by_correlation_id_finds_the_campaign(stack: StackClient) -> None:
    transids = stack.send_transids(
        send_request("email", 2, correlationid="e2e-search"),
        headers={**PLAIN, OUTCOME_HEADER: "delivered"},
    )
    for transid in transids:
        _settled_timeline(stack, transid, 2)

    page = stack.search(correlationid="e2e-search").json()

    assert {item["transactionid"] for item in page["items"]} == set(transids)


# ---- webhook outages ----------------------------------------------------------------------


def test_a_webhook_outage_is_bridged_by_the_platforms_retries(stack: StackClient) -> None:
    before = stack.simulator_stats()
    stack.add_fault("POST /callbacks", 503, count=3)
    (transid,) = stack.send_transids(
        send_request("sms"), headers={**PLAIN, OUTCOME_HEADER: "delivered"}
    )

    after = stack.wait_settled()
    view = _settled_timeline(stack, transid, 2)

    assert _delta(before, after, "retried") == 3
    assert _delta(before, after, "dropped") == 0
    assert _delta(before, after, "callbacks_delivered") == 2
    assert view["status"] == "delivered"


def test_a_callback_failing_four_times_is_dropped_and_counted(stack: StackClient) -> None:
    before = stack.simulator_stats()
    stack.add_fault("POST /callbacks", 503, count=4)
    (transid,) = stack.send_transids(
        send_request("voice"), headers={**PLAIN, OUTCOME_HEADER: "delivered"}
    )

    after = stack.wait_settled()

    assert _delta(before, after, "attempts") == 4
    assert _delta(before, after, "dropped") == 1
    assert stack.transaction(transid).json()["source"] != "callbacks"


# ---- alerts ------------------------------------------------------------------------------


def test_a_failed_delivery_alerts_by_sns_and_every_chat_webhook(stack: StackClient) -> None:
    (transid,) = stack.send_transids(
        send_request("sms", correlationid="e2e-alert"),
        headers={**PLAIN, OUTCOME_HEADER: "failed:7208"},
    )

    alerts = _alerts_about(stack, transid, 4)

    by_target = {alert["target"]: alert for alert in alerts}
    assert set(by_target) == {"sns", "chat:slack", "chat:teams", "chat:generic"}
    assert "7208" in by_target["sns"]["subject"]
    assert by_target["chat:generic"]["signature"] == "valid"
    assert _settled_timeline(stack, transid, 2)["status"] == "undelivered"


def test_a_duplicate_failure_alerts_once(stack: StackClient) -> None:
    (transid,) = stack.send_transids(
        send_request("twitter"),
        headers={QUIRKS_HEADER: "duplicates", OUTCOME_HEADER: "failed:7010"},
    )
    stack.wait_settled()
    _alerts_about(stack, transid, 4)
    # Give a second alert every chance to show up before counting.
    stats = stack.stats()
    wait_until(
        lambda: stack.stats()["queues"]["AlertsQueue"] == {"visible": 0, "in_flight": 0},
        timeout=20,
    )

    sns = [
        alert
        for alert in stack.alerts()
        if alert["target"] == "sns" and transid in alert["message"]
    ]

    assert len(sns) == 1
    assert stats["pipe"]["forwarded"] >= 1


def test_a_poison_alert_record_ends_in_the_dead_letter_queue(stack: StackClient) -> None:
    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    resources = stack.state.resources
    sqs.send_message(QueueUrl=resources["AlertsQueue"], MessageBody='{"not": "a stream record"}')

    def dead_lettered() -> list[dict[str, Any]]:
        answer = sqs.receive_message(
            QueueUrl=resources["AlertsDeadLetterQueue"], WaitTimeSeconds=1, VisibilityTimeout=0
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        return messages

    (message,) = wait_until(dead_lettered, timeout=30, interval=0.2)

    assert json.loads(message["Body"]) == {"not": "a stream record"}
    assert stack.stats()["alerts_poller"]["failed"] >= 2
    sqs.delete_message(
        QueueUrl=resources["AlertsDeadLetterQueue"], ReceiptHandle=message["ReceiptHandle"]
    )


# ---- the simulated platform's own API ----------------------------------------------------


def test_the_send_api_refuses_like_the_platform(stack: StackClient) -> None:
    wrong_key = stack.send(send_request("sms"), key="wrong")
    too_many = stack.send(send_request("sms", 1001))

    assert (wrong_key.status, wrong_key.json()["response"][0]["code"]) == (401, "7001")
    assert (too_many.status, too_many.json()["response"][0]["code"]) == (400, "7009")


def test_the_status_api_needs_the_right_key(stack: StackClient) -> None:
    (transid,) = stack.send_transids(send_request("sms"), headers=PLAIN)
    url = f"{stack.state.simulator_url}/resources/v1/messaging/status/{transid}"

    assert request("GET", url, headers={"key": "wrong"}).json()["code"] == "7601"
    assert request("GET", url).json()["code"] == "7002"
    unknown = request(
        "GET", url + "-unknown", headers={"key": stack.state.vendor_service_key}
    ).json()
    assert unknown == {"code": "7600", "description": "no results found"}


# ---- resources from the template ---------------------------------------------------------


def test_the_embedded_aws_holds_the_templates_resources(stack: StackClient) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    endpoint = stack.state.aws_endpoint_url
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    resources = stack.state.resources

    ttl = dynamodb.describe_time_to_live(TableName=resources["EventsTable"])
    redrive = json.loads(
        sqs.get_queue_attributes(
            QueueUrl=resources["AlertsQueue"], AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
    )

    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }
    assert redrive["maxReceiveCount"] == 2
    assert redrive["deadLetterTargetArn"].endswith("AlertsDeadLetterQueue")
