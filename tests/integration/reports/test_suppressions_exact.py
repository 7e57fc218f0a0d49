"""The suppression registers equal a rebuild from the table, however the stream delivers.

A population where few destinations get many messages: each one's failures and deliveries
interleave in time and arrive out of order, repeated, some recovered from the status API,
some without a timestamp. Each test feeds the stream consumer the population's stream
records in one of the ways DynamoDB Streams may deliver them and compares every register
with ``recount_suppressions``: each destination's latest decisive event among those stored.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.integration.reports.conftest import Feed
from tests.integration.reports.population import (
    Stored,
    batches,
    callback,
    store_all,
    stream_records,
)

from receipts.channels import Channel
from receipts.codes.suppression import SuppressionReason
from receipts.models.reconciled import status_api_event
from receipts.storage import EventStore, StoreUnavailableError
from receipts.storage.aggregates import AggregateStore
from receipts.storage.suppressions import Move, SuppressionStore
from receipts.suppressions.recount import recount_suppressions
from receipts.suppressions.verdicts import Verdict

START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

# Each channel's few destinations (spelled several ways), and the outcomes a message to one
# may end in: (status, code, description).
DESTINATIONS = {
    "SMS": ["+91 888 666 1301", "918886661302", "tel:+918886661303"],
    "email": ["Ana@Example.com", "bo@example.com", "cy@example.com"],
    "push": ["device-token-A", "device-token-B"],
}
DELIVERED = {
    "SMS": ("Delivered", "7505"),
    "email": ("Delivered", "7500"),
    "push": ("Delivered", None),
}
DEAD = {
    "SMS": [("Failed", "7203", ""), ("Un-Delivered", "7203", "")],
    "email": [
        ("Bounce", "7520", "Permanent_General"),
        ("Complaint", "7521", "abuse"),
        ("Failed", "7241", "unsubscribed : x"),
        ("Invalid email address", "7523", ""),
    ],
    "push": [("Failed", "7513", "")],
}
# Failures that leave the destination alive: a new send may land.
ALIVE = {
    "SMS": [("Failed", "7513", ""), ("Un-Delivered", "7202", "")],
    "email": [("Bounce", "7520", "Transient_MailboxFull")],
    "push": [("Failed", "7108", "")],
}


def suppression_population(count: int = 150, seed: int = 11) -> list[Stored]:
    rng = random.Random(seed)
    stored: list[Stored] = []
    for number in range(count):
        transid = f"sx-{number:04d}-{rng.randrange(16**6):06x}"
        channel = rng.choice(sorted(DESTINATIONS))
        to = rng.choice(DESTINATIONS[channel])
        sent = START + timedelta(seconds=rng.uniform(0, 6 * 3600))
        later = sent + timedelta(seconds=rng.expovariate(1 / 60))

        def add(event: Any, at: datetime) -> None:
            # Arrivals lag behind by up to an hour: out of order across transactions.
            stored.append(Stored(event, at + timedelta(seconds=rng.uniform(0.1, 3600))))

        def outcome(
            status: str,
            code: str | None,
            description: str = "",
            at: Any = later,
            transid: str = transid,
            channel: str = channel,
            to: str = to,
        ) -> Any:
            return callback(
                transid,
                channel,
                status,
                at,
                destination=to,
                correlationid="",
                code=code,
                description=description,
            )

        add(outcome("Submitted", "7501", at=sent), sent)
        fate = rng.random()
        if fate < 0.4:
            add(outcome(*DELIVERED[channel]), later)
            if rng.random() < 0.3:
                add(outcome("Read", None, at=later + timedelta(seconds=30)), later)
        elif fate < 0.7:
            add(outcome(*rng.choice(DEAD[channel])), later)
        elif fate < 0.8:
            add(outcome(*rng.choice(ALIVE[channel])), later)
        elif fate < 0.88:
            answer = {
                "channel": channel,
                "status": "Delivered",
                "last_updated": later.strftime("%a, %d %b %Y %H:%M:%S UTC"),
            }
            add(status_api_event(transid, answer, destination=to), later + timedelta(hours=2))
        elif fate < 0.94:
            # No usable timestamp: its arrival stands for its time.
            add(outcome(*rng.choice(DEAD[channel]), at=None), later)
        if rng.random() < 0.2:
            stored.append(replace(rng.choice([s for s in stored if s.event.transid == transid])))
    rng.shuffle(stored)
    return stored


@pytest.fixture
def feed(dynamodb_client: Any, events_table: str) -> Feed:
    """The reports' feed (both steps of the consumer; ``assert_exact`` compares the counters
    and the registers with a recount), over this population."""
    store_all(EventStore(dynamodb_client, events_table), suppression_population())
    return Feed(
        client=dynamodb_client,
        table=events_table,
        records=stream_records(dynamodb_client, events_table),
        store=AggregateStore(dynamodb_client, events_table),
    )


def test_the_population_suppresses_lifts_and_spares(feed: Feed) -> None:
    for batch in batches(feed.records, 100):
        assert feed.consume(batch) == {"batchItemFailures": []}

    feed.assert_exact()
    registers = recount_suppressions(feed.client, feed.table)

    suppressed = [v for v in registers.values() if v.suppressed]
    lifted = [v for v in registers.values() if not v.suppressed]
    assert suppressed and lifted
    # Every spelling of a destination is one register: the population's eight destinations.
    assert len(registers) == 8
    assert {v.reason for v in suppressed} <= set(SuppressionReason)


def test_every_batch_delivered_twice(feed: Feed) -> None:
    for batch in batches(feed.records, 40):
        feed.consume(batch)
        feed.consume(batch)

    feed.assert_exact()


def test_batches_out_of_order_and_overlapping(feed: Feed) -> None:
    rng = random.Random(5)
    parts = list(batches(feed.records, 30))
    rng.shuffle(parts)
    for index, batch in enumerate(parts):
        other = parts[(index + 2) % len(parts)]
        feed.consume(batch + other[: len(other) // 2])

    feed.assert_exact()


def test_one_record_at_a_time_newest_first(feed: Feed) -> None:
    for record in reversed(feed.records):
        feed.consume([record])

    feed.assert_exact()


class DiesAfterWriting:
    """The real registers, but every ``every``-th write fails after it landed (once for
    each verdict: the retry that follows gets through)."""

    def __init__(self, store: SuppressionStore, every: int) -> None:
        self.store = store
        self.every = every
        self.writes = 0
        self.died_on: set[Verdict] = set()

    def offer_all(self, verdicts: Any, now: datetime) -> Any:
        from receipts.storage.suppressions import Offered

        moves: dict[Move, int] = {}
        failed: list[tuple[Verdict, Exception]] = []
        for verdict in verdicts:
            move = self.store.offer(verdict, now)
            self.writes += 1
            if self.writes % self.every == 0 and verdict not in self.died_on:
                self.died_on.add(verdict)
                failed.append((verdict, StoreUnavailableError("dropped after the write")))
            else:
                moves[move] = moves.get(move, 0) + 1
        return Offered(moves, failed, [])


def test_a_register_written_before_the_function_died_is_offered_again_harmlessly(
    feed: Feed,
) -> None:
    dying = DiesAfterWriting(SuppressionStore(feed.client, feed.table), every=3)
    deliveries = [
        feed.consume_until_done(batch, suppressions=dying) for batch in batches(feed.records, 50)
    ]

    assert max(deliveries) > 1
    feed.assert_exact()


def _story(
    client: Any, table: str, events: list[tuple[str, str, str | None, str, datetime]]
) -> Iterator[dict[str, Any]]:
    """Store (transid, status, code, description, time) events to one email address."""
    store = EventStore(client, table)
    for transid, status, code, description, at in events:
        event = callback(
            transid,
            "email",
            status,
            at,
            destination="Dee@Example.com",
            correlationid="",
            code=code,
            description=description,
        )
        store.put_event(event, received_at=at + timedelta(seconds=1))
    yield from stream_records(client, table)


@pytest.mark.parametrize("order", ["as stored", "reversed"])
def test_a_later_delivery_lifts_and_an_earlier_one_does_not(
    dynamodb_client: Any, events_table: str, order: str
) -> None:
    t = START
    records = list(
        _story(
            dynamodb_client,
            events_table,
            [
                ("early", "Delivered", "7500", "", t),
                ("complaint", "Complaint", "7521", "abuse", t + timedelta(minutes=5)),
                ("soft", "Bounce", "7520", "Transient_General", t + timedelta(minutes=7)),
            ],
        )
    )
    if order == "reversed":
        records.reverse()
    store = SuppressionStore(dynamodb_client, events_table)
    feed = Feed(
        dynamodb_client, events_table, records, AggregateStore(dynamodb_client, events_table)
    )
    for record in records:
        feed.consume([record])

    # The soft bounce came last but says nothing of the address; the delivery came first.
    suppressed = store.get(Channel.EMAIL, "dee@example.com")
    assert suppressed is not None and suppressed.verdict.suppressed
    assert suppressed.verdict.reason is SuppressionReason.COMPLAINT
    assert suppressed.verdict.transid == "complaint"

    later = _story(
        dynamodb_client,
        events_table,
        [("welcome-back", "Read", None, "", t + timedelta(hours=1))],
    )
    feed.consume([r for r in later if r not in records])

    lifted = store.get(Channel.EMAIL, "DEE@example.com")
    assert lifted is not None and not lifted.verdict.suppressed
    assert lifted.verdict.transid == "welcome-back"
    feed.assert_exact()
