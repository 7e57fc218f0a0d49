"""The alerts pipe, emulated: table stream -> filter -> alerts queue.

Reads the events table's stream from the template's starting position, keeps the records
the pipe's filter keeps (the layer's ``matches_alert_filter``, the template's pattern in
Python), and sends each as ``pipe_message_from_stream_record`` formats it, so the alerts
function sees exactly what the EventBridge pipe would give it. A record the queue refuses
is retried, then sent to the pipe's dead-letter queue, as the template configures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_stack.worker import BackgroundWorker

LOGGER = logging.getLogger("local_stack.pipe")

RecordFilter = Callable[[dict[str, Any]], bool]
RecordEncoder = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class PipeSettings:
    stream_arn: str
    target_queue_url: str
    dead_letter_queue_url: str | None
    batch_size: int = 10
    starting_position: str = "TRIM_HORIZON"
    poll_interval_seconds: float = 0.2
    send_attempts: int = 3


def default_filter() -> RecordFilter:
    from receipts.storage.alert_records import matches_alert_filter

    return matches_alert_filter


def default_encoder() -> RecordEncoder:
    from receipts.storage.alert_records import pipe_message_from_stream_record

    return pipe_message_from_stream_record


class StreamPipe(BackgroundWorker):
    def __init__(
        self,
        settings: PipeSettings,
        streams_client: Any,
        sqs_client: Any,
        *,
        record_filter: RecordFilter | None = None,
        encoder: RecordEncoder | None = None,
    ) -> None:
        super().__init__(
            thread_name="alerts-pipe", stop_wait_seconds=10, warn_if_left_running=False
        )
        self.settings = settings
        self._streams = streams_client
        self._sqs = sqs_client
        self._filter = record_filter
        self._encoder = encoder
        self.forwarded = 0
        self.filtered_out = 0
        self.dead_lettered = 0

    def _iterator(self) -> str:
        shards = self._streams.describe_stream(StreamArn=self.settings.stream_arn)[
            "StreamDescription"
        ]["Shards"]
        return str(
            self._streams.get_shard_iterator(
                StreamArn=self.settings.stream_arn,
                ShardId=shards[0]["ShardId"],
                ShardIteratorType=self.settings.starting_position,
            )["ShardIterator"]
        )

    def _run(self) -> None:
        iterator: str | None = None
        while not self._stop.is_set():
            try:
                if iterator is None:
                    iterator = self._iterator()
                answer = self._streams.get_records(
                    ShardIterator=iterator, Limit=self.settings.batch_size
                )
                iterator = answer.get("NextShardIterator")
                records = answer.get("Records", [])
                if records:
                    self.forward(records)
                    continue
            except Exception:
                if self._stop.is_set():
                    return
                LOGGER.exception("reading the table stream failed; retrying")
                iterator = None
            self._stop.wait(self.settings.poll_interval_seconds)

    def forward(self, records: list[dict[str, Any]]) -> None:
        record_filter = self._filter or default_filter()
        encoder = self._encoder or default_encoder()
        kept = [record for record in records if record_filter(record)]
        self.filtered_out += len(records) - len(kept)
        for record in kept:
            self._send(encoder(record))

    def _send(self, body: str) -> None:
        for attempt in range(1, self.settings.send_attempts + 1):
            try:
                self._sqs.send_message(QueueUrl=self.settings.target_queue_url, MessageBody=body)
                self.forwarded += 1
                return
            except Exception:
                LOGGER.warning("sending to the alerts queue failed (attempt %d)", attempt)
                time.sleep(0.2 * attempt)
        if self.settings.dead_letter_queue_url:
            self._sqs.send_message(QueueUrl=self.settings.dead_letter_queue_url, MessageBody=body)
            self.dead_lettered += 1
            LOGGER.error("a stream record went to the pipe's dead-letter queue")
