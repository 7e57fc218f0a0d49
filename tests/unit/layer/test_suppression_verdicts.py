"""Suppression verdicts: which stored events suppress or lift a destination, and in what order."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.fakes.event_summaries import SENT, callback_summary

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import CodeInfo, classify, resolve_code
from receipts.codes.suppression import SuppressionReason
from receipts.codes.table import CODE_TABLE
from receipts.lifecycle import DeliveryStatus
from receipts.storage.event_store import EventSummary
from receipts.suppressions.verdicts import (
    BOUNCE_CODE,
    DECIDED_BY_EVENT,
    DECIDED_BY_OPERATOR,
    Verdict,
    latest_per_destination,
    needs_description,
    operator_lift,
    suppression_reason,
    verdict_of,
)
from receipts.timestamps import UNKNOWN_INSTANT

REAL_CHANNELS = tuple(channel for channel in Channel if channel is not Channel.UNKNOWN)
SEED_BOUNCE_DESCRIPTION = (
    "Permanent_General/Permanent_NoEmail/Permanent_Suppressed/Transient_General/"
    "Transient_MailboxFull/Transient_MessageTooLarge/Transient_ContentRejected/"
    "Transient_AttachmentRejected"
)
# Verdicts a second apart: within one second the rank decides before the millisecond.
TICK = timedelta(seconds=1)


def summary(
    status: DeliveryStatus,
    *,
    channel: Channel = Channel.SMS,
    code: int | None = None,
    destination: str = "919999000000",
    at: datetime = SENT,
) -> EventSummary:
    """A callback's event at ``at`` on ``destination``."""
    return callback_summary(status, channel=channel, code=code, sent=at, destination=destination)


def verdict(
    status: DeliveryStatus | None,
    at: datetime,
    *,
    channel: Channel = Channel.SMS,
    destination: str = "919999000000",
    transid: str = "t-1",
    code: int | None = None,
) -> Verdict:
    """A verdict built directly: ``status`` None is an operator's lift."""
    if status is None:
        return operator_lift(channel, destination, at)
    suppressed = status.is_failure
    return Verdict(
        channel=channel,
        destination=destination,
        suppressed=suppressed,
        reason=SuppressionReason.INVALID_ADDRESS if suppressed else None,
        status=status,
        code=code,
        transid=transid,
        at=at,
        decided_by=DECIDED_BY_EVENT,
    )


# --- What suppresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (DeliveryStatus.INVALID_ADDRESS, SuppressionReason.INVALID_ADDRESS),
        (DeliveryStatus.BOUNCED, SuppressionReason.PERMANENT_BOUNCE),
        (DeliveryStatus.COMPLAINT, SuppressionReason.COMPLAINT),
        (DeliveryStatus.UNSUBSCRIBED, SuppressionReason.UNSUBSCRIBED),
        (DeliveryStatus.NOT_VERIFIED, SuppressionReason.NOT_VERIFIED),
    ],
)
@pytest.mark.parametrize("code", [None, 7108])
def test_a_status_that_names_the_destination_s_fate_suppresses(
    status: DeliveryStatus, reason: SuppressionReason, code: int | None
) -> None:
    assert suppression_reason(Channel.EMAIL, status, code) is reason


@pytest.mark.parametrize(
    ("channel", "status", "code", "reason"),
    [
        (Channel.SMS, DeliveryStatus.FAILED, 7102, SuppressionReason.INVALID_ADDRESS),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7102, SuppressionReason.INVALID_ADDRESS),
        (Channel.SMS, DeliveryStatus.FAILED, 7203, SuppressionReason.INVALID_ADDRESS),
        (Channel.SMS, DeliveryStatus.UNDELIVERED, 7203, SuppressionReason.INVALID_ADDRESS),
        (Channel.PUSH, DeliveryStatus.FAILED, 7513, SuppressionReason.UNREGISTERED_DEVICE),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7240, SuppressionReason.PERMANENT_BOUNCE),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7520, SuppressionReason.PERMANENT_BOUNCE),
        (Channel.EMAIL, DeliveryStatus.BOUNCED, 7520, SuppressionReason.PERMANENT_BOUNCE),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7521, SuppressionReason.COMPLAINT),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7241, SuppressionReason.UNSUBSCRIBED),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7522, SuppressionReason.NOT_VERIFIED),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7523, SuppressionReason.INVALID_ADDRESS),
        (Channel.EMAIL, DeliveryStatus.FAILED, 7524, SuppressionReason.INVALID_ADDRESS),
        (Channel.PUSH, DeliveryStatus.FAILED, 7212, SuppressionReason.UNREGISTERED_DEVICE),
        (Channel.PUSH, DeliveryStatus.FAILED, 7213, SuppressionReason.UNREGISTERED_DEVICE),
    ],
)
def test_a_code_that_says_the_destination_is_dead_suppresses(
    channel: Channel, status: DeliveryStatus, code: int, reason: SuppressionReason
) -> None:
    assert suppression_reason(channel, status, code) is reason


