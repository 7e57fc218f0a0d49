"""Alerts and digests as people read them: SNS text, Slack, Teams and a signed JSON event.

Pure functions of the notice: the same alert renders the same bytes on every retry, so a
receiver that de-duplicates on content or on the message id sees one alert.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from alerts.model import Alert, Digest, DigestLine, Notice
from alerts.origins import (
    NO_RECEIPT_STATUS_LABEL,
    horizon_hours,
    hours_label,
    no_receipt_intro,
    no_receipt_meaning,
    source_label,
)
from receipts.channels import Channel
from receipts.codes.lookup import resolve_code
from receipts.lifecycle import EventOrigin
from receipts.masking import mask_destination, mask_text
from receipts.storage.event_store import StoredEvent
from receipts.timestamps import UNKNOWN_INSTANT, isoformat_millis

# SNS refuses a subject longer than 100 characters, or one with line breaks or non-ASCII.
SUBJECT_LIMIT = 100
# callbackData may be up to ~2000 characters; an alert only needs enough to recognise it.
CALLBACK_DATA_LIMIT = 500
SLACK_HEADER_LIMIT = 150
NONE_SHOWN = "(none)"

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.SMS: "SMS",
    Channel.VOICE: "Voice",
    Channel.RTM: "RTM (in-app)",
    Channel.PUSH: "Push",
    Channel.FACEBOOK: "Facebook Messenger",
    Channel.TWITTER: "Twitter",
    Channel.WECHAT: "WeChat",
    Channel.EMAIL: "Email",
    Channel.UNKNOWN: "Unknown channel",
}

ALERT_EVENT_TYPE = "delivery.failed"
# A closure at the horizon is no failure: receivers that act on failures must not mistake it.
NO_RECEIPT_EVENT_TYPE = "delivery.no_final_receipt"
DIGEST_EVENT_TYPE = "delivery.failed.digest"


def lookup_url(base_url: str, transid: str) -> str:
    """The lookup API's timeline of one transaction; empty when no base URL is set."""
    if not base_url:
        return ""
    return f"{base_url}/v1/transactions/{quote(transid, safe='')}"


def build_alert(stored: StoredEvent, lookup_base_url: str) -> Alert:
    event = stored.event
    info = resolve_code(event.code, event.channel, event.status)
    vendor_description = mask_text(event.description)
    hours = horizon_hours(event)
    if event.origin is EventOrigin.HORIZON:
        # No code to explain: the closure's meaning is that none came.
        code_message, code_description = "", no_receipt_meaning(hours)
    elif info.known:
        code_message, code_description = info.message, info.description
    else:
        code_message, code_description = vendor_description or info.message, info.description
    callback_data = mask_text(event.callback_data)
    if len(callback_data) > CALLBACK_DATA_LIMIT:
        callback_data = callback_data[: CALLBACK_DATA_LIMIT - 3] + "..."
    return Alert(
        transid=event.transid,
        status=event.status,
        raw_status=event.raw_status,
        channel=event.channel,
        raw_channel=event.raw_channel,
        destination=mask_destination(event.destination),
        destination_type=event.destination_type,
        code=event.code,
        raw_code=event.raw_code,
        code_message=code_message,
        code_description=code_description,
        classification=event.classification,
        occurred_at=None if event.occurred_at == UNKNOWN_INSTANT else event.occurred_at,
        received_at=stored.received_at,
        correlationid=event.correlationid,
        callback_data=callback_data,
        lookup_url=lookup_url(lookup_base_url, event.transid),
        origin=event.origin,
        horizon_hours=hours,
    )


# ---- shared wording -----------------------------------------------------------------------


def channel_label(channel: Channel, raw: str = "") -> str:
    if channel is Channel.UNKNOWN and raw:
        return raw
    return CHANNEL_LABELS[channel]


def _status_label(alert: Alert) -> str:
    if alert.is_no_final_receipt:
        return NO_RECEIPT_STATUS_LABEL
    label = alert.status.value.replace("_", " ")
    if alert.raw_status and alert.raw_status.strip().lower() != label:
        return f'{label} (reported as "{alert.raw_status}")'
    return label


def _code_label(alert: Alert) -> str:
    if alert.code is None:
        return f"{alert.raw_code} {alert.code_message}" if alert.raw_code else NONE_SHOWN
    return f"{alert.code} {alert.code_message}"


def _line_label(line: DigestLine) -> str:
    if line.is_no_final_receipt:
        return f"{channel_label(line.channel)} / {NO_RECEIPT_STATUS_LABEL}"
    code = "no code" if line.code is None else str(line.code)
    meaning = resolve_code(line.code, line.channel, line.status)
    message = f" {meaning.message}" if meaning.known else ""
    status = line.status.value.replace("_", " ")
    return f"{channel_label(line.channel)} / {status} / {code}{message}"


def _time_label(alert: Alert) -> str:
    if alert.occurred_at is None:
        return f"unknown (received {isoformat_millis(alert.received_at)})"
    return isoformat_millis(alert.occurred_at)


