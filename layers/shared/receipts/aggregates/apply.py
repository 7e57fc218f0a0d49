"""Fold a batch of stored events into the tallies and counters, exactly once each.

For each transaction of the batch: read its tally, fold the batch's events of it in, and
when that changes the tally, store the new tally and move the counters by the difference,
in one all-or-nothing write with other transactions of the batch (up to 100 items). A write
that loses a race (a tally changed since it was read, a concurrent transaction on a counter
item) is re-read and tried again; an event whose tally already holds it changes nothing and
writes nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from receipts.aggregates.tally import AggregateKey, Counters, TallyEvent, add_into, difference, fold
from receipts.storage.aggregates import (
    MOST_ITEMS_PER_WRITE,
    AggregateStore,
    StoredTally,
    TallyChange,
    UnstorableWriteError,
)

# Tallies per write, leaving room in the 100 items a write takes for the counter items they
# move (a campaign's and a day's per channel). Fuller writes mean fewer writes touching the
# counters, so fewer transactions in flight to conflict with (make capacity).
MOST_TALLIES_PER_WRITE = 80
ATTEMPTS = 8


class Applied(NamedTuple):
    changed: int  # transactions whose tally changed (stored with their counters)
    unchanged: int  # transactions the batch told nothing new about
    retries: int  # writes tried again after losing a race
    # Transactions the table refuses to count whatever the moment (a correlation id too
    # long for a counter key): left out, so they cannot hold the stream back for a day.
    refused: tuple[str, ...] = ()
    # What the stored writes moved, added up: each move once, however often the batch came.
    moved: dict[AggregateKey, Counters] | None = None


class ApplyError(RuntimeError):
    """The batch could not be applied whole; ``done`` names the transactions that were, and
    ``moved`` what their stored writes moved (they will change nothing when read again)."""

    def __init__(
        self,
        message: str,
        done: frozenset[str],
        moved: dict[AggregateKey, Counters] | None = None,
    ) -> None:
        super().__init__(message)
        self.done = done
        self.moved = moved or {}


class _Write(NamedTuple):
    changes: list[TallyChange]
    moved: dict[AggregateKey, Counters]


def _writes(
    events: Mapping[str, Sequence[TallyEvent]], stored: Mapping[str, StoredTally]
) -> tuple[list[_Write], int]:
    """The writes that store the changed tallies, and how many tallies did not change."""
    writes: list[_Write] = []
    unchanged = 0
    current = _Write([], {})
    for transid, its_events in events.items():
        before = stored.get(transid)
        after = fold(its_events, before.tally if before else None)
        if after is None or (before is not None and after == before.tally):
            unchanged += 1
            continue
        moved = difference(before.tally if before else None, after)
        new_keys = sum(1 for key in moved if key not in current.moved)
        items = len(current.changes) + len(current.moved)
        if current.changes and (
            len(current.changes) == MOST_TALLIES_PER_WRITE
            or items + 1 + new_keys > MOST_ITEMS_PER_WRITE
        ):
            writes.append(current)
            current = _Write([], {})
        current.changes.append(TallyChange(transid, before, after))
        add_into(current.moved, moved)
    if current.changes:
        writes.append(current)
    return writes, unchanged


def apply_events(
    store: AggregateStore,
    events: Mapping[str, Sequence[TallyEvent]],
    now: datetime,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Applied:
    """Fold ``events`` (a batch's events, by transaction) into the reports.

    Raises :class:`ApplyError` (naming what was applied) when a part keeps losing races or
    the table fails: the stream then delivers the batch again, and what was applied already
    changes nothing the second time.
    """
    done: set[str] = set()
    refused: list[str] = []
    moved: dict[AggregateKey, Counters] = {}
    changed = unchanged = retries = 0
    pending: list[list[str]] = [list(events)]
    tries: dict[tuple[str, ...], int] = {}
    while pending:
        transids = pending.pop()
        try:
            stored = store.tallies(transids)
            writes, quiet = _writes({transid: events[transid] for transid in transids}, stored)
        except Exception as error:
            raise ApplyError(
                f"reading tallies failed: {type(error).__name__}", frozenset(done), moved
            ) from error
        unchanged += quiet
        written = _ids(writes)
        done.update(transid for transid in transids if transid not in written)
        for write in writes:
            ids = [change.transid for change in write.changes]
            try:
                committed = store.commit(write.changes, write.moved, now)
            except UnstorableWriteError:
                if len(ids) == 1:
                    refused.extend(ids)
                    done.update(ids)
                else:
                    # One transaction's write the table will never take: find it, one by
                    # one, and count the others.
                    pending.extend([transid] for transid in ids)
                continue
            except Exception as error:
                raise ApplyError(
                    f"storing tallies failed: {type(error).__name__}", frozenset(done), moved
                ) from error
            if committed:
                changed += len(ids)
                done.update(ids)
                add_into(moved, write.moved)
                continue
            key = tuple(ids)
            tries[key] = tries.get(key, 0) + 1
            if tries[key] >= attempts:
                raise ApplyError(
                    f"{len(ids)} tallies lost {attempts} races in a row", frozenset(done), moved
                )
            retries += 1
            # Jittered backoff: two batches racing for one counter item pick new shards and
            # new moments.
            sleep(random.uniform(0, 0.01 * 2 ** tries[key]))  # noqa: S311  # nosec B311  # jitter, not a secret
            pending.append(ids)
    return Applied(changed, unchanged, retries, tuple(refused), moved)


def _ids(writes: Sequence[_Write]) -> set[str]:
    return {change.transid for write in writes for change in write.changes}
