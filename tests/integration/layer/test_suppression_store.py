"""The suppression registers on the table (moto): what the table refuses, and an operator's
lift against a clock that is behind, or a register that changes while it is lifted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.fakes.event_summaries import callback_summary

from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus
from receipts.storage.suppressions import Move, Suppression, SuppressionStore
from receipts.suppressions.verdicts import DECIDED_BY_OPERATOR, Verdict, verdict_of

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
NUMBER = "918886661353"


def _failure(at: datetime, transid: str = "tx-dead", destination: str = NUMBER) -> Verdict:
    event = callback_summary(
        DeliveryStatus.UNDELIVERED, code=7203, sent=at, destination=destination
    )
    verdict = verdict_of(transid, event)
    assert verdict is not None and verdict.suppressed
    return verdict


@pytest.fixture
def store(dynamodb_client: Any, events_table: str) -> SuppressionStore:
    return SuppressionStore(dynamodb_client, events_table)


def test_a_register_the_table_cannot_key_is_refused_and_the_others_written(
    store: SuppressionStore,
) -> None:
    too_long = "device-" + "x" * 2100  # an opaque id beyond a partition key's 2,048 bytes
    offered = store.offer_all([_failure(NOW, destination=too_long), _failure(NOW)], NOW)

    assert offered.failed == []
    assert [verdict.destination for verdict in offered.refused] == [too_long]
    assert offered.moves == {Move.REFUSED: 1, Move.SUPPRESSED: 1}
    assert store.get(Channel.SMS, NUMBER) is not None


def test_a_suppression_stamped_ahead_of_this_clock_is_still_lifted(
    store: SuppressionStore,
) -> None:
    # The platform's clock (or a zone-less local stamp read as UTC) is 5 h 30 min ahead.
    ahead = NOW + timedelta(hours=5, minutes=30)
    assert store.offer(_failure(ahead), NOW) is Move.SUPPRESSED

    lifted = store.lift(Channel.SMS, NUMBER, NOW)

    assert lifted is not None and lifted.before.verdict.transid == "tx-dead"
    now = store.get(Channel.SMS, NUMBER, consistent=True)
    assert now is not None and not now.suppressed
    assert now.verdict.decided_by == DECIDED_BY_OPERATOR and now.verdict.at == ahead
    assert lifted.after == now
    # A failure of the next second (by that clock) suppresses it again.
    assert store.offer(_failure(ahead + timedelta(seconds=1), "tx-later"), NOW) is Move.SUPPRESSED


class ChangedWhileLifting(SuppressionStore):
    """A newer failure lands between the lift's read and its put, once."""

    def __init__(self, *args: Any, newer: Verdict, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.newer: Verdict | None = newer

    def get(
        self, channel: Channel, destination: str, *, consistent: bool = False
    ) -> Suppression | None:
        read = super().get(channel, destination, consistent=consistent)
        if self.newer is not None:
            self.offer(self.newer, NOW)
            self.newer = None
        return read


def test_a_register_that_changes_while_it_is_lifted_is_read_again(
    dynamodb_client: Any, events_table: str
) -> None:
    newer = _failure(NOW + timedelta(minutes=1), "tx-newer")
    store = ChangedWhileLifting(dynamodb_client, events_table, newer=newer)
    store.offer(_failure(NOW - timedelta(hours=1)), NOW)

    lifted = store.lift(Channel.SMS, NUMBER, NOW + timedelta(minutes=2))

    # The lift put on the version it read failed; read again, it lifted the newer one.
    assert lifted is not None and lifted.before.verdict.transid == "tx-newer"
    after = store.get(Channel.SMS, NUMBER, consistent=True)
    assert after is not None and not after.suppressed


def test_nothing_to_lift_changes_nothing(store: SuppressionStore) -> None:
    assert store.lift(Channel.EMAIL, "nobody@example.com", NOW) is None
    assert store.get(Channel.EMAIL, "nobody@example.com") is None
