"""Lambda's DynamoDB stream event source, emulated: read, filter, batch, invoke, retry.

One worker per ``Type: DynamoDB`` event of the template. It reads the table's stream from
the trigger's starting position (moto's stream, read as the alerts pipe reads it), keeps
the records the trigger's filter patterns keep, and invokes the function with the event
Lambda builds: records in stream order, at most ``BatchSize`` a batch, gathered for up to
the batching window when fewer are there.

A failed batch blocks the stream, as it blocks a shard in Lambda: it is retried (split in
halves first with ``BisectBatchOnFunctionError``, when the function raised) up to
``MaximumRetryAttempts`` times, then described in a failure record sent to the on-failure
queue, and the worker moves on. With ``ReportBatchItemFailures`` the function's
``batchItemFailures`` set a checkpoint: the records before the earliest one reported are
done, and it and those after it are retried. Retries wait a short local delay instead of
Lambda's backoff, so exhaustion can be watched within seconds.

``ParallelizationFactor`` has no effect locally: one worker delivers the stream in order,
which is the order Lambda keeps for each key whatever the factor.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import traceback
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local_stack.event_patterns import matches_any
from local_stack.functions import UNLIMITED_RETRY_ATTEMPTS
from local_stack.lambda_runtime import HandlerUnavailableError, LocalFunction
from local_stack.worker import BackgroundWorker

LOGGER = logging.getLogger("local_stack.stream")

# The version of the record format Lambda gives DynamoDB stream functions.
LAMBDA_EVENT_VERSION = "1.1"
# get_records refuses a larger Limit.
_MAX_RECORDS_PER_READ = 1000


@dataclass(frozen=True)
class StreamTriggerSettings:
    stream_arn: str
    region: str
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    starting_position: str = "TRIM_HORIZON"
    report_batch_item_failures: bool = False
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = UNLIMITED_RETRY_ATTEMPTS
    filter_patterns: tuple[dict[str, Any], ...] = ()
    on_failure_queue_url: str | None = None
    # Local choices: how often an idle stream is read, and the wait before a retry.
    poll_interval_seconds: float = 0.1
    retry_delay_seconds: float = 0.2


# ---- the event ----------------------------------------------------------------------------


def lambda_attribute_value(value: Any) -> Any:
    """A DynamoDB attribute value as Lambda's JSON gives it: binary as base64 text."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {key: lambda_attribute_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lambda_attribute_value(item) for item in value]
    return value


def _epoch_seconds(value: Any) -> Any:
    # boto3 parses the timestamp into a datetime; Lambda gives epoch seconds.
    return int(value.timestamp()) if isinstance(value, datetime) else value


