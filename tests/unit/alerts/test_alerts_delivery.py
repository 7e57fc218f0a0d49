"""Delivery when a target refuses for good, and when a "sent" mark cannot be recorded.

A refusal (a webhook answering 404) gives the notice up for that target, in the ledger, tells
the operations topic once per target and storm window, and lets the other targets and the
digest chain carry on. A mark that cannot be written after a successful send fails the
record, but only after every other target was tried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from tests.unit.alerts.doubles import (
    FakeClock,
    FakeLambdaContext,
    RecordingOperations,
    RecordingScheduler,
    RecordingTarget,
    alert_body,
    body_for_transid,
    failed_ids,
    sqs_event,
)
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger

from alerts.errors import DeliveryIncompleteError
from alerts.handler import lambda_handler
from alerts.model import Alert, Digest, StormWindow
from alerts.service import AlertService, Outcome, StormControl
from receipts.lifecycle import DeliveryStatus
from receipts.storage import StoreUnavailableError

SMS_UNDELIVERED = "03-sms-un-delivered"
SMS_UNDELIVERED_TRANSID = "8f0fd088-2a80-43e3-9da1-e82e52b17390"
ALERT_KEY = (SMS_UNDELIVERED_TRANSID, DeliveryStatus.UNDELIVERED)

ServiceFactory = Callable[..., AlertService]


@pytest.fixture
def operations() -> RecordingOperations:
    return RecordingOperations()


@pytest.fixture
def teams() -> RecordingTarget:
    return RecordingTarget("teams")


@pytest.fixture
def service_with_three_targets(
    make_service: ServiceFactory,
    operations: RecordingOperations,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> ServiceFactory:
    def build(**overrides: object) -> AlertService:
        options: dict[str, object] = {
            "targets": lambda: [sns, slack, teams],
            "operations": operations,
        }
        options.update(overrides)
        return make_service(**options)

    return build


def _handle(service: AlertService, body: str) -> Outcome:
    return service.start_batch(25.0).handle(body)


# ---- a target that refuses for good -----------------------------------------------------------


def test_a_refusing_target_is_given_up_and_the_others_still_get_the_alert(
    service_with_three_targets: ServiceFactory,
    ledger: InMemoryAlertLedger,
    operations: RecordingOperations,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    slack.refusals = 5
    service = service_with_three_targets()

    outcome = _handle(service, alert_body(SMS_UNDELIVERED))

    assert outcome is Outcome.SENT  # no retry: nothing a retry could change
    assert (len(sns.sent), len(teams.sent)) == (1, 1)
    record = ledger.alerts[ALERT_KEY]
    assert record.sent == {"sns", "teams"}
    assert record.given_up == {"slack"}
    (told,) = operations.told
    assert (told.target, told.reason) == ("slack", "HTTP 404 no_service")
    assert told.message_id == sns.sent[0].message_id


def test_a_redelivered_record_does_not_try_a_given_up_target_again(
    service_with_three_targets: ServiceFactory,
    operations: RecordingOperations,
    slack: RecordingTarget,
) -> None:
    slack.refusals = 5
    service = service_with_three_targets()
    _handle(service, alert_body(SMS_UNDELIVERED))

    again = _handle(service, alert_body(SMS_UNDELIVERED))

    assert again is Outcome.DUPLICATE
    assert slack.attempts == 1
    assert len(operations.told) == 1


def test_operations_hear_once_per_target_and_window_however_many_alerts_it_refuses(
    service_with_three_targets: ServiceFactory,
    operations: RecordingOperations,
    clock: FakeClock,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    slack.refusals = 100
    teams.refusals = 100
    service = service_with_three_targets(storm=StormControl(threshold=100, window_seconds=300))
    run = service.start_batch(25.0)

    outcomes = [run.handle(body_for_transid(SMS_UNDELIVERED, f"tx-{index}")) for index in range(4)]
    clock.advance(300)  # the next storm window
    later = service.start_batch(25.0).handle(body_for_transid(SMS_UNDELIVERED, "tx-later"))

    assert outcomes == [Outcome.SENT] * 4
    assert later is Outcome.SENT
    assert len(sns.sent) == 5
    # every alert was offered to the refusing targets (a 400 may be about one body only) ...
    assert (slack.attempts, teams.attempts) == (5, 5)
    # ... but operations heard of each target once per window
    assert sorted(told.target for told in operations.told) == ["slack", "slack", "teams", "teams"]


def test_operations_that_cannot_be_told_fail_the_record_for_that_target_only(
    service_with_three_targets: ServiceFactory,
    ledger: InMemoryAlertLedger,
    operations: RecordingOperations,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    slack.refusals = 5
    operations.failures = 1
    service = service_with_three_targets()

    with pytest.raises(DeliveryIncompleteError) as raised:
        _handle(service, alert_body(SMS_UNDELIVERED))

    assert raised.value.failed.keys() == {"slack"}
    assert ledger.alerts[ALERT_KEY].given_up == frozenset()
    assert (len(sns.sent), len(teams.sent)) == (1, 1)
    # When SQS redelivers it, the refusal is told and recorded this time
    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.SENT
    assert [told.target for told in operations.told] == ["slack"]
    assert ledger.alerts[ALERT_KEY].given_up == {"slack"}
    assert (len(sns.sent), len(teams.sent)) == (1, 1)


def test_a_transient_failure_is_still_retried_not_given_up(
    service_with_three_targets: ServiceFactory,
    ledger: InMemoryAlertLedger,
    operations: RecordingOperations,
    slack: RecordingTarget,
) -> None:
    slack.failures = 1  # a 503, a timeout, a 429 after the client's own retries
    service = service_with_three_targets()

    with pytest.raises(DeliveryIncompleteError):
        _handle(service, alert_body(SMS_UNDELIVERED))

    assert ledger.alerts[ALERT_KEY].given_up == frozenset()
    assert operations.told == []
    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.SENT
    assert len(slack.sent) == 1


def test_a_refused_digest_does_not_stall_the_chain(
    service_with_three_targets: ServiceFactory,
    scheduler: RecordingScheduler,
    ledger: InMemoryAlertLedger,
    operations: RecordingOperations,
    clock: FakeClock,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    # An hour-long window: the chain must go on after the first digest
    service = service_with_three_targets(storm=StormControl(threshold=1, window_seconds=3600))
    run = service.start_batch(25.0)
    for index in range(4):
        run.handle(body_for_transid(SMS_UNDELIVERED, f"storm-{index}"))
    marker, delay = scheduler.markers.pop(0)
    clock.advance(delay)
    slack.refusals = 1

    outcome = _handle(service, marker.to_body())

    assert outcome is Outcome.DIGEST_SENT
    assert [type(notice) for notice in sns.sent] == [Alert, Digest]
    assert [type(notice) for notice in teams.sent] == [Alert, Digest]
    assert [(told.target, told.message_id) for told in operations.told] == [
        ("slack", sns.sent[-1].message_id)
    ]
    window = StormWindow.containing(clock.now, 3600)
    state = ledger.get_window(window)
    assert state is not None
    assert state.open_digest is None  # closed, not waiting for slack
    assert [queued.sequence for queued, _ in scheduler.markers] == [marker.sequence + 1]
    # A redelivered copy of the marker neither repeats the digest nor tells operations again
    assert _handle(service, marker.to_body()) is Outcome.MARKER_STALE
    assert len(operations.told) == 1


def test_a_batch_with_a_refusing_target_reports_no_failures(
    service_with_three_targets: ServiceFactory,
    operations: RecordingOperations,
    sns: RecordingTarget,
    slack: RecordingTarget,
) -> None:
    slack.refusals = 100
    service = service_with_three_targets(storm=StormControl(threshold=100, window_seconds=300))
    event = sqs_event(alert_body("04-sms-failed"), alert_body("27-fb-failed"))

    response = lambda_handler(event, FakeLambdaContext(), service=service)

    assert failed_ids(response) == []
    assert len(sns.sent) == 2
    assert len(operations.told) == 1


# ---- a "sent" mark that cannot be recorded ----------------------------------------------------


class MarkFailingLedger(InMemoryAlertLedger):
    """Cannot record the next ``failures`` sent marks of ``target`` (the table throttles)."""

    def __init__(self, target: str, failures: int = 1) -> None:
        super().__init__()
        self.target = target
        self.failures = failures

    def _fail(self, target: str) -> None:
        if target == self.target and self.failures > 0:
            self.failures -= 1
            raise StoreUnavailableError("throttled")

    def mark_alert_sent(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        self._fail(target)
        super().mark_alert_sent(transid, status, target, now)

    def mark_digest_sent(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None:
        self._fail(target)
        super().mark_digest_sent(window, sequence, target, now)


def test_an_unrecorded_sent_mark_does_not_skip_the_remaining_targets(
    service_with_three_targets: ServiceFactory,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    ledger = MarkFailingLedger("sns")
    service = service_with_three_targets(ledger=ledger)

    with pytest.raises(DeliveryIncompleteError) as raised:
        _handle(service, alert_body(SMS_UNDELIVERED))

    assert (len(sns.sent), len(slack.sent), len(teams.sent)) == (1, 1, 1)
    assert raised.value.failed.keys() == {"sns"}
    assert "not recorded" in raised.value.failed["sns"]
    assert set(raised.value.sent) == {"slack", "teams"}
    assert ledger.alerts[ALERT_KEY].sent == {"slack", "teams"}
    # The retry sends again to the target whose mark was lost (at least once), to no other
    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.SENT
    assert (len(sns.sent), len(slack.sent), len(teams.sent)) == (2, 1, 1)


def test_an_unrecorded_sent_mark_fails_its_record_in_the_batch(
    service_with_three_targets: ServiceFactory,
    sns: RecordingTarget,
    teams: RecordingTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = service_with_three_targets(
        ledger=MarkFailingLedger("slack"), storm=StormControl(threshold=100, window_seconds=300)
    )
    event = sqs_event(alert_body(SMS_UNDELIVERED), alert_body("27-fb-failed"))

    response = lambda_handler(event, FakeLambdaContext(), service=service)

    assert failed_ids(response) == ["m-1"]
    assert (len(sns.sent), len(teams.sent)) == (2, 2)
    # Counted like any other ledger outage, so the alarm on it sees this one too.
    assert '"AlertLedgerUnavailable":[' in capsys.readouterr().out.replace(" ", "")


def test_an_unrecorded_digest_mark_does_not_skip_the_remaining_targets(
    service_with_three_targets: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
    slack: RecordingTarget,
    teams: RecordingTarget,
) -> None:
    ledger = MarkFailingLedger("sns", failures=0)
    service = service_with_three_targets(
        ledger=ledger, storm=StormControl(threshold=1, window_seconds=300)
    )
    run = service.start_batch(25.0)
    for index in range(4):
        run.handle(body_for_transid(SMS_UNDELIVERED, f"storm-{index}"))
    marker, delay = scheduler.markers.pop(0)
    clock.advance(delay)
    ledger.failures = 1

    with pytest.raises(DeliveryIncompleteError):
        _handle(service, marker.to_body())

    def digests(target: RecordingTarget) -> int:
        return sum(isinstance(notice, Digest) for notice in target.sent)

    assert (digests(sns), digests(slack), digests(teams)) == (1, 1, 1)
    # The redelivered marker completes the digest: again to SNS only, then the chain ends
    assert _handle(service, marker.to_body()) is Outcome.DIGEST_SENT
    assert (digests(sns), digests(slack), digests(teams)) == (2, 1, 1)
    assert scheduler.markers == []
