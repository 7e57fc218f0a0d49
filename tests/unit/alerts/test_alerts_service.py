"""The alerting rules with in-memory collaborators: filters, idempotency, storm digests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from tests.unit.alerts.doubles import (
    FakeClock,
    RecordingScheduler,
    RecordingTarget,
    alert_body,
    body_for_transid,
    stored_event_body,
)
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger
from tests.unit.alerts.reconciled_samples import (
    SMS_FAILED_TRANSID,
    horizon_closure,
    status_api_failure,
)

from alerts.errors import AlertMessageError, DeliveryIncompleteError
from alerts.model import Alert, AlertMode, AlertRecord, Digest, DigestMarker, StormWindow
from alerts.service import AlertRules, AlertService, Outcome, StormControl
from alerts.settings import DEFAULT_ALERT_STATUSES
from receipts.channels import Channel
from receipts.errors import NotificationValidationError
from receipts.lifecycle import DeliveryStatus, EventOrigin

SMS_UNDELIVERED = "03-sms-un-delivered"
EMAIL_BOUNCE = "36-email-bounce"
SMS_UNDELIVERED_TRANSID = "8f0fd088-2a80-43e3-9da1-e82e52b17390"

ServiceFactory = Callable[..., AlertService]


def _handle(service: AlertService, body: str, seconds_left: float = 25.0) -> Outcome:
    return service.start_batch(seconds_left).handle(body)


def _storm(service: AlertService, count: int, sample: str = SMS_UNDELIVERED) -> list[Outcome]:
    run = service.start_batch(25.0)
    return [run.handle(body_for_transid(sample, f"storm-{index:05d}")) for index in range(count)]


def _deliver_markers(
    service: AlertService, scheduler: RecordingScheduler, clock: FakeClock
) -> list[Outcome]:
    """Let every scheduled marker fire (after its delay), until the chain stops."""
    outcomes = []
    while scheduler.markers:
        marker, delay = scheduler.markers.pop(0)
        clock.advance(delay)
        outcomes.append(_handle(service, marker.to_body()))
    return outcomes


# ---- what alerts ---------------------------------------------------------------------------


def test_a_failure_alerts_every_target_once_with_its_details(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    service = make_service()

    outcome = _handle(service, alert_body(SMS_UNDELIVERED))

    assert outcome is Outcome.SENT
    assert len(sns.sent) == 1
    assert len(slack.sent) == 1
    alert = sns.sent[0]
    assert isinstance(alert, Alert)
    assert alert.transid == SMS_UNDELIVERED_TRANSID
    assert alert.status is DeliveryStatus.UNDELIVERED
    assert alert.code == 7208
    assert alert.code_message == "Message expired"
    assert "910000000001" not in alert.destination
    assert (
        alert.lookup_url == f"https://lookup.example.test/v1/transactions/{SMS_UNDELIVERED_TRANSID}"
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (AlertRules(frozenset({DeliveryStatus.BOUNCED})), Outcome.FILTERED),
        (AlertRules(DEFAULT_ALERT_STATUSES, channels=frozenset({Channel.EMAIL})), Outcome.FILTERED),
        (AlertRules(DEFAULT_ALERT_STATUSES, codes=frozenset({7200})), Outcome.FILTERED),
        (AlertRules(DEFAULT_ALERT_STATUSES, channels=frozenset({Channel.SMS})), Outcome.SENT),
        (AlertRules(DEFAULT_ALERT_STATUSES, codes=frozenset({7208})), Outcome.SENT),
    ],
)
def test_statuses_channels_and_codes_filter_what_alerts(
    make_service: ServiceFactory,
    ledger: InMemoryAlertLedger,
    sns: RecordingTarget,
    rules: AlertRules,
    expected: Outcome,
) -> None:
    service = make_service(rules=rules)

    outcome = _handle(service, alert_body(SMS_UNDELIVERED))

    assert outcome is expected
    assert len(sns.sent) == (1 if expected is Outcome.SENT else 0)
    if expected is Outcome.FILTERED:
        assert ledger.calls == {}  # a filtered event costs nothing


def test_no_answer_and_busy_are_not_alerted_by_default(make_service: ServiceFactory) -> None:
    assert DeliveryStatus.NO_ANSWER not in DEFAULT_ALERT_STATUSES
    assert DeliveryStatus.BUSY not in DEFAULT_ALERT_STATUSES
    assert DeliveryStatus.DELIVERED not in DEFAULT_ALERT_STATUSES


def test_nothing_to_send_to_is_reported_as_such(
    make_service: ServiceFactory, ledger: InMemoryAlertLedger
) -> None:
    service = make_service(targets=lambda: [])

    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.NO_TARGETS


# ---- once per transaction and status ---------------------------------------------------------


def test_a_redelivered_record_is_not_alerted_again(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    service = make_service()
    _handle(service, alert_body(SMS_UNDELIVERED))

    # Given the same record again, in a later batch (an SQS redelivery)
    outcome = _handle(service, alert_body(SMS_UNDELIVERED))

    assert outcome is Outcome.DUPLICATE
    assert (len(sns.sent), len(slack.sent)) == (1, 1)


def test_the_same_transaction_and_status_alerts_once_even_with_another_code(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    service = make_service()
    first = alert_body(EMAIL_BOUNCE)
    # the complaint sample shares the bounce sample's transid but has another status
    complaint = alert_body("37-email-complaint")

    outcomes = [_handle(service, first), _handle(service, first), _handle(service, complaint)]

    assert outcomes == [Outcome.SENT, Outcome.DUPLICATE, Outcome.SENT]
    assert [notice.status for notice in sns.sent] == [  # type: ignore[union-attr]
        DeliveryStatus.BOUNCED,
        DeliveryStatus.COMPLAINT,
    ]


def test_a_failing_target_fails_the_record_and_the_retry_skips_targets_that_succeeded(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    slack.failures = 1
    service = make_service()

    with pytest.raises(DeliveryIncompleteError) as raised:
        _handle(service, alert_body(SMS_UNDELIVERED))

    assert raised.value.failed.keys() == {"slack"}
    assert raised.value.sent == ("sns",)
    # When SQS redelivers the record
    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.SENT
    assert len(sns.sent) == 1  # not sent twice
    assert len(slack.sent) == 1
    assert _handle(service, alert_body(SMS_UNDELIVERED)) is Outcome.DUPLICATE


def test_a_target_that_failed_is_not_called_again_in_the_same_batch(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    slack.failures = 5
    run = make_service().start_batch(25.0)

    for index in range(3):
        with pytest.raises(DeliveryIncompleteError):
            run.handle(body_for_transid(SMS_UNDELIVERED, f"tx-{index}"))

    assert slack.attempts == 1
    assert len(sns.sent) == 3


def test_a_target_is_not_called_without_time_for_it(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    sns.minimum_seconds = 10.0
    service = make_service()

    with pytest.raises(DeliveryIncompleteError) as raised:
        _handle(service, alert_body(SMS_UNDELIVERED), seconds_left=5.0)

    assert "not enough time" in raised.value.failed["sns"]
    assert sns.attempts == 0
    assert len(slack.sent) == 1


class RacingLedger(InMemoryAlertLedger):
    """Its first read misses an alert that another invocation records and sends meanwhile."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self._now = now
        self._raced = False

    def get_alert(self, transid: str, status: DeliveryStatus) -> AlertRecord | None:
        found = super().get_alert(transid, status)
        if found is None and not self._raced:
            self._raced = True
            window = StormWindow.containing(self._now, 300)
            self.count_alert(window)
            self.claim_alert(AlertRecord(transid, status, AlertMode.SINGLE, window), self._now)
            for target in ("sns", "slack"):
                self.mark_alert_sent(transid, status, target, self._now)
        return found