def test_every_suppression_reason_is_produced_by_some_event() -> None:
    produced = {
        suppression_reason(Channel.EMAIL, DeliveryStatus.INVALID_ADDRESS, None),
        suppression_reason(Channel.EMAIL, DeliveryStatus.BOUNCED, None),
        suppression_reason(Channel.EMAIL, DeliveryStatus.COMPLAINT, None),
        suppression_reason(Channel.EMAIL, DeliveryStatus.UNSUBSCRIBED, None),
        suppression_reason(Channel.EMAIL, DeliveryStatus.NOT_VERIFIED, None),
        suppression_reason(Channel.PUSH, DeliveryStatus.FAILED, 7513),
    }
    assert produced == set(SuppressionReason)


def test_the_code_s_reason_beats_the_status_s() -> None:
    # An unsubscribe reported with a bounce status is still an unsubscribe.
    assert (
        suppression_reason(Channel.EMAIL, DeliveryStatus.BOUNCED, 7241)
        is SuppressionReason.UNSUBSCRIBED
    )


# --- What does not suppress ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "status", "code"),
    [
        # Permanent, but about the message or the account.
        (Channel.SMS, DeliveryStatus.FAILED, 7108),
        # Do Not Disturb blocks promotional messages, not transactional ones.
        (Channel.SMS, DeliveryStatus.FAILED, 7109),
        (Channel.SMS, DeliveryStatus.FAILED, 7101),
        (Channel.SMS, DeliveryStatus.UNDELIVERED, 7101),
        (Channel.PUSH, DeliveryStatus.FAILED, 7104),
        (Channel.SMS, DeliveryStatus.EXPIRED, 7301),
        (Channel.SMS, DeliveryStatus.UNDELIVERED, 7208),
        (Channel.SMS, DeliveryStatus.FAILED, 7201),
        (Channel.VOICE, DeliveryStatus.REJECTED, 7403),
        (Channel.EMAIL, DeliveryStatus.FAILED, 9003),
        # Transient: a later send can land.
        (Channel.SMS, DeliveryStatus.FAILED, 7513),
        (Channel.SMS, DeliveryStatus.UNDELIVERED, 7513),
        (Channel.VOICE, DeliveryStatus.NO_ANSWER, 7401),
        (Channel.VOICE, DeliveryStatus.BUSY, 7402),
        (Channel.SMS, DeliveryStatus.FAILED, 7206),
        (Channel.SMS, DeliveryStatus.FAILED, 7103),
        # A failure with no code and a generic status names no fate.
        (Channel.SMS, DeliveryStatus.FAILED, None),
        (Channel.EMAIL, DeliveryStatus.FAILED, None),
        (Channel.SMS, DeliveryStatus.UNDELIVERED, None),
        (Channel.VOICE, DeliveryStatus.NO_ANSWER, None),
        # Unknown code with a generic failure.
        (Channel.SMS, DeliveryStatus.FAILED, 1234),
    ],
)
def test_a_failure_about_the_message_or_a_transient_one_suppresses_nothing(
    channel: Channel, status: DeliveryStatus, code: int | None
) -> None:
    assert suppression_reason(channel, status, code) is None
    assert verdict_of("t-1", summary(status, channel=channel, code=code)) is None


