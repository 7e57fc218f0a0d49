"""The function's logger (phones and emails masked in every line) and its metrics."""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools import Metrics

from receipts.aggregates.tally import DAY, DELIVERED_PREFIX, TRANSACTIONS, AggregateKey, Counters
from receipts.logging import build_logger
from receipts.metric_dimensions import count_by

SERVICE = "stream-consumer"

logger = build_logger(SERVICE)
metrics = Metrics(service=SERVICE)

# Per channel, for the operations dashboard's delivery rate: transactions counted for the
# first time, and transactions delivered for the first time. Read from the counters' moves
# (the day's), so a batch delivered again adds nothing here either.
TRANSACTIONS_COUNTED = "TransactionsCounted"
TRANSACTIONS_DELIVERED = "TransactionsDelivered"
CHANNEL_DIMENSION = "channel"


def channel_moves(moved: Mapping[AggregateKey, Counters]) -> dict[str, tuple[int, int]]:
    """(counted, delivered) per channel, from the day counters' moves."""
    per_channel: dict[str, tuple[int, int]] = {}
    for key, counters in moved.items():
        if key.kind != DAY:
            continue
        counted, delivered = per_channel.get(key.channel, (0, 0))
        counted += counters.get(TRANSACTIONS, 0)
        delivered += sum(v for name, v in counters.items() if name.startswith(DELIVERED_PREFIX))
        per_channel[key.channel] = (counted, delivered)
    return per_channel


def record_channels(moved: Mapping[AggregateKey, Counters]) -> None:
    # Only what was added: a transaction whose channel became known moves out of "unknown"
    # (a negative move there), which is no transaction leaving anything.
    for channel, (counted, delivered) in sorted(channel_moves(moved).items()):
        if counted > 0:
            count_by(metrics, TRANSACTIONS_COUNTED, counted, {CHANNEL_DIMENSION: channel})
        if delivered > 0:
            count_by(metrics, TRANSACTIONS_DELIVERED, delivered, {CHANNEL_DIMENSION: channel})
