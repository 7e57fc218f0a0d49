"""The handler over whole SQS batches: partial failures list exactly the failed records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.alerts.doubles import (
    FakeLambdaContext,
    RecordingTarget,
    alert_body,
    failed_ids,
    load_sqs_event,
    sqs_event,
)

from alerts.handler import lambda_handler
from alerts.service import AlertService, StormControl

ServiceFactory = Callable[..., AlertService]


@pytest.fixture
def make_service(make_service: ServiceFactory) -> ServiceFactory:
    """No storm control in these batches: a threshold above any batch size."""

    def build(**overrides: object) -> AlertService:
        return make_service(
            **{"storm": StormControl(threshold=100, window_seconds=300), **overrides}
        )

    return build


def test_a_mixed_batch_fails_only_its_poison_records(
    make_service: ServiceFactory,
    sns: RecordingTarget,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = load_sqs_event("batch-mixed.json")
    records = {record["messageId"]: record for record in event["Records"]}
    poison = [
        message_id
        for message_id, record in records.items()
        if not record["body"].startswith('{"eventID"')
    ]

    response = lambda_handler(event, FakeLambdaContext(), service=make_service())

    assert failed_ids(response) == sorted(poison)
    assert len(poison) == 2
    # the good records alerted once each, the duplicate not at all
    assert len(sns.sent) == 2
    rejected = [
        record
        for record in caplog.records
        if record.getMessage().startswith("alert message rejected")
    ]
    assert sorted(getattr(record, "message_id", "") for record in rejected) == sorted(poison)
    assert all(record.levelname == "ERROR" for record in rejected)


def test_a_batch_where_every_record_fails_is_answered_not_raised(
    make_service: ServiceFactory,
) -> None:
    event = sqs_event("not json", '{"dynamodb": 1}', "[]")

    response = lambda_handler(event, FakeLambdaContext(), service=make_service())

    assert failed_ids(response) == ["m-1", "m-2", "m-3"]


def test_a_failing_target_fails_its_records_and_a_redelivery_completes_them(
    make_service: ServiceFactory, sns: RecordingTarget, slack: RecordingTarget
) -> None:
    slack.failures = 1
    service = make_service()
    event = load_sqs_event("batch-failures.json")
    all_ids = sorted(record["messageId"] for record in event["Records"])

    first = lambda_handler(event, FakeLambdaContext(), service=service)

    # slack failed once, then was left alone for the rest of the batch
    assert failed_ids(first) == all_ids
    assert slack.attempts == 1
    assert len(sns.sent) == 10

    # When SQS redelivers the failed records
    redelivery = {"Records": [r for r in event["Records"] if r["messageId"] in failed_ids(first)]}
    second = lambda_handler(redelivery, FakeLambdaContext(), service=service)

    assert failed_ids(second) == []
    assert len(sns.sent) == 10  # nothing sent twice to SNS
    assert len(slack.sent) == 10


def test_a_good_batch_reports_no_failures(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    event = sqs_event(alert_body("04-sms-failed"), alert_body("27-fb-failed"))

    response = lambda_handler(event, FakeLambdaContext(), service=make_service())

    assert response == {"batchItemFailures": []}
    assert len(sns.sent) == 2


def test_a_ledger_outage_fails_the_record_for_a_retry(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    from tests.unit.alerts.memory_ledger import InMemoryAlertLedger

    from receipts.storage import StoreUnavailableError

    class DownLedger(InMemoryAlertLedger):
        def get_alert(self, transid: str, status: object) -> None:
            raise StoreUnavailableError("throttled")

    event = sqs_event(alert_body("04-sms-failed"))

    response = lambda_handler(event, FakeLambdaContext(), service=make_service(ledger=DownLedger()))

    assert failed_ids(response) == ["m-1"]
    assert sns.sent == []