def test_a_transient_code_wins_over_a_status_that_would_suppress() -> None:
    # 7513 on SMS is an inbox full: transient, whatever the status says.
    assert suppression_reason(Channel.SMS, DeliveryStatus.INVALID_ADDRESS, 7513) is None


@pytest.mark.parametrize(
    "description",
    [
        "Transient_General",
        "Transient_MailboxFull",
        "transient_messagetoolarge",
        "TRANSIENT_ContentRejected",
        "  Transient_AttachmentRejected  ",
        "tRaNsIeNt",
    ],
)
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (DeliveryStatus.BOUNCED, BOUNCE_CODE),
        (DeliveryStatus.FAILED, BOUNCE_CODE),
        (DeliveryStatus.BOUNCED, None),
    ],
)
def test_a_transient_bounce_suppresses_nothing(
    description: str, status: DeliveryStatus, code: int | None
) -> None:
    assert suppression_reason(Channel.EMAIL, status, code, description) is None
    event = summary(status, channel=Channel.EMAIL, code=code, destination="a@example.com")
    assert verdict_of("t-1", event, description) is None


@pytest.mark.parametrize(
    "description",
    ["Permanent_General", "Permanent_NoEmail", "", "   ", SEED_BOUNCE_DESCRIPTION],
)
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (DeliveryStatus.BOUNCED, BOUNCE_CODE),
        (DeliveryStatus.FAILED, BOUNCE_CODE),
        (DeliveryStatus.BOUNCED, None),
    ],
)
def test_a_permanent_or_untyped_bounce_suppresses(
    description: str, status: DeliveryStatus, code: int | None
) -> None:
    assert (
        suppression_reason(Channel.EMAIL, status, code, description)
        is SuppressionReason.PERMANENT_BOUNCE
    )


def test_a_transient_description_only_matters_for_a_bounce() -> None:
    # The description is the bounce type; on a complaint it says nothing of the fate.
    assert (
        suppression_reason(Channel.EMAIL, DeliveryStatus.FAILED, 7521, "Transient_General")
        is SuppressionReason.COMPLAINT
    )
    assert (
        suppression_reason(Channel.EMAIL, DeliveryStatus.INVALID_ADDRESS, None, "transient")
        is SuppressionReason.INVALID_ADDRESS
    )


@pytest.mark.parametrize(
    "status", [DeliveryStatus.QUEUED, DeliveryStatus.SUBMITTED, DeliveryStatus.UNKNOWN]
)
@pytest.mark.parametrize("code", [None, 7102, 7203, 7520, 7501])
def test_an_in_progress_status_says_nothing(status: DeliveryStatus, code: int | None) -> None:
    assert suppression_reason(Channel.SMS, status, code) is None
    assert verdict_of("t-1", summary(status, code=code)) is None


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (DeliveryStatus.BOUNCED, None, True),
        (DeliveryStatus.FAILED, BOUNCE_CODE, True),
        (DeliveryStatus.BOUNCED, 7240, True),
        (DeliveryStatus.FAILED, 7521, False),
        (DeliveryStatus.FAILED, None, False),
        (DeliveryStatus.DELIVERED, None, False),
    ],
)
def test_needs_description_only_for_a_bounce(
    status: DeliveryStatus, code: int | None, expected: bool
) -> None:
    assert needs_description(status, code) is expected


# --- What lifts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "channel", "code"),
    [
        (DeliveryStatus.DELIVERED, Channel.SMS, None),
        (DeliveryStatus.DELIVERED, Channel.SMS, 7500),
        (DeliveryStatus.ANSWERED, Channel.VOICE, 7519),
        (DeliveryStatus.READ, Channel.RTM, 7502),
        (DeliveryStatus.CLICKED, Channel.EMAIL, 7528),
        (DeliveryStatus.CLICKED, Channel.EMAIL, None),
    ],
)
def test_a_delivery_or_a_read_lifts(
    status: DeliveryStatus, channel: Channel, code: int | None
) -> None:
    at = SENT + timedelta(minutes=3)
    result = verdict_of("t-42", summary(status, channel=channel, code=code, at=at))
    assert result == Verdict(
        channel=channel,
        destination="919999000000",
        suppressed=False,
        reason=None,
        status=status,
        code=code,
        transid="t-42",
        at=at,
        decided_by=DECIDED_BY_EVENT,
    )