def lambda_stream_record(record: dict[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """One stream record (as boto3's ``get_records`` returns it) as Lambda delivers it."""
    stream_data = record.get("dynamodb", {})
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": _epoch_seconds(
            stream_data.get("ApproximateCreationDateTime")
        ),
        "Keys": lambda_attribute_value(stream_data.get("Keys", {})),
    }
    for image in ("NewImage", "OldImage"):
        if image in stream_data:
            dynamodb[image] = lambda_attribute_value(stream_data[image])
    for name in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if name in stream_data:
            dynamodb[name] = stream_data[name]
    converted: dict[str, Any] = {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record.get("eventName"),
        "eventVersion": LAMBDA_EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        # moto says us-east-1 whatever the region; the mapping's region is the truth.
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        # Present on deletions by TTL, which consumers tell apart by it.
        converted["userIdentity"] = record["userIdentity"]
    return converted


def stream_event(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def _sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"].get("SequenceNumber", ""))


def completed_records(
    result: Any, sequence_numbers: Sequence[str], *, report_batch_item_failures: bool
) -> int:
    """How many records of a batch, from its start, the function's answer settles.

    Lambda's rules for streams: without ``ReportBatchItemFailures`` an answer means all
    done; with it, a missing or empty ``batchItemFailures`` means all done, the earliest
    reported sequence number is the checkpoint (it and what follows are retried), and a
    malformed answer (an identifier empty or not in the batch) fails the whole batch.
    """
    everything = len(sequence_numbers)
    if not report_batch_item_failures or not isinstance(result, dict):
        return everything
    failures = result.get("batchItemFailures")
    if not failures:
        return everything
    if not isinstance(failures, list):
        return 0
    positions = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in sequence_numbers:
            return 0
        positions.append(sequence_numbers.index(identifier))
    return min(positions)


def _iso_time(epoch_seconds: Any) -> str | None:
    if not isinstance(epoch_seconds, int | float):
        return None
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_record(
    records: Sequence[dict[str, Any]],
    *,
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    invoke_count: int,
    function_error: str | None,
) -> dict[str, Any]:
    """What Lambda sends an on-failure destination for a stream batch it gave up on."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first.get("SequenceNumber"),
            "endSequenceNumber": last.get("SequenceNumber"),
            "approximateArrivalOfFirstRecord": _iso_time(first.get("ApproximateCreationDateTime")),
            "approximateArrivalOfLastRecord": _iso_time(last.get("ApproximateCreationDateTime")),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


# ---- the worker ---------------------------------------------------------------------------


@dataclass
class _Attempt:
    """Part of a batch waiting for an invocation, and the invocations it already had."""

    records: list[dict[str, Any]]
    invocations: int = 0


@dataclass(frozen=True)
class _Outcome:
    completed: int
    # Lambda's name for why it failed ("Unhandled" when the function raised), or None.
    function_error: str | None = None


class StreamTriggerWorker(BackgroundWorker):
    """Runs one DynamoDB event source mapping of the template against moto's stream."""

    def __init__(
        self,
        settings: StreamTriggerSettings,
        function: LocalFunction,
        streams_client: Any,
        sqs_client: Any,
        *,
        name: str,
    ) -> None:
        super().__init__(
            thread_name=f"stream-trigger-{name}", stop_wait_seconds=10, warn_if_left_running=False
        )
        self.settings = settings
        self.name = name
        self._function = function
        self._streams = streams_client
        self._sqs = sqs_client
        self._iterator: str | None = None
        self._shard_id = ""
        # The last sequence number read: a lost iterator resumes after it, never re-reads.
        self._last_read: str | None = None
        self._pending: list[dict[str, Any]] = []
        self._pending_since: float | None = None
        self.invocations = 0
        self.records_delivered = 0
        self.filtered_out = 0
        self.failed_invocations = 0
        self.on_failure_batches = 0
        self.records_discarded = 0

    def snapshot(self) -> dict[str, int]:
        return {
            "invocations": self.invocations,
            "records_delivered": self.records_delivered,
            "filtered_out": self.filtered_out,
            "failed_invocations": self.failed_invocations,
            "on_failure_batches": self.on_failure_batches,
            "records_discarded": self.records_discarded,
        }

    # ---- the loop ---------------------------------------------------------------------

    def start(self) -> None:
        # LATEST means "from when the mapping was created": take the position now, not when
        # the thread first runs, or what is written just after start() would be skipped.
        try:
            self._shard_iterator()
        except Exception:
            LOGGER.warning("%s: positioning on the stream failed; the worker retries", self.name)
        super().start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once():
                    continue
            except Exception:
                if self._stop.is_set():
                    return
                LOGGER.exception("reading the stream for %s failed; retrying", self.name)
                self._iterator = None
            self._stop.wait(self._idle_wait())

    def poll_once(self) -> int:
        """Read what the stream has, then invoke with a batch if one is due.

        Returns how many records were handed to the function (0: nothing was due).
        """
        self._read_available()
        if not self._batch_is_due():
            return 0
        batch = self._pending[: self.settings.batch_size]
        self._pending = self._pending[self.settings.batch_size :]
        self._pending_since = time.monotonic() if self._pending else None
        self._deliver(batch)
        return len(batch)

    def _idle_wait(self) -> float:
        if self._pending_since is None:
            return self.settings.poll_interval_seconds
        window_left = self._pending_since + self.settings.batching_window_seconds
        return max(0.0, min(self.settings.poll_interval_seconds, window_left - time.monotonic()))

    def _batch_is_due(self) -> bool:
        if not self._pending:
            return False
        if len(self._pending) >= self.settings.batch_size or self._pending_since is None:
            return True
        waited = time.monotonic() - self._pending_since
        return waited >= self.settings.batching_window_seconds

    # ---- reading ----------------------------------------------------------------------

    def _read_available(self) -> None:
        """Read until the batch is full or the stream has nothing more for now."""
        while len(self._pending) < self.settings.batch_size:
            wanted = min(self.settings.batch_size - len(self._pending), _MAX_RECORDS_PER_READ)
            answer = self._streams.get_records(ShardIterator=self._shard_iterator(), Limit=wanted)
            self._iterator = answer.get("NextShardIterator")
            records = answer.get("Records", [])
            if not records:
                return
            self._last_read = str(records[-1]["dynamodb"]["SequenceNumber"])
            self._keep(records)

    def _keep(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            converted = lambda_stream_record(
                record, stream_arn=self.settings.stream_arn, region=self.settings.region
            )
            # Lambda filters before batching: a filtered record takes no room in a batch.
            if not matches_any(self.settings.filter_patterns, converted):
                self.filtered_out += 1
                continue
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append(converted)

    def _shard_iterator(self) -> str:
        if self._iterator is not None:
            return self._iterator
        description = self._streams.describe_stream(StreamArn=self.settings.stream_arn)
        # moto keeps a table's stream in one shard (real streams split theirs over time).
        self._shard_id = str(description["StreamDescription"]["Shards"][0]["ShardId"])
        position: dict[str, str] = {"ShardIteratorType": self.settings.starting_position}
        if self._last_read is not None:
            position = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": self._last_read,
            }
        self._iterator = str(
            self._streams.get_shard_iterator(
                StreamArn=self.settings.stream_arn, ShardId=self._shard_id, **position
            )["ShardIterator"]
        )
        return self._iterator

    # ---- delivering -------------------------------------------------------------------

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        """Invoke until every record of the batch is done or given up on, in order."""
        waiting: deque[_Attempt] = deque([_Attempt(batch)])
        while waiting:
            attempt = waiting.popleft()
            outcome = self._invoke(attempt.records)
            attempt.invocations += 1
            self.records_delivered += outcome.completed
            remaining = attempt.records[outcome.completed :]
            if not remaining:
                continue
            if self._stop.is_set():
                # The stack is stopping: the records go with the embedded AWS, not to a
                # destination that would report a failure nobody had.
                return
            retries = attempt.invocations - 1
            maximum = self.settings.maximum_retry_attempts
            if maximum != UNLIMITED_RETRY_ATTEMPTS and retries >= maximum:
                self._give_up(remaining, attempt.invocations, outcome.function_error)
                continue
            self._stop.wait(self.settings.retry_delay_seconds)
            if (
                outcome.function_error
                and self.settings.bisect_batch_on_function_error
                and len(remaining) > 1
            ):
                half = len(remaining) // 2
                waiting.extendleft(
                    [
                        _Attempt(remaining[half:], attempt.invocations),
                        _Attempt(remaining[:half], attempt.invocations),
                    ]
                )
            else:
                waiting.appendleft(_Attempt(remaining, attempt.invocations))

    def _invoke(self, records: list[dict[str, Any]]) -> _Outcome:
        self.invocations += 1
        sequence_numbers = [_sequence_number(record) for record in records]
        try:
            result = self._function.invoke(stream_event(records)).result
        except HandlerUnavailableError as error:
            LOGGER.error("%s", error)
            self.failed_invocations += 1
            return _Outcome(0, "Unhandled")
        except Exception:
            LOGGER.error(
                "%s raised on %d stream record(s); they will be retried:\n%s",
                self._function.spec.logical_id,
                len(records),
                traceback.format_exc(),
            )
            self.failed_invocations += 1
            return _Outcome(0, "Unhandled")
        completed = completed_records(
            result,
            sequence_numbers,
            report_batch_item_failures=self.settings.report_batch_item_failures,
        )
        if completed < len(records):
            self.failed_invocations += 1
            LOGGER.info(
                "%s reported %d of %d stream record(s) failed; retrying from the first",
                self._function.spec.logical_id,
                len(records) - completed,
                len(records),
            )
        return _Outcome(completed)

    def _give_up(
        self, records: list[dict[str, Any]], invocations: int, function_error: str | None
    ) -> None:
        self.records_discarded += len(records)
        queue_url = self.settings.on_failure_queue_url
        if queue_url is None:
            LOGGER.error(
                "%s: %d stream record(s) exhausted their retries and are skipped",
                self.name,
                len(records),
            )
            return
        body = failure_record(
            records,
            shard_id=self._shard_id,
            stream_arn=self.settings.stream_arn,
            function_arn=self._function.context().invoked_function_arn,
            invoke_count=invocations,
            function_error=function_error,
        )
        try:
            self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
        except Exception:
            LOGGER.exception("%s: sending to the on-failure destination failed", self.name)
            return
        self.on_failure_batches += 1
        LOGGER.error(
            "%s: %d stream record(s) exhausted their retries; sent to the on-failure queue",
            self.name,
            len(records),
        )