def test_an_alert_claimed_concurrently_is_neither_sent_nor_counted_twice(
    make_service: ServiceFactory, clock: FakeClock, sns: RecordingTarget
) -> None:
    ledger = RacingLedger(clock.now)
    service = make_service(ledger=ledger)

    outcome = _handle(service, alert_body(SMS_UNDELIVERED))

    assert outcome is Outcome.DUPLICATE
    assert sns.sent == []
    assert ledger.window_alerts(StormWindow.containing(clock.now, 300)) == 1
    assert ledger.calls["uncount_alert"] == 1


# ---- storms become digests -------------------------------------------------------------------


# ---- events the reconcile sweep stored -------------------------------------------------------


def test_a_failure_the_status_api_told_alerts_like_a_callback_and_says_so(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    outcome = _handle(make_service(), stored_event_body(status_api_failure()))

    assert outcome is Outcome.SENT
    (alert,) = sns.sent
    assert isinstance(alert, Alert)
    assert (alert.status, alert.origin) == (DeliveryStatus.FAILED, EventOrigin.STATUS_API)


@pytest.mark.parametrize("first", ["status_api", "callback"])
def test_a_callback_and_a_status_api_answer_of_one_failure_alert_once(
    make_service: ServiceFactory, sns: RecordingTarget, first: str
) -> None:
    service = make_service()
    told = {
        "status_api": stored_event_body(status_api_failure()),
        "callback": alert_body("04-sms-failed"),
    }
    later = "callback" if first == "status_api" else "status_api"

    outcomes = [_handle(service, told[first]), _handle(service, told[later])]

    assert outcomes == [Outcome.SENT, Outcome.DUPLICATE]
    assert [notice.origin for notice in sns.sent] == [EventOrigin(first)]  # type: ignore[union-attr]


def test_a_horizon_closure_alerts_though_unknown_is_no_alert_status(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    assert DeliveryStatus.UNKNOWN not in DEFAULT_ALERT_STATUSES

    outcome = _handle(make_service(), stored_event_body(horizon_closure()))

    assert outcome is Outcome.SENT
    (alert,) = sns.sent
    assert isinstance(alert, Alert)
    assert (alert.status, alert.origin) == (DeliveryStatus.UNKNOWN, EventOrigin.HORIZON)
    assert alert.horizon_hours == 72.0


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (AlertRules(DEFAULT_ALERT_STATUSES, channels=frozenset({Channel.EMAIL})), Outcome.FILTERED),
        (AlertRules(DEFAULT_ALERT_STATUSES, channels=frozenset({Channel.SMS})), Outcome.SENT),
        # A closure has no code: code filters pick among reported failures only.
        (AlertRules(DEFAULT_ALERT_STATUSES, codes=frozenset({7208})), Outcome.SENT),
        (AlertRules(frozenset({DeliveryStatus.BOUNCED})), Outcome.SENT),
    ],
)
def test_only_the_channel_filter_applies_to_a_horizon_closure(
    make_service: ServiceFactory, rules: AlertRules, expected: Outcome
) -> None:
    assert _handle(make_service(rules=rules), stored_event_body(horizon_closure())) is expected


