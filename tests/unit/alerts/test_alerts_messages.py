"""How alerts and digests read in SNS, Slack, Teams and the generic webhook."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.unit.alerts.doubles import EVENTS_DIR
from tests.unit.alerts.reconciled_samples import horizon_closure, status_api_failure

from alerts import messages
from alerts.model import Alert, Digest, DigestExample, DigestLine, StormWindow
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.models.callback import DeliveryEvent, parse_callback
from receipts.storage.event_store import StoredEvent

RECEIVED_AT = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
BASE_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com"


def _alert(sample: str, **changes: object) -> Alert:
    event = parse_callback((EVENTS_DIR / "callbacks" / f"{sample}.json").read_bytes())
    if changes:
        event = replace(event, **changes)  # type: ignore[arg-type]
    return messages.build_alert(StoredEvent(event, RECEIVED_AT, None), BASE_URL)


def _digest() -> Digest:
    window = StormWindow.containing(RECEIVED_AT, 300)
    return Digest(
        window=window,
        sequence=0,
        alerts=9_980,
        lines=(
            DigestLine(Channel.SMS, DeliveryStatus.UNDELIVERED, 7208, 9_000),
            DigestLine(Channel.EMAIL, DeliveryStatus.BOUNCED, 7520, 979),
            DigestLine(Channel.PUSH, DeliveryStatus.FAILED, None, 1),
        ),
        examples=(DigestExample("tx-1", messages.lookup_url(BASE_URL, "tx-1")),),
        window_alerts=10_000,
        created_at=RECEIVED_AT,
    )


# ---- the alert's content ---------------------------------------------------------------------


def test_the_sns_body_tells_everything_about_the_failure() -> None:
    alert = _alert("30-twitter-failed")

    body = messages.text(alert)

    for expected in (
        "Channel:",
        "Twitter",
        "Status:",
        "failed",
        "Code:",
        "7010 Service provider exception.",
        "Meaning:",
        "refused the message",
        "Time:",
        "2016-07-26T02:47:19.643Z",
        "Transaction id:",
        "3c667385-5463-4d96-aa8e-59e48b3cf832",
        "Correlation id:",
        "59e48b3cf832-3c667385-5463-4d96-aa8e",
        "Callback data:",
        "return callbackdata",
        f"{BASE_URL}/v1/transactions/3c667385-5463-4d96-aa8e-59e48b3cf832",
    ):
        assert expected in body


def test_the_destination_is_masked_everywhere() -> None:
    alert = _alert("03-sms-un-delivered")
    rendered = [
        messages.text(alert),
        messages.subject(alert),
        json.dumps(messages.slack_payload(alert)),
        json.dumps(messages.teams_payload(alert)),
        json.dumps(messages.webhook_event(alert)),
    ]

    assert alert.destination.endswith("0001")
    assert "910000000001" not in "".join(rendered)
    assert all(alert.destination in text for text in rendered[:1] + rendered[2:])


def test_emails_and_phone_numbers_in_callback_data_are_masked_and_long_data_cut() -> None:
    alert = _alert(
        "36-email-bounce",
        callback_data="order 42 for jane.doe@example.com +14155550123 " + "x" * 1000,
    )

    assert "jane.doe@example.com" not in alert.callback_data
    assert "4155550123" not in alert.callback_data
    assert "0123" in alert.callback_data
    assert len(alert.callback_data) == messages.CALLBACK_DATA_LIMIT
    assert alert.callback_data.endswith("...")


def test_the_code_meaning_depends_on_channel_and_status() -> None:
    alert = _alert("03-sms-un-delivered")

    assert alert.code == 7208
    assert alert.code_message == "Message expired"  # not "Source ip is not white listed"
    assert alert.status is DeliveryStatus.UNDELIVERED
    assert 'undelivered (reported as "Un-Delivered")' in messages.text(alert)


def test_an_unknown_code_shows_what_the_platform_said() -> None:
    alert = _alert("04-sms-failed", code=9999, raw_code="9999", description="Carrier said no")

    assert alert.code_message == "Carrier said no"
    assert "9999 Carrier said no" in messages.text(alert)


def test_a_missing_timestamp_shows_when_the_callback_was_received() -> None:
    alert = _alert("04-sms-failed", occurred_at=datetime(1970, 1, 1, tzinfo=UTC))

    assert "unknown (received 2024-05-01T10:00:00.000Z)" in messages.text(alert)


def test_the_lookup_url_escapes_the_transid() -> None:
    assert messages.lookup_url(BASE_URL, "a/b c#1") == f"{BASE_URL}/v1/transactions/a%2Fb%20c%231"
    assert messages.lookup_url("", "tx") == ""


# ---- subjects --------------------------------------------------------------------------------


def test_the_subject_is_a_readable_line() -> None:
    assert messages.subject(_alert("03-sms-un-delivered")) == (
        "Delivery failed: SMS undelivered, 7208 Message expired"
    )


@pytest.mark.parametrize(
    "raw_channel", ["x" * 300, "canal\u00e9 \u2013 long\nwith a line break\tand tabs " * 5]
)
def test_the_subject_fits_sns_whatever_the_input(raw_channel: str) -> None:
    alert = replace(_alert("04-sms-failed"), channel=Channel.UNKNOWN, raw_channel=raw_channel)

    subject = messages.subject(alert)

    assert len(subject) <= 100
    assert subject.isascii()
    assert subject.isprintable()
    assert subject.startswith("Delivery failed: ")


def test_a_digest_subject_says_how_many_and_when() -> None:
    assert messages.subject(_digest()) == (
        "Delivery failure storm: 9,980 failures, 2024-05-01 10:00:00-10:05:00 UTC"
    )


# ---- chat formats ----------------------------------------------------------------------------


def test_slack_gets_a_notification_text_and_blocks_with_escaped_values() -> None:
    alert = replace(_alert("30-twitter-failed"), callback_data="<script> & more")

    payload = messages.slack_payload(alert)

    assert payload["text"] == messages.subject(alert)
    header, facts, callback, link = payload["blocks"]
    assert header["type"] == "header"
    assert len(facts["fields"]) <= 10
    assert any("3c667385-5463-4d96-aa8e-59e48b3cf832" in field["text"] for field in facts["fields"])
    assert callback["text"]["text"] == "*Callback data*\n&lt;script&gt; &amp; more"
    assert link["elements"][0]["text"].startswith(f"<{BASE_URL}/v1/transactions/")


def test_teams_gets_an_adaptive_card_with_the_facts_and_a_lookup_button() -> None:
    alert = _alert("30-twitter-failed")

    payload = messages.teams_payload(alert)

    attachment = payload["attachments"][0]
    assert payload["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts["Transaction id"] == "3c667385-5463-4d96-aa8e-59e48b3cf832"
    assert facts["Code"] == "7010 Service provider exception."
    assert card["actions"][0]["url"] == alert.lookup_url


def test_the_generic_event_carries_the_alert_as_data() -> None:
    alert = _alert("37-email-complaint")

    event = messages.webhook_event(alert)

    assert event["type"] == "delivery.failed"
    assert event["timestamp"] == "2024-05-01T10:00:00.000Z"
    data = event["data"]
    assert data["transid"] == "4b72d8a2-290d-49e2-993e-3bd8edf31c81"
    assert (data["channel"], data["status"], data["code"]) == ("email", "complaint", 7521)
    assert data["deliveryStatus"] == "Complaint"
    assert data["lookupUrl"] == alert.lookup_url
    json.dumps(event)  # serialisable as is


def test_the_message_id_is_stable_per_transaction_and_status() -> None:
    first, again = _alert("36-email-bounce"), _alert("36-email-bounce")
    other = _alert("37-email-complaint")

    assert first.message_id == again.message_id
    assert first.message_id != other.message_id
    assert first.message_id.startswith("msg_")


# ---- digests ---------------------------------------------------------------------------------


def test_a_digest_reads_as_counts_by_channel_and_code_with_examples() -> None:
    body = messages.text(_digest())

    assert "9,980 failed deliveries in 2024-05-01 10:00:00-10:05:00 UTC" in body
    assert "9,000  SMS / undelivered / 7208 Message expired" in body
    assert "979  Email / bounced / 7520 Bounce" in body
    assert "1  Push / failed / no code" in body
    assert f"tx-1  {BASE_URL}/v1/transactions/tx-1" in body
    assert "10,000" in body


def test_a_digest_renders_for_every_chat_format() -> None:
    digest = _digest()

    slack = messages.slack_payload(digest)
    teams = messages.teams_payload(digest)
    generic = messages.webhook_event(digest)

    assert "*9,000*  SMS / undelivered / 7208 Message expired" in slack["blocks"][1]["text"]["text"]
    facts = teams["attachments"][0]["content"]["body"][1]["facts"]
    assert facts[0] == {"title": "9,000", "value": "SMS / undelivered / 7208 Message expired"}
    assert generic["type"] == "delivery.failed.digest"
    assert generic["data"]["alerts"] == 9_980
    assert generic["data"]["byChannelAndCode"][1] == {
        "channel": "email",
        "status": "bounced",
        "code": 7520,
        "count": 979,
    }
    assert messages.sns_attributes(digest) == {"kind": "digest"}


# ---- events the reconcile sweep stored -------------------------------------------------------


def _reconciled(event: DeliveryEvent) -> Alert:
    return messages.build_alert(StoredEvent(event, RECEIVED_AT, None), BASE_URL)


def test_a_callback_alert_says_nothing_of_its_origin() -> None:
    alert = _alert("04-sms-failed")

    assert alert.origin is EventOrigin.CALLBACK
    assert "Source" not in messages.text(alert)
    assert "origin" not in messages.sns_attributes(alert)
    assert "origin" not in messages.webhook_event(alert)["data"]


def test_a_failure_the_status_api_told_is_a_failure_found_by_reconciliation() -> None:
    alert = _reconciled(status_api_failure())

    source = "status API, asked by reconciliation (callbacks were not received)"
    assert alert.origin is EventOrigin.STATUS_API
    assert messages.subject(alert) == "Delivery failed: SMS failed, 7200 Unknown Status"
    assert f"Source:          {source}\n" in messages.text(alert)
    fields = messages.slack_payload(alert)["blocks"][1]["fields"]
    assert {"type": "mrkdwn", "text": f"*Source*\n{source}"} in fields
    assert len(fields) <= 10
    card = messages.teams_payload(alert)["attachments"][0]["content"]
    assert {"title": "Source", "value": source} in card["body"][1]["facts"]
    assert messages.sns_attributes(alert) == {
        "kind": "alert",
        "channel": "sms",
        "status": "failed",
        "code": "7200",
        "origin": "status_api",
    }
    event = messages.webhook_event(alert)
    assert event["type"] == "delivery.failed"
    assert event["data"]["origin"] == "status_api"


def test_a_horizon_closure_reads_as_no_final_receipt_not_as_a_failure() -> None:
    alert = _reconciled(horizon_closure())

    subject = messages.subject(alert)
    body = messages.text(alert)

    assert alert.origin is EventOrigin.HORIZON
    assert subject == "No final receipt: SMS to ********5526 after 72 h"
    assert body.startswith("No final receipt came for a message within 72 h;")
    assert "Status:          no final receipt\n" in body
    assert "Source:          reconciliation, closed at the 72 h horizon\n" in body
    assert "Code:            (none)\n" in body
    for rendered in (subject, body):
        assert "failed" not in rendered.lower()
        assert "unknown code" not in rendered.lower()
    assert "919908505526" not in body


def test_a_horizon_closure_reads_as_no_final_receipt_in_every_target_format() -> None:
    alert = _reconciled(horizon_closure())
    subject = "No final receipt: SMS to ********5526 after 72 h"

    slack = messages.slack_payload(alert)
    card = messages.teams_payload(alert)["attachments"][0]["content"]
    event = messages.webhook_event(alert)

    assert slack["text"] == subject
    assert slack["blocks"][0]["text"]["text"] == subject
    assert {"type": "mrkdwn", "text": "*Status*\nno final receipt"} in slack["blocks"][1]["fields"]
    assert card["body"][0]["text"] == subject
    assert card["body"][0]["color"] == "Warning"
    assert {"title": "Status", "value": "no final receipt"} in card["body"][1]["facts"]
    assert messages.sns_attributes(alert) == {
        "kind": "alert",
        "channel": "sms",
        "status": "unknown",
        "origin": "horizon",
    }
    assert event["type"] == "delivery.no_final_receipt"
    data = event["data"]
    assert (data["status"], data["code"], data["origin"]) == ("unknown", None, "horizon")
    assert data["horizonHours"] == 72.0
    assert data["destination"] == "********5526"
    json.dumps(event)  # serialisable as is


def test_a_horizon_subject_leaves_out_what_the_closure_does_not_know() -> None:
    bare = _reconciled(horizon_closure(channel="", destination="", hours=1.5))

    assert messages.subject(bare) == "No final receipt: Unknown channel after 1.5 h"


def test_a_horizon_closure_without_its_hours_still_reads_as_no_final_receipt() -> None:
    event = horizon_closure()
    payload = event.payload
    del payload["horizon"]
    alert = _reconciled(replace(event, raw_body=json.dumps(payload).encode()))

    assert alert.horizon_hours is None
    assert messages.subject(alert) == "No final receipt: SMS to ********5526"
    assert "closed at the horizon" in messages.text(alert)


def test_horizon_closures_in_a_digest_are_counted_as_no_final_receipt() -> None:
    digest = replace(
        _digest(),
        lines=(
            DigestLine(Channel.SMS, DeliveryStatus.UNDELIVERED, 7208, 9_000),
            DigestLine(Channel.SMS, DeliveryStatus.UNKNOWN, None, 979),
        ),
    )

    body = messages.text(digest)
    slack = messages.slack_payload(digest)["blocks"][1]["text"]["text"]
    facts = messages.teams_payload(digest)["attachments"][0]["content"]["body"][1]["facts"]
    lines = messages.webhook_event(digest)["data"]["byChannelAndCode"]

    assert "979  SMS / no final receipt\n" in body
    assert "*979*  SMS / no final receipt" in slack
    assert facts[1] == {"title": "979", "value": "SMS / no final receipt"}
    assert lines[1] == {
        "channel": "sms",
        "status": "unknown",
        "code": None,
        "count": 979,
        "origin": "horizon",
    }
    assert "origin" not in lines[0]
    assert "unknown" not in body