def test_a_suppressing_event_gives_a_full_verdict() -> None:
    at = SENT + timedelta(seconds=17)
    event = summary(
        DeliveryStatus.BOUNCED, channel=Channel.EMAIL, code=7520, destination="a@x.io", at=at
    )
    assert verdict_of("t-7", event, "Permanent_General") == Verdict(
        channel=Channel.EMAIL,
        destination="a@x.io",
        suppressed=True,
        reason=SuppressionReason.PERMANENT_BOUNCE,
        status=DeliveryStatus.BOUNCED,
        code=7520,
        transid="t-7",
        at=at,
        decided_by=DECIDED_BY_EVENT,
    )


# --- Destinations, channels and clocks -----------------------------------------------------


@pytest.mark.parametrize("destination", ["", "   ", "\t\n"])
@pytest.mark.parametrize("status", [DeliveryStatus.DELIVERED, DeliveryStatus.INVALID_ADDRESS])
def test_no_verdict_without_a_destination(destination: str, status: DeliveryStatus) -> None:
    assert verdict_of("t-1", summary(status, destination=destination)) is None


@pytest.mark.parametrize(
    ("status", "code"),
    [(DeliveryStatus.DELIVERED, None), (DeliveryStatus.FAILED, 7102)],
)
def test_no_verdict_on_an_unknown_channel(status: DeliveryStatus, code: int | None) -> None:
    if status.is_failure:
        # The outcome itself would suppress: only the channel stops the verdict.
        assert suppression_reason(Channel.UNKNOWN, status, code) is not None
        assert verdict_of("t-1", summary(status, channel=Channel.SMS, code=code)) is not None
    assert verdict_of("t-1", summary(status, channel=Channel.UNKNOWN, code=code)) is None


@pytest.mark.parametrize(
    ("channel", "raw", "normalised"),
    [
        (Channel.SMS, "+91 888 666 1353", "918886661353"),
        (Channel.SMS, "tel:+91 (888) 666-1353", "918886661353"),
        (Channel.SMS, " 918886661353 ", "918886661353"),
        (Channel.EMAIL, "Ops@Example.COM", "ops@example.com"),
        (Channel.EMAIL, "  Ops@Example.COM ", "ops@example.com"),
        (Channel.PUSH, " DeviceToken-AbC ", "DeviceToken-AbC"),
    ],
)
@pytest.mark.parametrize("status", [DeliveryStatus.DELIVERED, DeliveryStatus.INVALID_ADDRESS])
def test_the_verdict_names_the_normalised_destination(
    channel: Channel, raw: str, normalised: str, status: DeliveryStatus
) -> None:
    result = verdict_of("t-1", summary(status, channel=channel, destination=raw))
    assert result is not None
    assert result.destination == normalised
    assert result.key == (channel, normalised)


def test_spellings_of_one_number_share_a_register() -> None:
    spellings = ["+91 888 666 1353", "918886661353", "tel:+918886661353"]
    verdicts = [
        verdict_of(
            f"t-{i}",
            summary(DeliveryStatus.DELIVERED, destination=raw, at=SENT + i * TICK),
        )
        for i, raw in enumerate(spellings)
    ]
    kept = latest_per_destination(v for v in verdicts if v is not None)
    assert list(kept) == [(Channel.SMS, "918886661353")]
    assert kept[Channel.SMS, "918886661353"].transid == "t-2"


def test_an_event_without_a_timestamp_is_dated_by_its_arrival() -> None:
    received = datetime(2026, 12, 5, 8, 30, 1, 250_000, tzinfo=UTC)
    event = summary(DeliveryStatus.INVALID_ADDRESS)._replace(
        occurred_at=UNKNOWN_INSTANT, received_at=received
    )
    result = verdict_of("t-1", event)
    assert result is not None
    assert result.at == received
    assert result.version.startswith("2026-12-05T08:30:01.000Z#50#2026-12-05T08:30:01.250Z#")


def test_an_event_with_a_timestamp_is_dated_by_it_not_its_arrival() -> None:
    occurred = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    event = summary(DeliveryStatus.DELIVERED)._replace(
        occurred_at=occurred, received_at=occurred + timedelta(hours=2)
    )
    result = verdict_of("t-1", event)
    assert result is not None
    assert result.at == occurred