def test_a_real_failure_after_a_horizon_closure_alerts_too(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    service = make_service()
    closure = stored_event_body(horizon_closure())

    outcomes = [
        _handle(service, closure),
        _handle(service, closure),
        _handle(service, alert_body("04-sms-failed")),
    ]

    assert outcomes == [Outcome.SENT, Outcome.DUPLICATE, Outcome.SENT]
    assert [(n.transid, n.status) for n in sns.sent] == [  # type: ignore[union-attr]
        (SMS_FAILED_TRANSID, DeliveryStatus.UNKNOWN),
        (SMS_FAILED_TRANSID, DeliveryStatus.FAILED),
    ]


def test_horizon_closures_in_a_storm_are_digested_on_a_line_of_their_own(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    service = make_service(storm=StormControl(threshold=1, window_seconds=300))
    run = service.start_batch(25.0)
    run.handle(body_for_transid(SMS_UNDELIVERED, "first"))
    for index in range(3):
        run.handle(stored_event_body(horizon_closure(f"closed-{index}")))
    run.handle(body_for_transid(SMS_UNDELIVERED, "sms-0"))

    _deliver_markers(service, scheduler, clock)

    digest = sns.sent[-1]
    assert isinstance(digest, Digest)
    assert [(line.status, line.code, line.count) for line in digest.lines] == [
        (DeliveryStatus.UNKNOWN, None, 3),
        (DeliveryStatus.UNDELIVERED, 7208, 1),
    ]
    assert digest.lines[0].is_no_final_receipt


def test_a_storm_becomes_one_digest_after_the_threshold(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
    slack: RecordingTarget,
) -> None:
    service = make_service()  # threshold 3, window 300 s

    outcomes = _storm(service, 10)

    assert outcomes == [Outcome.SENT] * 3 + [Outcome.DIGESTED] * 7
    assert len(sns.sent) == 3
    # One marker, due when the window has closed (plus a little grace)
    assert len(scheduler.markers) == 1
    marker, delay = scheduler.markers[0]
    assert marker.sequence == 0
    assert delay == 305

    assert _deliver_markers(service, scheduler, clock) == [Outcome.DIGEST_SENT]

    digests = [notice for notice in sns.sent if isinstance(notice, Digest)]
    assert len(digests) == 1
    digest = digests[0]
    assert digest.alerts == 7
    assert [(line.channel, line.status, line.code, line.count) for line in digest.lines] == [
        (Channel.SMS, DeliveryStatus.UNDELIVERED, 7208, 7)
    ]
    assert 1 <= len(digest.examples) <= 5
    assert all(example.transid.startswith("storm-") for example in digest.examples)
    assert digest.examples[0].lookup_url.startswith("https://lookup.example.test/v1/transactions/")
    assert digest.window_alerts == 10
    assert [type(notice) for notice in slack.sent] == [Alert] * 3 + [Digest]
    assert scheduler.markers == []  # the chain ended with the window


def test_once_a_storm_is_known_each_alert_is_one_write_on_the_window(
    make_service: ServiceFactory,
    ledger: InMemoryAlertLedger,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    # The window's item is one partition key: a storm must not spend two writes per alert.
    service = make_service()  # threshold 3, window 300 s

    _storm(service, 10)

    # Alerts 1-4 count (the 4th crosses the threshold and is digested separately), 5-10 count
    # and digest in one update each.
    assert (ledger.calls["count_alert"], ledger.calls["add_to_digest"]) == (4, 1)
    assert ledger.calls["count_into_digest"] == 6
    _deliver_markers(service, scheduler, clock)
    (digest,) = [notice for notice in sns.sent if isinstance(notice, Digest)]
    assert (digest.alerts, digest.window_alerts) == (7, 10)


def test_a_digest_counts_by_channel_status_and_code(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    service = make_service(storm=StormControl(threshold=1, window_seconds=300))
    run = service.start_batch(25.0)
    run.handle(body_for_transid(SMS_UNDELIVERED, "first"))
    for index in range(4):
        run.handle(body_for_transid(SMS_UNDELIVERED, f"sms-{index}"))
    for index in range(2):
        run.handle(body_for_transid(EMAIL_BOUNCE, f"email-{index}"))

    _deliver_markers(service, scheduler, clock)

    digest = sns.sent[-1]
    assert isinstance(digest, Digest)
    assert [(line.channel, line.code, line.count) for line in digest.lines] == [
        (Channel.SMS, 7208, 4),
        (Channel.EMAIL, 7520, 2),
    ]


def test_ten_thousand_failures_make_a_handful_of_messages(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    service = make_service(storm=StormControl(threshold=20, window_seconds=300))
    run = service.start_batch(25.0)

    # 10,000 failures over 20 minutes: four windows
    for index in range(10_000):
        if index and index % 2_500 == 0:
            _deliver_due_markers(service, scheduler, clock, until_seconds=300)
        run.handle(body_for_transid(SMS_UNDELIVERED, f"campaign-{index:05d}"))
    _deliver_markers(service, scheduler, clock)

    digests = [notice for notice in sns.sent if isinstance(notice, Digest)]
    singles = [notice for notice in sns.sent if isinstance(notice, Alert)]
    assert len(singles) == 20  # only the first window's threshold; later windows follow a storm
    assert len(digests) == 4
    assert sum(digest.alerts for digest in digests) == 10_000 - 20


def _deliver_due_markers(
    service: AlertService, scheduler: RecordingScheduler, clock: FakeClock, until_seconds: int
) -> None:
    """Move time forward ``until_seconds``, firing the markers that fall due meanwhile."""
    end = clock.now.timestamp() + until_seconds
    while scheduler.markers and clock.now.timestamp() + scheduler.markers[0][1] <= end:
        marker, delay = scheduler.markers.pop(0)
        clock.advance(delay)
        _handle(service, marker.to_body())
    clock.advance(end - clock.now.timestamp())


def test_the_window_after_a_calm_one_alerts_one_by_one_again(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    service = make_service()  # threshold 3
    _storm(service, 6)
    _deliver_markers(service, scheduler, clock)  # now in the next window
    # A window with a single failure: it follows a storm, so it is still digested ...
    assert _handle(service, body_for_transid(SMS_UNDELIVERED, "calm-1")) is Outcome.DIGESTED
    _deliver_markers(service, scheduler, clock)  # ... and now in the window after that one

    assert _handle(service, body_for_transid(SMS_UNDELIVERED, "calm-2")) is Outcome.SENT


def test_a_long_storm_window_is_digested_every_fifteen_minutes_and_its_tail_too(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    # Given an hour-long window: a marker can wait at most 15 minutes
    service = make_service(storm=StormControl(threshold=2, window_seconds=3600))
    _storm(service, 5)  # 2 single alerts, 3 pending
    marker, delay = scheduler.markers.pop(0)
    assert delay == 900

    clock.advance(delay)
    assert _handle(service, marker.to_body()) is Outcome.DIGEST_SENT
    late = service.start_batch(25.0)
    for index in range(4):  # the tail of the storm
        late.handle(body_for_transid(SMS_UNDELIVERED, f"tail-{index}"))
    outcomes = _deliver_markers(service, scheduler, clock)

    digests = [notice for notice in sns.sent if isinstance(notice, Digest)]
    assert [digest.alerts for digest in digests] == [3, 4]
    assert outcomes.count(Outcome.DIGEST_SENT) == 1
    assert clock.now >= digests[0].window.end  # the chain ran until the window closed
    assert scheduler.markers == []


def test_a_digest_whose_target_fails_is_retried_for_that_target_only(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
    slack: RecordingTarget,
) -> None:
    service = make_service()
    _storm(service, 8)
    marker, delay = scheduler.markers.pop(0)
    clock.advance(delay)
    slack.failures = 1

    with pytest.raises(DeliveryIncompleteError):
        _handle(service, marker.to_body())
    assert scheduler.markers == []  # the chain waits for the retry

    assert _handle(service, marker.to_body()) is Outcome.DIGEST_SENT  # SQS redelivers it
    assert sum(isinstance(notice, Digest) for notice in sns.sent) == 1
    assert sum(isinstance(notice, Digest) for notice in slack.sent) == 1


def test_a_duplicated_marker_neither_repeats_the_digest_nor_forks_the_chain(
    make_service: ServiceFactory,
    scheduler: RecordingScheduler,
    clock: FakeClock,
    sns: RecordingTarget,
) -> None:
    service = make_service(storm=StormControl(threshold=1, window_seconds=3600))
    _storm(service, 4)
    marker, delay = scheduler.markers.pop(0)
    clock.advance(delay)

    first = _handle(service, marker.to_body())
    second = _handle(service, marker.to_body())

    assert (first, second) == (Outcome.DIGEST_SENT, Outcome.MARKER_STALE)
    assert sum(isinstance(notice, Digest) for notice in sns.sent) == 1
    assert [queued.sequence for queued, _ in scheduler.markers] == [1]


def test_a_marker_that_cannot_be_scheduled_fails_the_record_and_the_retry_schedules_it(
    make_service: ServiceFactory, scheduler: RecordingScheduler, ledger: InMemoryAlertLedger
) -> None:
    service = make_service(storm=StormControl(threshold=1, window_seconds=300))
    _handle(service, body_for_transid(SMS_UNDELIVERED, "single"))
    scheduler.failures = 1
    body = body_for_transid(SMS_UNDELIVERED, "first-of-the-storm")

    with pytest.raises(RuntimeError, match="scripted"):
        _handle(service, body)
    assert all(not window.chain_active for window in ledger.windows.values())

    assert _handle(service, body) is Outcome.DUPLICATE  # redelivered: already counted ...
    assert len(scheduler.markers) == 1  # ... and now its marker is on its way
    assert sum(window.pending for window in ledger.windows.values()) == 1


def test_a_stale_marker_for_an_unknown_window_does_nothing(
    make_service: ServiceFactory, sns: RecordingTarget, clock: FakeClock
) -> None:
    marker = DigestMarker(StormWindow.containing(clock.now, 300), 7)

    assert _handle(make_service(), marker.to_body()) is Outcome.MARKER_STALE
    assert sns.sent == []


# ---- poison ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("this is not JSON", AlertMessageError),
        ('{"eventName": "INSERT", "dynamodb": {}}', NotificationValidationError),
        (
            '{"alertsDigest": {"window": "yesterday", "windowSeconds": 300, "sequence": 0}}',
            AlertMessageError,
        ),
        (
            '{"alertsDigest": {"window": "2024-05-01T10:00Z", "windowSeconds": 0, "sequence": 0}}',
            AlertMessageError,
        ),
        ("[1, 2, 3]", NotificationValidationError),
    ],
)
def test_a_message_that_is_not_an_alert_is_refused(
    make_service: ServiceFactory, sns: RecordingTarget, body: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _handle(make_service(), body)
    assert sns.sent == []
