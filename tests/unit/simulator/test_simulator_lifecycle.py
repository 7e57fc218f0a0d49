"""Planned lifecycles: seedable, shaped like the samples, and agreeing with the product's
own lifecycle rule about which status is current."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from receipts.lifecycle import canonical_status, current_event
from receipts.models.callback import parse_callback
from receipts.timestamps import parse_callback_timestamp
from simulator.channels import PROFILES, ChannelProfile, profile_for
from simulator.config import Quirks, Rates
from simulator.lifecycle import (
    Forced,
    TransactionPlan,
    format_timestamp,
    plan_recipient,
)
from simulator.send_api import Recipient

SENT_AT = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
ALWAYS = Rates(failure=0.3, read=0.5, duplicate=1.0, out_of_order=1.0, multi_device=1.0)
NEVER = Rates(failure=0.0, read=0.0, duplicate=0.0, out_of_order=0.0, multi_device=0.0)


def _profile(name: str) -> ChannelProfile:
    profile = profile_for(name)
    assert profile is not None
    return profile


def _plan(
    seed: int,
    profile: ChannelProfile,
    *,
    quirks: Quirks | None = None,
    rates: Rates | None = None,
    forced: Forced | None = None,
    key: str | None = None,
) -> list[TransactionPlan]:
    recipient = Recipient(key or profile.destination_keys[0], "919999000001", "corr-1")
    return plan_recipient(
        random.Random(seed),
        profile,
        recipient,
        transid="0d9c1f7a-5b1e-4c53-9b7e-0a6f1a2b3c4d",
        callback_data="data-1",
        sent_at=SENT_AT,
        quirks=quirks or Quirks(),
        rates=rates or Rates(),
        pace=1.0,
        forced=forced,
    )


def test_the_same_seed_gives_the_same_plan() -> None:
    first = _plan(42, _profile("push"), rates=ALWAYS)
    second = _plan(42, _profile("push"), rates=ALWAYS)

    assert [[c.body for c in plan.callbacks] for plan in first] == [
        [c.body for c in plan.callbacks] for plan in second
    ]
    assert [plan.transid for plan in first] == [plan.transid for plan in second]


def test_another_seed_gives_another_plan() -> None:
    bodies = {
        tuple(c.body for plan in _plan(seed, _profile("sms"), rates=ALWAYS) for c in plan.callbacks)
        for seed in range(5)
    }

    assert len(bodies) > 1


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
@pytest.mark.parametrize("seed", range(12))
def test_every_callback_parses_and_tells_what_was_planned(
    profile: ChannelProfile, seed: int
) -> None:
    for plan in _plan(seed, profile, rates=ALWAYS):
        for callback in plan.callbacks:
            event = parse_callback(callback.body)
            planned = plan.events[callback.event_index]

            assert event.transid == plan.transid
            assert event.destination == plan.destination
            assert event.correlationid == "corr-1"
            assert event.callback_data == "data-1"
            assert event.raw_status == planned.raw_status
            assert event.code == int(planned.report.code)
            # The space format has no milliseconds; the others keep them.
            assert abs(event.occurred_at - planned.occurred_at) < timedelta(seconds=1)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
@pytest.mark.parametrize("seed", range(12))
def test_the_products_current_status_is_the_last_planned_step(
    profile: ChannelProfile, seed: int
) -> None:
    """Whatever order the callbacks come in, the product must land on the platform's end."""
    for plan in _plan(seed, profile, rates=ALWAYS):
        events = [parse_callback(callback.body) for callback in plan.callbacks]

        winner = current_event(events)

        assert winner is not None
        assert winner.status is canonical_status(plan.events[-1].raw_status)


@pytest.mark.parametrize(
    ("channel", "forced", "steps"),
    [
        ("sms", Forced(outcome="delivered"), ["submitted", "delivered"]),
        ("sms", Forced(outcome="failed", failure_code="7208"), ["submitted", "failed"]),
        ("voice", Forced(outcome="delivered"), ["delivered"]),
        ("voice", Forced(outcome="failed"), ["failed"]),
        ("rt", Forced(outcome="read"), ["submitted", "delivered", "read"]),
        ("twitter", Forced(outcome="read"), ["delivered"]),
        (
            "email",
            Forced(outcome="failed", failure_code="7521"),
            ["submitted", "delivered", "failed"],
        ),
        ("email", Forced(outcome="failed", failure_code="7522"), ["failed"]),
        ("email", Forced(outcome="failed", failure_code="7520"), ["submitted", "failed"]),
    ],
)
def test_lifecycle_steps_per_outcome(channel: str, forced: Forced, steps: list[str]) -> None:
    (plan,) = _plan(3, _profile(channel), rates=NEVER, forced=forced)

    assert [event.step for event in plan.events] == steps
    assert [event.occurred_at for event in plan.events] == sorted(
        event.occurred_at for event in plan.events
    )
    if forced.failure_code:
        assert plan.events[-1].report.code == forced.failure_code