# --- Versions ------------------------------------------------------------------------------

LATER_KINDS: list[DeliveryStatus | None] = [
    None,  # operator lift
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.CLICKED,
    DeliveryStatus.FAILED,
    DeliveryStatus.BOUNCED,
]


@pytest.mark.parametrize("earlier", LATER_KINDS)
@pytest.mark.parametrize("later", LATER_KINDS)
# A second apart or more: within one second the rank decides (below).
@pytest.mark.parametrize("gap", [timedelta(seconds=1), timedelta(seconds=61), timedelta(days=400)])
def test_a_later_event_wins_whatever_its_kind(
    earlier: DeliveryStatus | None, later: DeliveryStatus | None, gap: timedelta
) -> None:
    first = verdict(earlier, SENT, transid="t-z")
    second = verdict(later, SENT + gap, transid="t-a")
    assert second.version > first.version


def test_at_the_same_millisecond_a_failure_beats_a_delivery() -> None:
    delivered = verdict(DeliveryStatus.DELIVERED, SENT, transid="t-z")
    failed = verdict(DeliveryStatus.FAILED, SENT, transid="t-a")
    assert DeliveryStatus.FAILED.rank == 50 and DeliveryStatus.DELIVERED.rank == 30
    assert failed.version > delivered.version


def test_within_one_second_the_rank_decides() -> None:
    # One message's complaint stamped "09:00:00" and its delivery "09:00:00.900": the
    # complaint came after, whatever the stamps' precision says.
    failed = verdict(DeliveryStatus.COMPLAINT, SENT)
    delivered = verdict(DeliveryStatus.DELIVERED, SENT + timedelta(milliseconds=900))
    assert failed.version > delivered.version
    # Of the same rank, the later millisecond wins.
    later_failure = verdict(DeliveryStatus.FAILED, SENT + timedelta(milliseconds=900))
    assert later_failure.version > verdict(DeliveryStatus.FAILED, SENT).version
    # A delivery the next second wins.
    assert verdict(DeliveryStatus.DELIVERED, SENT + timedelta(seconds=1)).version > failed.version


@pytest.mark.parametrize(
    "status", [DeliveryStatus.DELIVERED, DeliveryStatus.CLICKED, DeliveryStatus.FAILED]
)
def test_an_operator_lift_beats_an_event_of_the_same_second(status: DeliveryStatus) -> None:
    event = verdict(status, SENT + timedelta(milliseconds=999), transid="zzzz")
    lift = operator_lift(Channel.SMS, "919999000000", SENT)
    assert lift.version > event.version
    # ...but not an event of the next second.
    assert verdict(status, SENT + timedelta(seconds=1)).version > lift.version


def test_a_read_beats_a_delivery_of_the_same_millisecond() -> None:
    assert (
        verdict(DeliveryStatus.READ, SENT).version > verdict(DeliveryStatus.DELIVERED, SENT).version
    )


def rank(status: DeliveryStatus | None) -> int:
    return 99 if status is None else status.rank


INSTANTS_IN_ORDER = [
    datetime(1999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC),
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2000, 1, 1, 0, 0, 0, 1_000, tzinfo=UTC),
    datetime(2009, 9, 9, 9, 9, 9, tzinfo=UTC),
    datetime(2010, 1, 1, tzinfo=UTC),
    datetime(2026, 2, 28, 23, 59, 59, 999_000, tzinfo=UTC),
    datetime(2026, 3, 1, tzinfo=UTC),
    datetime(2026, 9, 30, 23, 0, tzinfo=UTC),
    datetime(2026, 10, 1, 0, 0, tzinfo=UTC),
    # 2026-12-31T23:00Z, though its local date is already the next year.
    datetime(2027, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC),
    # 2027-01-01T00:00Z, though its local date is still the old year.
    datetime(2026, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2027, 1, 1, 0, 0, 0, 1_000, tzinfo=UTC),
    datetime(2099, 1, 1, tzinfo=UTC),
]


