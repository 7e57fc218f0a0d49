"""The simulator speaks the platform's language: every report means to the product what it
means on the platform (a failure is a failure, a delivery a delivery), per channel."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from receipts.channels import Channel, canonical_channel
from receipts.lifecycle import DeliveryStatus, canonical_status
from receipts.models.callback import parse_callback
from simulator.channels import PROFILES, ChannelProfile, Report, profile_for
from simulator.config import Quirks
from simulator.lifecycle import CallbackContext, PlannedEvent, callback_body

EXPECTED_CHANNEL = {
    "sms": Channel.SMS,
    "voice": Channel.VOICE,
    "rt": Channel.RTM,
    "push": Channel.PUSH,
    "fb": Channel.FACEBOOK,
    "twitter": Channel.TWITTER,
    "wechat": Channel.WECHAT,
    "email": Channel.EMAIL,
}

# The vendor's channel table (seed 003): the statuses each channel can report, canonical.
SEED_TABLE = {
    "sms": {"submitted", "delivered", "undelivered", "failed", "expired"},
    "voice": {"answered", "rejected"},
    "rt": {"submitted", "delivered", "read", "failed"},
    "push": {"submitted", "delivered", "read", "failed"},
    # The samples also show a Facebook "Read".
    "fb": {"submitted", "delivered", "read", "failed"},
    "twitter": {"delivered", "failed"},
    "wechat": {"delivered", "failed"},
    # Invalid, Bounced, Complaint, Not verified; and Failed (unsubscribed) from the samples.
    "email": {
        "submitted",
        "delivered",
        "not_verified",
        "invalid_address",
        "bounced",
        "complaint",
        "failed",
    },
}


def _reports(profile: ChannelProfile) -> list[tuple[str, Report]]:
    reports = [("delivered", profile.delivered)]
    if profile.submitted:
        reports.append(("submitted", profile.submitted))
    if profile.read:
        reports.append(("read", profile.read))
    reports.extend(("failed", failure.report) for failure in profile.failures)
    return reports


def _body(profile: ChannelProfile, step: str, report: Report, spelling: str) -> bytes:
    event = PlannedEvent(
        step=step,
        report=report,
        raw_status=spelling,
        description=report.descriptions[0].format(destination="x@example.com"),
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        offset=0.0,
    )
    context = CallbackContext(
        transid="tx-1",
        profile=profile,
        destination="dest",
        destination_type=profile.destination_type,
        correlationid="corr",
        callback_data="data",
        device=None,
    )
    return callback_body(random.Random(1), context, event, Quirks.none())


CASES = [
    (profile, step, report, spelling)
    for profile in PROFILES
    for step, report in _reports(profile)
    for spelling in report.spellings
]


@pytest.mark.parametrize(
    ("profile", "step", "report", "spelling"),
    CASES,
    ids=[f"{p.name}-{s}-{r.code}-{sp}" for p, s, r, sp in CASES],
)
def test_every_report_means_the_same_to_the_product(
    profile: ChannelProfile, step: str, report: Report, spelling: str
) -> None:
    event = parse_callback(_body(profile, step, report, spelling))

    assert event.channel is EXPECTED_CHANNEL[profile.name]
    assert event.status is not DeliveryStatus.UNKNOWN
    assert event.is_failure is (step == "failed")
    assert event.code == int(report.code)
    assert event.status.value in SEED_TABLE[profile.name] | {"rejected", "expired"}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_each_channel_reports_only_what_the_vendor_table_lists(profile: ChannelProfile) -> None:
    reported = {
        canonical_status(spelling).value
        for _, report in _reports(profile)
        for spelling in report.spellings
    }

    assert reported <= SEED_TABLE[profile.name]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_callback_channel_spelling_is_the_vendors(profile: ChannelProfile) -> None:
    body = json.loads(
        _body(profile, "delivered", profile.delivered, profile.delivered.spellings[0])
    )

    assert body["deliveryInfoNotification"]["deliveryInfo"]["deliveryChannel"] == (
        profile.callback_channel
    )
    assert canonical_channel(profile.callback_channel) is EXPECTED_CHANNEL[profile.name]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("SMS", "sms"), ("Push", "push"), ("appmessaging", "rt"), ("facebook", "fb"), ("fax", None)],
)
def test_profile_lookup_accepts_the_request_spellings(spelling: str, expected: str | None) -> None:
    profile = profile_for(spelling)

    assert (profile.name if profile else None) == expected


def test_voice_callbacks_carry_the_release_event_outside_delivery_info() -> None:
    voice = profile_for("voice")
    assert voice is not None

    body = json.loads(_body(voice, "delivered", voice.delivered, "ANSWERED"))

    assert list(body) == ["deliveryTransInfo", "deliveryInfoNotification"]
    assert body["deliveryTransInfo"].startswith("<ReleaseEvent>")


def test_facebook_provider_errors_carry_additional_info_like_the_sample() -> None:
    facebook = profile_for("fb")
    assert facebook is not None
    report = next(f.report for f in facebook.failures if f.report.code == "7010")

    info = json.loads(_body(facebook, "failed", report, "Failed"))["deliveryInfoNotification"][
        "deliveryInfo"
    ]

    assert info["additional_info"]["error"]["type"] == "OAuthException"
    assert info["additionalInfo"] == ""
    assert list(info).index("additional_info") < list(info).index("code")
