"""Plan what the platform reports for one destination: events, callbacks and their timing.

Pure and seedable: the same random generator state gives the same plan. A plan has the
lifecycle the platform goes through (the events, with the time each happened) and the
callbacks it posts about them (body, and when each is due), quirks applied: status
spellings that drift, three timestamp formats, a later status posted before an earlier
one, the same notification posted twice, one push fanned out to several devices.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.channels import PUSH_DEVICES, ChannelProfile, DeviceType, Failure, Report
from simulator.config import Quirks, Rates
from simulator.send_api import Recipient

# Seconds after the send (before ``pace`` scaling) at which each step happens.
SUBMITTED_AFTER = (0.1, 0.4)
OUTCOME_AFTER = (0.8, 2.0)
FOLLOW_UP_AFTER = (1.0, 3.0)
# How long after the event its callback is posted, and how late a duplicate or an
# out-of-order callback comes.
POST_LAG = (0.05, 0.3)
LATE_BY = (0.3, 1.0)

TIMESTAMP_FORMATS = ("no-zone", "zulu", "space")


@dataclass(frozen=True)
class Forced:
    """Per-request choices that override chance (simulator-only request headers)."""

    outcome: str | None = None  # "delivered", "read" or "failed"
    failure_code: str | None = None
    devices: int | None = None


@dataclass(frozen=True)
class PlannedEvent:
    step: str  # "submitted", "delivered", "read" or "failed"
    report: Report
    raw_status: str
    description: str
    occurred_at: datetime
    offset: float  # seconds after the send, pace applied


@dataclass(frozen=True)
class PlannedCallback:
    transid: str
    body: bytes
    due: float  # seconds after the send, pace applied
    event_index: int
    duplicate: bool = False


@dataclass(frozen=True)
class TransactionPlan:
    transid: str
    parent_transid: str | None
    profile: ChannelProfile
    recipient: Recipient
    destination: str  # as callbacks report it (a push token for a device)
    destination_type: str
    events: tuple[PlannedEvent, ...]
    callbacks: tuple[PlannedCallback, ...]
    out_of_order: bool

    @property
    def outcome(self) -> str:
        return self.events[-1].step

    @property
    def failed(self) -> bool:
        return self.events[-1].report.is_failure


def new_transid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def format_timestamp(instant: datetime, style: str) -> str:
    """The three shapes the platform writes ``timeStamp`` in (always UTC, zone or not)."""
    if style == "space":
        return instant.strftime("%Y-%m-%d %H:%M:%S")
    text = instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}"
    return text + "Z" if style == "zulu" else text


def _uniform(rng: random.Random, bounds: tuple[float, float], pace: float) -> float:
    return rng.uniform(*bounds) * pace


def _spelling(rng: random.Random, report: Report, quirks: Quirks) -> str:
    if quirks.spelling and len(report.spellings) > 1 and rng.random() < 0.4:
        return rng.choice(report.spellings[1:])
    return report.spellings[0]


def _choose_failure(
    rng: random.Random, profile: ChannelProfile, forced_code: str | None
) -> Failure:
    if forced_code:
        for failure in profile.failures:
            if failure.report.code == forced_code:
                return failure
        raise ValueError(f"channel {profile.name} has no failure with code {forced_code}")
    return rng.choice(profile.failures)


def _outcome(rng: random.Random, profile: ChannelProfile, rates: Rates, forced: Forced) -> str:
    if forced.outcome:
        if forced.outcome == "read" and not profile.can_read:
            return "delivered"
        return forced.outcome
    if rng.random() < rates.failure:
        return "failed"
    if profile.can_read and rng.random() < rates.read:
        return "read"
    return "delivered"


def plan_steps(
    rng: random.Random, profile: ChannelProfile, rates: Rates, forced: Forced, pace: float
) -> list[tuple[str, Report, float]]:
    """The lifecycle of one delivery: (step, report, seconds after the send)."""
    outcome = _outcome(rng, profile, rates, forced)
    failure = _choose_failure(rng, profile, forced.failure_code) if outcome == "failed" else None
    steps: list[tuple[str, Report, float]] = []
    clock = 0.0
    if profile.submitted and not (failure and failure.without_submitted):
        clock = _uniform(rng, SUBMITTED_AFTER, pace)
        steps.append(("submitted", profile.submitted, clock))
    clock += _uniform(rng, OUTCOME_AFTER, pace)
    if failure and not failure.after_delivery:
        steps.append(("failed", failure.report, clock))
        return steps
    steps.append(("delivered", profile.delivered, clock))
    if outcome == "read" and profile.read:
        clock += _uniform(rng, FOLLOW_UP_AFTER, pace)
        steps.append(("read", profile.read, clock))
    if failure:
        clock += _uniform(rng, FOLLOW_UP_AFTER, pace)
        steps.append(("failed", failure.report, clock))
    return steps


@dataclass(frozen=True)
class Device:
    device_type: DeviceType
    token: str
    device_id: str


def _token(rng: random.Random, kind: str) -> str:
    if kind == "apns":
        return "".join(rng.choice("0123456789abcdef") for _ in range(64))
    alphabet = string.ascii_letters + string.digits + "-_"
    if kind == "mozilla":
        return "https://updates.push.services.mozilla.com/push/v1/gAAAAAB" + "".join(
            rng.choice(alphabet) for _ in range(24)
        )
    prefix = "".join(rng.choice(alphabet) for _ in range(11))
    return f"{prefix}:APA91b" + "".join(rng.choice(alphabet) for _ in range(134))


def _device(rng: random.Random) -> Device:
    device_type = rng.choice(PUSH_DEVICES)
    device_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(32))
    return Device(device_type, _token(rng, device_type.token_kind), device_id)


def devices_for(
    rng: random.Random, recipient: Recipient, quirks: Quirks, rates: Rates, forced: Forced
) -> list[Device]:
    """The devices a push reaches: one for a push id, one or more for a customer."""
    if recipient.key == "pushid":
        kind = "mozilla" if recipient.value.startswith("https://") else "fcm"
        if len(recipient.value) == 64 and all(c in "0123456789abcdef" for c in recipient.value):
            kind = "apns"
        device_type = next(device for device in PUSH_DEVICES if device.token_kind == kind)
        return [Device(device_type, recipient.value, _device(rng).device_id)]
    count = forced.devices
    if count is None:
        count = (
            rng.choice((2, 3)) if quirks.multi_device and rng.random() < rates.multi_device else 1
        )
    return [_device(rng) for _ in range(max(1, count))]


def device_transids(rng: random.Random, transid: str, count: int) -> list[str]:
    """Suffixed transids, as the platform gives each device of a fanned-out push."""
    if count == 1:
        return [transid]
    if rng.random() < 0.5:
        middle = f"_{rng.randint(1000, 9999)}_{rng.randint(10000, 99999)}"
        return [f"{transid}{middle}_{index}" for index in range(1, count + 1)]
    return [f"{transid}_{index}" for index in range(1, count + 1)]


def _voice_release_xml(rng: random.Random, answered: bool) -> str:
    duration = rng.randint(5, 180) if answered else 0
    cause = "16" if answered else rng.choice(("17", "19", "21"))
    return (
        f"<ReleaseEvent><CallDuration>{duration}</CallDuration>"
        f"<ReleaseCause>{cause}</ReleaseCause></ReleaseEvent>"
    )


@dataclass(frozen=True)
class CallbackContext:
    transid: str
    profile: ChannelProfile
    destination: str
    destination_type: str
    correlationid: str
    callback_data: str
    device: Device | None


def callback_body(
    rng: random.Random, context: CallbackContext, event: PlannedEvent, quirks: Quirks
) -> bytes:
    """One ``deliveryInfoNotification`` in the samples' shape and field order."""
    profile, report = context.profile, event.report
    style = "no-zone"
    if quirks.timestamps:
        if context.device and context.device.device_type.web and event.step != "submitted":
            style = "space"
        else:
            style = rng.choices(TIMESTAMP_FORMATS, weights=(6, 2, 2))[0]
    channel = profile.callback_channel
    if profile.name == "rt" and event.step == "read" and rng.random() < 0.5:
        channel = "appmessaging"
    info: dict[str, Any] = {"deliveryChannel": channel}
    failure_fields = profile.empty_device_fields_on_failure and report.is_failure
    if context.device:
        info["pushId"] = context.device.token
    elif failure_fields:
        info["pushId"] = ""
    info["Description"] = event.description
    info["destinationType"] = report.destination_type or context.destination_type
    info["timeStamp"] = format_timestamp(event.occurred_at, style)
    info.update({key: value for key, value in report.extra.items() if key == "additional_info"})
    info["code"] = report.code
    info.update({key: value for key, value in report.extra.items() if key != "additional_info"})
    info["deliveryStatus"] = event.raw_status
    if context.device and not context.device.device_type.web:
        info["deviceid"] = context.device.device_id
    elif failure_fields or (profile.name == "rt" and event.step != "submitted"):
        info["deviceid"] = "" if failure_fields else "355004057394234"
    info["destination"] = context.destination
    if channel == "appmessaging":
        info["interaction"] = {
            "Button_Pressed": "SUBSCRIBE",
            "MessageRef": str(rng.randint(10**8, 10**9)),
        }
    notification: dict[str, Any] = {
        "deliveryInfo": info,
        "correlationid": context.correlationid,
        "callbackData": context.callback_data,
        "transid": context.transid,
    }
    if report.has_subtid:
        notification = {"deliveryInfo": info, "subtid": new_transid(rng), **notification}
    body: dict[str, Any] = {}
    if profile.name == "voice":
        body["deliveryTransInfo"] = _voice_release_xml(rng, not report.is_failure)
    body["deliveryInfoNotification"] = notification
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _schedule(
    rng: random.Random,
    transid: str,
    bodies: Sequence[bytes],
    offsets: Sequence[float],
    quirks: Quirks,
    rates: Rates,
    pace: float,
) -> tuple[list[PlannedCallback], bool]:
    callbacks = [
        PlannedCallback(transid, body, offset + _uniform(rng, POST_LAG, pace), index)
        for index, (body, offset) in enumerate(zip(bodies, offsets, strict=True))
    ]
    out_of_order = False
    if quirks.out_of_order and len(callbacks) > 1 and rng.random() < rates.out_of_order:
        # An earlier status arrives after a later one (a late "Submitted").
        index = rng.randrange(len(callbacks) - 1)
        early, late = callbacks[index], callbacks[index + 1]
        callbacks[index] = PlannedCallback(
            transid, early.body, late.due + _uniform(rng, LATE_BY, pace), early.event_index
        )
        out_of_order = True
    if quirks.duplicates and rng.random() < rates.duplicate:
        original = rng.choice(callbacks)
        callbacks.append(
            PlannedCallback(
                transid,
                original.body,
                original.due + _uniform(rng, LATE_BY, pace),
                original.event_index,
                duplicate=True,
            )
        )
    callbacks.sort(key=lambda callback: callback.due)
    return callbacks, out_of_order