def test_the_instants_used_below_are_in_time_order() -> None:
    assert sorted(INSTANTS_IN_ORDER) == INSTANTS_IN_ORDER
    assert len(set(INSTANTS_IN_ORDER)) == len(INSTANTS_IN_ORDER)


@pytest.mark.parametrize(("earlier", "later"), list(itertools.combinations(INSTANTS_IN_ORDER, 2)))
@pytest.mark.parametrize(
    ("earlier_kind", "later_kind"),
    [
        (DeliveryStatus.DELIVERED, DeliveryStatus.DELIVERED),
        (None, DeliveryStatus.DELIVERED),
        (DeliveryStatus.FAILED, DeliveryStatus.DELIVERED),
    ],
)
def test_string_order_of_versions_is_time_order(
    earlier: datetime,
    later: datetime,
    earlier_kind: DeliveryStatus | None,
    later_kind: DeliveryStatus | None,
) -> None:
    first, second = verdict(earlier_kind, earlier), verdict(later_kind, later)
    if first.at.replace(microsecond=0) == second.at.replace(microsecond=0):
        # Within one second the rank decides, then the millisecond.
        assert (second.version > first.version) == (rank(later_kind) >= rank(earlier_kind))
    else:
        assert second.version > first.version


def test_sorting_by_version_sorts_by_time() -> None:
    verdicts = [verdict(DeliveryStatus.FAILED, at) for at in reversed(INSTANTS_IN_ORDER)]
    assert [v.at for v in sorted(verdicts, key=lambda v: v.version)] == INSTANTS_IN_ORDER


def test_the_version_is_in_utc_to_the_millisecond() -> None:
    at = datetime(2027, 1, 1, 1, 2, 3, 456_789, tzinfo=timezone(timedelta(hours=2)))
    result = verdict(DeliveryStatus.FAILED, at, transid="t-9", code=7102)
    second = "2026-12-31T23:02:03.000Z"
    assert result.version == f"{second}#50#2026-12-31T23:02:03.456Z#t-9#failed#7102"
    lift = operator_lift(Channel.SMS, "919999000000", at)
    assert lift.version == f"{second}#99#2026-12-31T23:02:03.456Z###"


def test_equal_inputs_give_equal_versions() -> None:
    a = verdict(DeliveryStatus.FAILED, SENT, transid="t-1", code=7102)
    b = verdict(DeliveryStatus.FAILED, SENT, transid="t-1", code=7102)
    assert a is not b
    assert a.version == b.version
    event = summary(DeliveryStatus.BOUNCED, channel=Channel.EMAIL, destination="a@b.io")
    first, second = verdict_of("t-1", event), verdict_of("t-1", event)
    assert first is not None and second is not None
    assert first.version == second.version
    assert (
        operator_lift(Channel.SMS, "+91 888", SENT).version
        == operator_lift(Channel.EMAIL, "x@y.z", SENT).version
    )


def test_verdicts_differing_only_in_transaction_have_distinct_versions() -> None:
    a = verdict(DeliveryStatus.FAILED, SENT, transid="t-1")
    b = verdict(DeliveryStatus.FAILED, SENT, transid="t-2")
    assert a.version != b.version


def test_the_same_transaction_at_the_same_instant_is_ordered_by_status_then_code() -> None:
    bounced = verdict(DeliveryStatus.BOUNCED, SENT, code=7520)
    failed = verdict(DeliveryStatus.FAILED, SENT, code=7520)
    assert bounced.version != failed.version
    low = verdict(DeliveryStatus.FAILED, SENT, code=7102)
    high = verdict(DeliveryStatus.FAILED, SENT, code=7203)
    assert low.version != high.version


# --- The latest verdict per destination ----------------------------------------------------


def test_no_verdicts_give_no_registers() -> None:
    assert latest_per_destination([]) == {}


