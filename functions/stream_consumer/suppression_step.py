"""The stream's second job: each batch's decisive events, offered to their destinations'
suppression registers (``receipts.suppressions``).

A step of this function rather than a reader of its own: the stream serves two readers per
shard, and the alerts pipe is the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from receipts.storage.suppressions import Offered, SuppressionStore
from receipts.suppressions.verdicts import Verdict, latest_per_destination, verdict_of
from stream_consumer.records import StreamEvent, first_sequence_number


class SuppressionStep(NamedTuple):
    verdicts: int  # decisive events in the batch
    offered: Offered
    # Where the stream must go on from when a register could not be written (None: from
    # the start of the batch); only read when ``offered.failed`` is not empty.
    retry_from: str | None


def offer_verdicts(
    store: SuppressionStore, events: Sequence[StreamEvent], now: datetime
) -> SuppressionStep:
    decisive: list[tuple[Verdict, StreamEvent]] = []
    for event in events:
        verdict = verdict_of(event.transid, event.event, event.description)
        if verdict is not None:
            decisive.append((verdict, event))
    # One write per destination and batch: its latest verdict stands for the others.
    latest = latest_per_destination(verdict for verdict, _ in decisive)
    offered = store.offer_all(list(latest.values()), now)
    failed = {verdict.key for verdict, _ in offered.failed}
    # Offered again from the earliest record of a destination left unwritten; verdicts
    # written already change nothing the second time.
    left = [event for verdict, event in decisive if verdict.key in failed]
    retry_from = first_sequence_number(left, {event.transid for event in left})
    return SuppressionStep(len(decisive), offered, retry_from)