def plan_recipient(
    rng: random.Random,
    profile: ChannelProfile,
    recipient: Recipient,
    *,
    transid: str,
    callback_data: str,
    sent_at: datetime,
    quirks: Quirks,
    rates: Rates,
    pace: float,
    forced: Forced | None = None,
) -> list[TransactionPlan]:
    """Every delivery one destination leads to (several for a push to many devices)."""
    forced = forced or Forced()
    if profile.name == "push":
        devices: list[Device | None] = list(devices_for(rng, recipient, quirks, rates, forced))
    else:
        devices = [None]
    transids = device_transids(rng, transid, len(devices))
    plans: list[TransactionPlan] = []
    for device, device_transid in zip(devices, transids, strict=True):
        destination = device.token if device else recipient.value
        destination_type = (
            device.device_type.destination_type if device else profile.destination_type
        )
        events = [
            PlannedEvent(
                step=step,
                report=report,
                raw_status=_spelling(rng, report, quirks),
                description=rng.choice(report.descriptions).format(destination=destination),
                occurred_at=sent_at + timedelta(seconds=offset),
                offset=offset,
            )
            for step, report, offset in plan_steps(rng, profile, rates, forced, pace)
        ]
        context = CallbackContext(
            transid=device_transid,
            profile=profile,
            destination=destination,
            destination_type=destination_type,
            correlationid=recipient.correlationid,
            callback_data=callback_data,
            device=device,
        )
        bodies = [callback_body(rng, context, event, quirks) for event in events]
        callbacks, out_of_order = _schedule(
            rng, device_transid, bodies, [event.offset for event in events], quirks, rates, pace
        )
        plans.append(
            TransactionPlan(
                transid=device_transid,
                parent_transid=transid if device_transid != transid else None,
                profile=profile,
                recipient=recipient,
                destination=destination,
                destination_type=destination_type,
                events=tuple(events),
                callbacks=tuple(callbacks),
                out_of_order=out_of_order,
            )
        )
    return plans