LATEST_CASES: list[tuple[str, list[Verdict], int]] = [
    (
        "time decides",
        [
            verdict(DeliveryStatus.FAILED, SENT, transid="t-1"),
            verdict(DeliveryStatus.DELIVERED, SENT + TICK, transid="t-2"),
            verdict(DeliveryStatus.READ, SENT + 2 * TICK, transid="t-3"),
            verdict(DeliveryStatus.FAILED, SENT + 3 * TICK, transid="t-4"),
        ],
        3,
    ),
    (
        "old failure recovered late",
        [
            verdict(DeliveryStatus.DELIVERED, SENT + timedelta(days=2), transid="t-new"),
            verdict(DeliveryStatus.FAILED, SENT, transid="t-old"),
            verdict(DeliveryStatus.BOUNCED, SENT + timedelta(days=1), transid="t-mid"),
        ],
        0,
    ),
    (
        "same millisecond",
        [
            verdict(DeliveryStatus.DELIVERED, SENT, transid="t-1"),
            verdict(DeliveryStatus.FAILED, SENT, transid="t-2"),
            verdict(DeliveryStatus.READ, SENT, transid="t-3"),
        ],
        1,
    ),
    (
        "operator lift",
        [
            verdict(DeliveryStatus.FAILED, SENT, transid="t-1"),
            verdict(None, SENT),
            verdict(DeliveryStatus.DELIVERED, SENT, transid="t-2"),
            verdict(DeliveryStatus.FAILED, SENT - TICK, transid="t-3"),
        ],
        1,
    ),
    (
        "event after operator lift",
        [
            verdict(None, SENT),
            verdict(DeliveryStatus.INVALID_ADDRESS, SENT + TICK, transid="t-1"),
            verdict(DeliveryStatus.DELIVERED, SENT - TICK, transid="t-2"),
        ],
        1,
    ),
]


@pytest.mark.parametrize(
    ("verdicts", "winner"),
    [(verdicts, winner) for _, verdicts, winner in LATEST_CASES],
    ids=[name for name, _, _ in LATEST_CASES],
)
def test_the_latest_verdict_wins_in_any_order(verdicts: list[Verdict], winner: int) -> None:
    assert len({v.key for v in verdicts}) == 1
    expected = verdicts[winner]
    for order in itertools.permutations(verdicts):
        kept = latest_per_destination(order)
        assert kept == {expected.key: expected}, order


def test_repeating_verdicts_changes_nothing() -> None:
    verdicts = LATEST_CASES[0][1]
    once = latest_per_destination(verdicts)
    assert latest_per_destination(verdicts * 3) == once
    assert latest_per_destination(reversed(verdicts * 2)) == once


def test_registers_are_kept_apart_by_channel_and_destination() -> None:
    sms_old = verdict(DeliveryStatus.FAILED, SENT, channel=Channel.SMS, destination="111111111")
    sms_new = verdict(
        DeliveryStatus.DELIVERED, SENT + TICK, channel=Channel.SMS, destination="111111111"
    )
    voice = verdict(DeliveryStatus.FAILED, SENT, channel=Channel.VOICE, destination="111111111")
    other = verdict(DeliveryStatus.FAILED, SENT, channel=Channel.SMS, destination="222222222")
    verdicts = [sms_old, sms_new, voice, other]
    expected = {
        (Channel.SMS, "111111111"): sms_new,
        (Channel.VOICE, "111111111"): voice,
        (Channel.SMS, "222222222"): other,
    }
    for order in itertools.permutations(verdicts):
        assert latest_per_destination(order) == expected


def test_a_later_verdict_on_another_channel_does_not_replace_this_one() -> None:
    sms = verdict(DeliveryStatus.INVALID_ADDRESS, SENT, channel=Channel.SMS)
    voice = verdict(DeliveryStatus.DELIVERED, SENT + timedelta(days=1), channel=Channel.VOICE)
    kept = latest_per_destination([sms, voice])
    assert kept[Channel.SMS, "919999000000"].suppressed is True
    assert kept[Channel.VOICE, "919999000000"].suppressed is False


# --- Invariants over the code tables -------------------------------------------------------

SUPPRESSING_ENTRIES = [entry for entry in CODE_TABLE if entry.suppression is not None]
GENERIC_FAILURES = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED, DeliveryStatus.REJECTED)


def _applies_to(entry: CodeInfo) -> list[tuple[Channel, DeliveryStatus]]:
    channels = sorted(entry.channels) if entry.channels is not None else list(REAL_CHANNELS)
    statuses = (
        sorted(s for s in entry.statuses if s.is_failure)
        if entry.statuses is not None
        else list(GENERIC_FAILURES)
    )
    return [(channel, status) for channel in channels for status in statuses]