def test_an_unknown_forced_failure_code_is_refused() -> None:
    with pytest.raises(ValueError, match="no failure with code 9999"):
        _plan(1, _profile("sms"), forced=Forced(outcome="failed", failure_code="9999"))


def test_out_of_order_posts_an_earlier_status_after_a_later_one() -> None:
    (plan,) = _plan(5, _profile("sms"), rates=ALWAYS, forced=Forced(outcome="delivered"))
    originals = [callback for callback in plan.callbacks if not callback.duplicate]

    assert plan.out_of_order
    assert [callback.event_index for callback in originals] != sorted(
        callback.event_index for callback in originals
    )


def test_a_duplicate_is_the_same_notification_posted_again_later() -> None:
    (plan,) = _plan(5, _profile("sms"), rates=ALWAYS, forced=Forced(outcome="delivered"))
    (duplicate,) = [callback for callback in plan.callbacks if callback.duplicate]
    original = next(
        callback
        for callback in plan.callbacks
        if not callback.duplicate and callback.event_index == duplicate.event_index
    )

    assert duplicate.body == original.body
    assert duplicate.due > original.due


def test_without_quirks_callbacks_are_plain_and_in_order() -> None:
    for seed in range(20):
        for plan in _plan(seed, _profile("push"), quirks=Quirks.none(), rates=ALWAYS):
            assert [c.event_index for c in plan.callbacks] == list(range(len(plan.events)))
            assert not any(c.duplicate for c in plan.callbacks)
            assert plan.parent_transid is None
            for callback, event in zip(plan.callbacks, plan.events, strict=True):
                info = json.loads(callback.body)["deliveryInfoNotification"]["deliveryInfo"]
                assert info["deliveryStatus"] == event.report.spellings[0]
                assert info["timeStamp"] == format_timestamp(event.occurred_at, "no-zone")


def test_spelling_and_timestamp_quirks_show_up_over_a_campaign() -> None:
    spellings: set[str] = set()
    shapes: set[str] = set()
    for seed in range(40):
        for plan in _plan(seed, _profile("sms"), rates=NEVER):
            spellings |= {event.raw_status for event in plan.events if event.step == "submitted"}
            for callback in plan.callbacks:
                stamp = json.loads(callback.body)["deliveryInfoNotification"]["deliveryInfo"][
                    "timeStamp"
                ]
                shapes.add("space" if " " in stamp else "zulu" if stamp.endswith("Z") else "plain")

    assert spellings == {"Submitted", "Submited", "Submit"}
    assert shapes == {"space", "zulu", "plain"}


@pytest.mark.parametrize("style", ["no-zone", "zulu", "space"])
def test_every_timestamp_shape_reads_back_as_the_same_utc_instant(style: str) -> None:
    text = format_timestamp(SENT_AT, style)

    parsed = parse_callback_timestamp(text)

    expected = SENT_AT.replace(microsecond=0) if style == "space" else SENT_AT
    assert parsed == expected


def test_a_push_to_a_customer_fans_out_to_suffixed_transids() -> None:
    plans = _plan(9, _profile("push"), forced=Forced(outcome="delivered", devices=3))

    assert len(plans) == 3
    assert len({plan.transid for plan in plans}) == 3
    for index, plan in enumerate(plans, start=1):
        assert plan.transid.startswith("0d9c1f7a-5b1e-4c53-9b7e-0a6f1a2b3c4d_")
        assert plan.transid.endswith(f"_{index}")
        assert plan.parent_transid == "0d9c1f7a-5b1e-4c53-9b7e-0a6f1a2b3c4d"
        assert plan.destination_type.endswith("_pushid")
        assert plan.destination != "919999000001"


def test_a_push_to_one_push_id_is_one_delivery_to_that_token() -> None:
    token = "a" * 64
    recipient = Recipient("pushid", token, "")
    (plan,) = plan_recipient(
        random.Random(1),
        _profile("push"),
        recipient,
        transid="t",
        callback_data="",
        sent_at=SENT_AT,
        quirks=Quirks(),
        rates=ALWAYS,
        pace=1.0,
    )

    assert plan.transid == "t"
    assert plan.destination == token
    assert plan.destination_type == "ios_pushid"


def test_pace_scales_every_delay() -> None:
    slow = _plan(4, _profile("rt"), rates=NEVER, forced=Forced(outcome="read"))[0]
    fast = plan_recipient(
        random.Random(4),
        _profile("rt"),
        Recipient("customerid", "919999000001", "corr-1"),
        transid="0d9c1f7a-5b1e-4c53-9b7e-0a6f1a2b3c4d",
        callback_data="data-1",
        sent_at=SENT_AT,
        quirks=Quirks(),
        rates=NEVER,
        pace=0.1,
        forced=Forced(outcome="read"),
    )[0]

    assert [round(e.offset * 10, 6) for e in fast.events] == [
        round(e.offset, 6) for e in slow.events
    ]
    assert fast.callbacks[-1].due < slow.callbacks[-1].due