def _destination_label(alert: Alert) -> str:
    if not alert.destination:
        return NONE_SHOWN
    if alert.destination_type:
        return f"{alert.destination} ({alert.destination_type})"
    return alert.destination


def _window_label(digest: Digest) -> str:
    start, end = digest.window.start, digest.window.end
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M:%S}-{end:%H:%M:%S} UTC"
    return f"{start:%Y-%m-%d %H:%M:%S} - {end:%Y-%m-%d %H:%M:%S} UTC"


def _facts(alert: Alert) -> list[tuple[str, str]]:
    """The alert's details in reading order, as (label, value) pairs."""
    meaning = alert.code_description or NONE_SHOWN
    source = source_label(alert)
    return [
        ("Channel", channel_label(alert.channel, alert.raw_channel)),
        ("Destination", _destination_label(alert)),
        ("Status", _status_label(alert)),
        ("Code", _code_label(alert)),
        ("Meaning", f"{meaning} [{alert.classification.value}]"),
        ("Time", _time_label(alert)),
        # Callbacks show no source: their alerts read exactly as before reconciliation.
        *([("Source", source)] if source else []),
        ("Transaction id", alert.transid),
        ("Correlation id", alert.correlationid or NONE_SHOWN),
        ("Callback data", alert.callback_data or NONE_SHOWN),
    ]


def _ascii_line(text: str) -> str:
    printable = "".join(char if " " <= char <= "~" else " " for char in text)
    return " ".join(printable.split())


def subject(notice: Notice) -> str:
    """A one-line summary that fits an SNS subject (ASCII, at most 100 characters)."""
    if isinstance(notice, Digest):
        text = f"Delivery failure storm: {notice.alerts:,} failures, {_window_label(notice)}"
    elif notice.is_no_final_receipt:
        text = _no_receipt_subject(notice)
    else:
        channel = channel_label(notice.channel, notice.raw_channel)
        status = notice.status.value.replace("_", " ")
        text = f"Delivery failed: {channel} {status}, {_code_label(notice)}"
    line = _ascii_line(text)
    if len(line) > SUBJECT_LIMIT:
        line = line[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return line


def _no_receipt_subject(alert: Alert) -> str:
    channel = channel_label(alert.channel, alert.raw_channel)
    to = f" to {alert.destination}" if alert.destination else ""
    after = f" after {hours_label(alert.horizon_hours)} h" if alert.horizon_hours else ""
    return f"No final receipt: {channel}{to}{after}"


def text(notice: Notice) -> str:
    """The plain-text body (SNS email and SMS subscribers read this)."""
    if isinstance(notice, Digest):
        return _digest_text(notice)
    width = max(len(label) for label, _ in _facts(notice)) + 2
    intro = (
        no_receipt_intro(notice.horizon_hours)
        if notice.is_no_final_receipt
        else "A message could not be delivered."
    )
    lines = [intro, ""]
    lines += [f"{label + ':':<{width}} {value}" for label, value in _facts(notice)]
    if notice.lookup_url:
        lines += ["", f"Look it up: {notice.lookup_url}"]
    return "\n".join(lines) + "\n"


def _digest_text(digest: Digest) -> str:
    lines = [
        f"{digest.alerts:,} failed deliveries in {_window_label(digest)} were too many to "
        "alert one by one; here they are together.",
        "",
        "By channel, status and code:",
    ]
    width = max((len(f"{line.count:,}") for line in digest.lines), default=1)
    lines += [f"  {line.count:>{width},}  {_line_label(line)}" for line in digest.lines]
    if digest.examples:
        lines += ["", "Examples:"]
        lines += [
            f"  {example.transid}  {example.lookup_url}".rstrip() for example in digest.examples
        ]
    lines += ["", f"Failures counted in this window so far: {digest.window_alerts:,}."]
    return "\n".join(lines) + "\n"


def sns_attributes(notice: Notice) -> dict[str, str]:
    """Message attributes, so subscribers can filter (for instance email only for digests)."""
    if isinstance(notice, Digest):
        return {"kind": "digest"}
    attributes = {"kind": "alert", "channel": notice.channel.value, "status": notice.status.value}
    if notice.code is not None:
        attributes["code"] = str(notice.code)
    if notice.origin is not EventOrigin.CALLBACK:
        # Absent means a callback, as in the table: subscribers' filters on callbacks stand.
        attributes["origin"] = notice.origin.value
    return attributes


# ---- Slack ------------------------------------------------------------------------------


def _slack_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, label: str) -> str:
    return f"<{url}|{_slack_escape(label)}>"


