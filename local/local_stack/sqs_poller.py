"""Lambda's SQS event source, emulated: receive, invoke with an SQS event, settle the batch.

With ``ReportBatchItemFailures`` the handler's ``batchItemFailures`` are left on the queue
and the rest deleted, exactly as Lambda does; a handler that raises (or returns an item
identifier that is not in the batch) fails the whole batch. Failed messages are made
visible again after a short, local visibility timeout instead of the queue's own (180 s),
so moto's redrive moves a poison message to the dead-letter queue after
``maxReceiveCount`` tries within seconds.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from local_stack.lambda_runtime import HandlerUnavailableError, LocalFunction
from local_stack.worker import BackgroundWorker

LOGGER = logging.getLogger("local_stack.sqs")


@dataclass(frozen=True)
class PollerSettings:
    queue_url: str
    queue_arn: str
    region: str
    batch_size: int = 10
    report_batch_item_failures: bool = True
    wait_seconds: int = 1
    retry_visibility_seconds: int = 1


def _lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        converted[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
    return converted


def sqs_event(messages: Iterable[dict[str, Any]], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller gives the function for received messages."""
    records = []
    for message in messages:
        body = message.get("Body", "")
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": body,
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": _lambda_message_attributes(
                    message.get("MessageAttributes", {})
                ),
                "md5OfBody": message.get("MD5OfBody")
                or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


@dataclass(frozen=True)
class Settlement:
    succeeded: list[str]
    failed: list[str]


def settle_batch(
    result: Any, message_ids: Sequence[str], *, report_batch_item_failures: bool
) -> Settlement:
    """Which messages of a batch succeeded, from the handler's return value.

    Follows Lambda's rules: without ``ReportBatchItemFailures`` a returned value means
    success; with it, a missing or empty ``batchItemFailures`` means success, and a
    malformed answer (an identifier that is empty or not in the batch) fails the batch.
    """
    everything = list(message_ids)
    if not report_batch_item_failures or not isinstance(result, dict):
        return Settlement(everything, [])
    failures = result.get("batchItemFailures")
    if not failures:
        return Settlement(everything, [])
    if not isinstance(failures, list):
        return Settlement([], everything)
    failed: list[str] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in message_ids:
            return Settlement([], everything)
        failed.append(identifier)
    return Settlement([item for item in everything if item not in failed], failed)


class SqsPoller(BackgroundWorker):
    def __init__(self, settings: PollerSettings, function: LocalFunction, sqs_client: Any) -> None:
        # Room for the long poll in progress (wait_seconds) and the batch it may be invoking.
        super().__init__(
            thread_name=f"sqs-poller-{function.spec.logical_id}",
            stop_wait_seconds=settings.wait_seconds + 10,
            warn_if_left_running=False,
        )
        self.settings = settings
        self._function = function
        self._sqs = sqs_client
        self.invocations = 0
        self.succeeded = 0
        self.failed = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return
                LOGGER.exception("polling %s failed; retrying", self.settings.queue_url)
                self._stop.wait(1)

    def poll_once(self) -> Settlement | None:
        answer = self._sqs.receive_message(
            QueueUrl=self.settings.queue_url,
            MaxNumberOfMessages=min(self.settings.batch_size, 10),
            WaitTimeSeconds=self.settings.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return None
        event = sqs_event(messages, queue_arn=self.settings.queue_arn, region=self.settings.region)
        ids = [message["MessageId"] for message in messages]
        self.invocations += 1
        try:
            result = self._function.invoke(event).result
            settlement = settle_batch(
                result, ids, report_batch_item_failures=self.settings.report_batch_item_failures
            )
        except HandlerUnavailableError as error:
            LOGGER.error("%s", error)
            settlement = Settlement([], ids)
        except Exception:
            LOGGER.error(
                "%s raised; the whole batch will be retried:\n%s",
                self._function.spec.logical_id,
                traceback.format_exc(),
            )
            settlement = Settlement([], ids)
        self._settle(messages, settlement)
        return settlement

    def _settle(self, messages: list[dict[str, Any]], settlement: Settlement) -> None:
        handles = {message["MessageId"]: message["ReceiptHandle"] for message in messages}
        if settlement.succeeded:
            self._sqs.delete_message_batch(
                QueueUrl=self.settings.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": handles[message_id]}
                    for index, message_id in enumerate(settlement.succeeded)
                ],
            )
        if settlement.failed:
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.settings.queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": handles[message_id],
                        "VisibilityTimeout": self.settings.retry_visibility_seconds,
                    }
                    for index, message_id in enumerate(settlement.failed)
                ],
            )
        self.succeeded += len(settlement.succeeded)
        self.failed += len(settlement.failed)
        if settlement.failed:
            LOGGER.info(
                "%d alert record(s) failed and will be retried (or dead-lettered)",
                len(settlement.failed),
            )
