"""The DynamoDB ledger and the in-memory one used by unit tests behave the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger

from alerts.ledger import AlertLedger, DynamoAlertLedger
from alerts.model import AlertMode, AlertRecord, OpenDigest, StormWindow, digest_counter_name
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus

NOW = datetime(2024, 5, 1, 10, 2, 0, tzinfo=UTC)
WINDOW = StormWindow.containing(NOW, 300)
SMS = digest_counter_name(Channel.SMS, DeliveryStatus.UNDELIVERED, 7208)
EMAIL = digest_counter_name(Channel.EMAIL, DeliveryStatus.BOUNCED, 7520)


@pytest.fixture(params=["memory", "dynamodb"])
def ledger(request: pytest.FixtureRequest) -> AlertLedger:
    if request.param == "memory":
        return InMemoryAlertLedger()
    client: Any = request.getfixturevalue("dynamodb_client")
    return DynamoAlertLedger(client, request.getfixturevalue("events_table"))


def _record(transid: str = "tx-1", mode: AlertMode = AlertMode.SINGLE) -> AlertRecord:
    return AlertRecord(transid, DeliveryStatus.UNDELIVERED, mode, WINDOW)


def test_an_alert_is_claimed_once_and_remembers_its_targets(ledger: AlertLedger) -> None:
    assert ledger.get_alert("tx-1", DeliveryStatus.UNDELIVERED) is None

    claimed, created = ledger.claim_alert(_record(), NOW)
    again, created_again = ledger.claim_alert(_record(mode=AlertMode.DIGEST), NOW)
    ledger.mark_alert_sent("tx-1", DeliveryStatus.UNDELIVERED, "sns", NOW)
    ledger.mark_alert_sent("tx-1", DeliveryStatus.UNDELIVERED, "sns", NOW)
    ledger.mark_alert_sent("tx-1", DeliveryStatus.UNDELIVERED, "slack", NOW)

    assert (created, created_again) == (True, False)
    assert claimed == _record()
    assert again.mode is AlertMode.SINGLE  # the first decision stands
    stored = ledger.get_alert("tx-1", DeliveryStatus.UNDELIVERED)
    assert stored is not None
    assert stored.sent == {"sns", "slack"}
    assert stored.window == WINDOW
    assert ledger.get_alert("tx-1", DeliveryStatus.BOUNCED) is None


def test_a_window_counts_alerts_and_digest_lines(ledger: AlertLedger) -> None:
    counts = [ledger.count_alert(WINDOW).alerts for _ in range(3)]
    for index in range(12):
        ledger.add_to_digest(WINDOW, SMS, f"sms-{index}")
    ledger.add_to_digest(WINDOW, EMAIL, "mail-1")
    ledger.uncount_alert(WINDOW, SMS)

    state = ledger.get_window(WINDOW)

    assert counts == [1, 2, 3]
    assert state is not None
    assert state.alerts == 2
    assert state.pending == 12
    assert [(line.channel, line.code, line.count) for line in state.pending_lines] == [
        (Channel.SMS, 7208, 11),
        (Channel.EMAIL, 7520, 1),
    ]
    assert 1 <= len(state.examples) <= 5
    assert ledger.window_alerts(WINDOW) == 2
    assert ledger.window_alerts(WINDOW.previous()) == 0
    assert ledger.get_window(WINDOW.previous()) is None


def test_counting_into_the_digest_is_counting_then_digesting_in_one_write(
    ledger: AlertLedger,
) -> None:
    ledger.count_alert(WINDOW)
    counts = [ledger.count_into_digest(WINDOW, SMS, f"sms-{index}").alerts for index in range(3)]
    ledger.count_into_digest(WINDOW, EMAIL, "mail-1")

    state = ledger.get_window(WINDOW)

    assert counts == [2, 3, 4]
    assert state is not None
    assert (state.alerts, state.pending) == (5, 4)
    assert [(line.channel, line.code, line.count) for line in state.pending_lines] == [
        (Channel.SMS, 7208, 3),
        (Channel.EMAIL, 7520, 1),
    ]
    assert set(state.examples) <= {"sms-0", "sms-1", "sms-2", "mail-1"}
    assert state.examples


def test_the_marker_chain_starts_once_advances_in_order_and_restarts_after_its_end(
    ledger: AlertLedger,
) -> None:
    ledger.count_alert(WINDOW)

    first = ledger.start_marker_chain(WINDOW)
    concurrent = ledger.start_marker_chain(WINDOW)
    advanced = ledger.advance_marker(WINDOW, 0, 1)
    stale = ledger.advance_marker(WINDOW, 0, 1)
    ended_stale = ledger.end_marker_chain(WINDOW, 0)
    ended = ledger.end_marker_chain(WINDOW, 1)
    restarted = ledger.start_marker_chain(WINDOW)

    assert (first, concurrent) == (0, None)
    assert (advanced, stale) == (True, False)
    assert (ended_stale, ended) == (False, True)
    assert restarted == 2
    state = ledger.get_window(WINDOW)
    assert state is not None
    assert (state.chain_active, state.marker_sequence) == (True, 2)
    assert ledger.add_to_digest(WINDOW, SMS, "tx").chain_active is True


def test_a_digest_takes_the_pending_alerts_once(ledger: AlertLedger) -> None:
    ledger.count_alert(WINDOW)
    for index in range(4):
        ledger.add_to_digest(WINDOW, SMS, f"sms-{index}")
    sequence = ledger.start_marker_chain(WINDOW)
    assert sequence == 0
    state = ledger.get_window(WINDOW)
    assert state is not None
    digest = OpenDigest(
        sequence=0,
        alerts=state.pending,
        lines=state.pending_lines,
        examples=state.examples,
        window_alerts=state.alerts,
        created_at=NOW,
    )

    opened = ledger.open_digest(WINDOW, digest, state)
    twin = ledger.open_digest(WINDOW, digest, state)
    ledger.add_to_digest(WINDOW, EMAIL, "late")  # arrives while the digest is out
    ledger.mark_digest_sent(WINDOW, 0, "sns", NOW)
    ledger.mark_digest_sent(WINDOW, 0, "sns", NOW)
    during = ledger.get_window(WINDOW)
    closed = ledger.close_digest(WINDOW, 0)

    assert (opened, twin) == (True, False)
    assert during is not None
    assert during.open_digest is not None
    assert during.open_digest.sent == {"sns"}
    assert during.open_digest.alerts == 4
    assert during.open_digest.lines == digest.lines
    assert during.digested == 4
    assert closed.open_digest is None
    assert closed.pending == 1
    assert [(line.channel, line.count) for line in closed.pending_lines] == [(Channel.EMAIL, 1)]
    assert closed.examples == ("late",)


def test_dynamodb_items_are_short_lived_and_under_the_allowed_prefixes(
    dynamodb_client: Any, events_table: str
) -> None:
    ledger = DynamoAlertLedger(dynamodb_client, events_table)
    ledger.claim_alert(_record(), NOW)
    ledger.count_alert(WINDOW)

    items = dynamodb_client.scan(TableName=events_table)["Items"]

    assert sorted(item["pk"]["S"] for item in items) == [
        "ALERT#tx-1#undelivered",
        "STORM#2024-05-01T10:00:00.000Z",
    ]
    for item in items:
        expires = int(item["expires_at"]["N"])
        assert 20 * 86400 < expires - NOW.timestamp() < 22 * 86400


def test_a_target_that_refused_an_alert_is_remembered_apart_from_those_that_have_it(
    ledger: AlertLedger,
) -> None:
    ledger.claim_alert(_record(), NOW)
    ledger.mark_alert_sent("tx-1", DeliveryStatus.UNDELIVERED, "sns", NOW)

    ledger.mark_alert_given_up("tx-1", DeliveryStatus.UNDELIVERED, "slack", NOW)
    ledger.mark_alert_given_up("tx-1", DeliveryStatus.UNDELIVERED, "slack", NOW)
    ledger.mark_alert_given_up("tx-1", DeliveryStatus.UNDELIVERED, "sns", NOW)  # has it: kept

    stored = ledger.get_alert("tx-1", DeliveryStatus.UNDELIVERED)
    assert stored is not None
    assert stored.sent == {"sns"}
    assert stored.given_up == {"slack"}


def test_a_refused_digest_is_remembered_on_the_open_digest_only(ledger: AlertLedger) -> None:
    ledger.count_alert(WINDOW)
    ledger.add_to_digest(WINDOW, SMS, "sms-1")
    assert ledger.start_marker_chain(WINDOW) == 0
    state = ledger.get_window(WINDOW)
    assert state is not None
    digest = OpenDigest(0, state.pending, state.pending_lines, state.examples, 1, NOW)
    assert ledger.open_digest(WINDOW, digest, state)

    ledger.mark_digest_sent(WINDOW, 0, "sns", NOW)
    ledger.mark_digest_given_up(WINDOW, 0, "slack", NOW)
    ledger.mark_digest_given_up(WINDOW, 7, "teams", NOW)  # another digest's sequence: ignored

    during = ledger.get_window(WINDOW)
    assert during is not None and during.open_digest is not None
    assert during.open_digest.sent == {"sns"}
    assert during.open_digest.given_up == {"slack"}
    assert ledger.close_digest(WINDOW, 0).open_digest is None


def test_operations_are_claimed_once_per_window_and_target_until_released(
    ledger: AlertLedger,
) -> None:
    ledger.count_alert(WINDOW)

    first = ledger.claim_operations_notice(WINDOW, "slack")
    again = ledger.claim_operations_notice(WINDOW, "slack")
    other_target = ledger.claim_operations_notice(WINDOW, "teams")
    next_window = ledger.claim_operations_notice(WINDOW.previous(), "slack")
    ledger.release_operations_notice(WINDOW, "slack")
    after_release = ledger.claim_operations_notice(WINDOW, "slack")

    assert (first, again, other_target, next_window, after_release) == (
        True,
        False,
        True,
        True,
        True,
    )
    state = ledger.get_window(WINDOW)
    assert state is not None and state.alerts == 1  # the window's counters are untouched