def slack_payload(notice: Notice) -> dict[str, Any]:
    """An incoming-webhook message: ``text`` for notifications, blocks for the channel."""
    title = subject(notice)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:SLACK_HEADER_LIMIT]}}
    ]
    if isinstance(notice, Digest):
        summary = "\n".join(
            f"*{line.count:,}*  {_slack_escape(_line_label(line))}" for line in notice.lines
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary}})
        if notice.examples:
            examples = "\n".join(
                _slack_link(example.lookup_url, example.transid)
                if example.lookup_url
                else f"`{_slack_escape(example.transid)}`"
                for example in notice.examples
            )
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*Examples*\n{examples}"}}
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Failures counted in this window so far: {notice.window_alerts:,}",
                    }
                ],
            }
        )
        return {"text": title, "blocks": blocks}
    facts = _facts(notice)
    # A section holds at most 10 fields; the free-text callback data gets its own section.
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_slack_escape(value)}"}
        for label, value in facts
        if label != "Callback data"
    ]
    blocks.append({"type": "section", "fields": fields})
    if notice.callback_data:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*Callback data*\n{_slack_escape(notice.callback_data)}",
                },
            }
        )
    if notice.lookup_url:
        link = _slack_link(notice.lookup_url, "Look up the transaction")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    return {"text": title, "blocks": blocks}


# ---- Microsoft Teams --------------------------------------------------------------------


def _teams_color(notice: Notice) -> str:
    # A closure without a receipt is a warning: nothing is known to have failed.
    return "Warning" if isinstance(notice, Alert) and notice.is_no_final_receipt else "Attention"


def teams_payload(notice: Notice) -> dict[str, Any]:
    """An Adaptive Card in the message envelope Teams workflows and connectors accept."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Medium",
            "weight": "Bolder",
            "color": _teams_color(notice),
            "wrap": True,
            "text": subject(notice),
        }
    ]
    actions: list[dict[str, Any]] = []
    if isinstance(notice, Digest):
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": f"{line.count:,}", "value": _line_label(line)}
                    for line in notice.lines
                ],
            }
        )
        if notice.examples:
            body.append(
                {
                    "type": "TextBlock",
                    "wrap": True,
                    "text": "Examples: " + ", ".join(e.transid for e in notice.examples),
                }
            )
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "isSubtle": True,
                "text": f"Failures counted in this window so far: {notice.window_alerts:,}",
            }
        )
        if notice.examples and notice.examples[0].lookup_url:
            actions.append(
                {
                    "type": "Action.OpenUrl",
                    "title": "Look up an example",
                    "url": notice.examples[0].lookup_url,
                }
            )
    else:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in _facts(notice)],
            }
        )
        if notice.lookup_url:
            actions.append(
                {
                    "type": "Action.OpenUrl",
                    "title": "Look up the transaction",
                    "url": notice.lookup_url,
                }
            )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# ---- generic signed webhook -------------------------------------------------------------


def webhook_event(notice: Notice) -> dict[str, Any]:
    """The generic webhook's JSON: ``type``, ``timestamp`` and ``data``, as Standard Webhooks
    recommends. Field names follow the vendor's callbacks where they overlap."""
    if isinstance(notice, Digest):
        return {
            "type": DIGEST_EVENT_TYPE,
            "timestamp": isoformat_millis(notice.created_at),
            "data": {
                "window": {
                    "start": isoformat_millis(notice.window.start),
                    "end": isoformat_millis(notice.window.end),
                    "seconds": notice.window.seconds,
                },
                "sequence": notice.sequence,
                "alerts": notice.alerts,
                "windowAlerts": notice.window_alerts,
                "byChannelAndCode": [_webhook_line(line) for line in notice.lines],
                "examples": [
                    {"transid": example.transid, "lookupUrl": example.lookup_url}
                    for example in notice.examples
                ],
            },
        }
    data: dict[str, Any] = {
        "transid": notice.transid,
        "channel": notice.channel.value,
        "deliveryChannel": notice.raw_channel,
        "status": notice.status.value,
        "deliveryStatus": notice.raw_status,
        "code": notice.code,
        "codeMessage": notice.code_message,
        "codeDescription": notice.code_description,
        "classification": notice.classification.value,
        "destination": notice.destination,
        "destinationType": notice.destination_type,
        "occurredAt": isoformat_millis(notice.occurred_at) if notice.occurred_at else None,
        "receivedAt": isoformat_millis(notice.received_at),
        "correlationid": notice.correlationid,
        "callbackData": notice.callback_data,
        "lookupUrl": notice.lookup_url,
    }
    if notice.origin is not EventOrigin.CALLBACK:
        # Absent means a callback, as in the table: a callback's event keeps its bytes.
        data["origin"] = notice.origin.value
    if notice.is_no_final_receipt:
        data["horizonHours"] = notice.horizon_hours
    return {
        "type": NO_RECEIPT_EVENT_TYPE if notice.is_no_final_receipt else ALERT_EVENT_TYPE,
        "timestamp": isoformat_millis(notice.received_at),
        "data": data,
    }


def _webhook_line(line: DigestLine) -> dict[str, Any]:
    counted: dict[str, Any] = {
        "channel": line.channel.value,
        "status": line.status.value,
        "code": line.code,
        "count": line.count,
    }
    if line.is_no_final_receipt:
        counted["origin"] = EventOrigin.HORIZON.value
    return counted