def _entry_id(entry: CodeInfo) -> str:
    channels = "any" if entry.channels is None else "+".join(sorted(entry.channels))
    return f"{entry.code}-{entry.source}-{channels}"


def test_the_table_has_suppressing_entries_for_every_reason() -> None:
    assert {entry.suppression for entry in SUPPRESSING_ENTRIES} == set(SuppressionReason)


@pytest.mark.parametrize("entry", SUPPRESSING_ENTRIES, ids=_entry_id)
def test_a_suppressing_entry_is_a_permanent_failure(entry: CodeInfo) -> None:
    assert entry.classification is Classification.FAILED_PERMANENT
    cases = _applies_to(entry)
    assert cases
    resolved_to_self = 0
    for channel, status in cases:
        resolved = resolve_code(entry.code, channel, status)
        if resolved == entry:
            resolved_to_self += 1
        if resolved.suppression is not None:
            assert classify(channel, entry.code, status) is Classification.FAILED_PERMANENT, (
                channel,
                status,
            )
        assert suppression_reason(channel, status, entry.code) is resolved.suppression, (
            channel,
            status,
        )
    # A suppressing entry no resolution ever picks would be dead weight (or a mistake).
    assert resolved_to_self > 0


@pytest.mark.parametrize("entry", CODE_TABLE, ids=_entry_id)
def test_a_transient_or_non_failure_entry_never_suppresses(entry: CodeInfo) -> None:
    if entry.classification is not Classification.FAILED_PERMANENT:
        assert entry.suppression is None


def test_7513_suppresses_on_push_but_not_on_sms() -> None:
    push = resolve_code(7513, Channel.PUSH, DeliveryStatus.FAILED)
    sms = resolve_code(7513, Channel.SMS, DeliveryStatus.FAILED)
    email = resolve_code(7513, Channel.EMAIL, DeliveryStatus.FAILED)
    assert push.suppression is SuppressionReason.UNREGISTERED_DEVICE
    assert push.channels == frozenset({Channel.PUSH})
    assert sms.suppression is None
    assert sms.classification is Classification.FAILED_TRANSIENT
    assert email.suppression is SuppressionReason.UNREGISTERED_DEVICE
    assert email.channels is None


def test_the_sms_specific_7203_entry_keeps_the_suppression() -> None:
    for status in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED):
        entry = resolve_code(7203, Channel.SMS, status)
        assert entry.source == "channel_specific"
        assert entry.suppression is SuppressionReason.INVALID_ADDRESS


# --- Operator lifts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "raw", "normalised"),
    [
        (Channel.SMS, "+91 888 666 1353", "918886661353"),
        (Channel.EMAIL, "Ops@Example.COM", "ops@example.com"),
        (Channel.PUSH, "  Token-XyZ ", "Token-XyZ"),
    ],
)
def test_an_operator_lift(channel: Channel, raw: str, normalised: str) -> None:
    now = datetime(2026, 12, 9, 14, 0, 0, 123_000, tzinfo=UTC)
    lift = operator_lift(channel, raw, now)
    assert lift == Verdict(
        channel=channel,
        destination=normalised,
        suppressed=False,
        reason=None,
        status=None,
        code=None,
        transid="",
        at=now,
        decided_by=DECIDED_BY_OPERATOR,
    )
    assert lift.key == (channel, normalised)
    assert DECIDED_BY_OPERATOR != DECIDED_BY_EVENT


def test_an_operator_lift_replaces_an_earlier_suppression_of_the_same_destination() -> None:
    event = summary(
        DeliveryStatus.INVALID_ADDRESS,
        channel=Channel.EMAIL,
        destination="Ops@Example.COM",
        at=SENT,
    )
    suppressed = verdict_of("t-1", event)
    assert suppressed is not None and suppressed.suppressed
    lift = operator_lift(Channel.EMAIL, " OPS@example.com ", SENT + timedelta(hours=1))
    for order in ([suppressed, lift], [lift, suppressed]):
        assert latest_per_destination(order) == {(Channel.EMAIL, "ops@example.com"): lift}
