"""Fakes for the lookup's logic: a hand-driven clock, an in-memory table, a scripted vendor."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lookup.service import CachePolicy
from receipts.lifecycle import is_final_event
from receipts.models.callback import parse_callback
from receipts.storage import SearchPage, StoredEvent, StoreUnavailableError
from receipts.storage.event_store import CachedAnswer
from receipts.vendor import VendorError

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def callback_body(sample: str, **changes: Any) -> bytes:
    """A callback sample from events/callbacks, with deliveryInfo or top-level fields changed."""
    payload = json.loads((EVENTS_DIR / "callbacks" / f"{sample}.json").read_text())
    notification = payload["deliveryInfoNotification"]
    for name, value in changes.items():
        target = notification if name in notification else notification["deliveryInfo"]
        target[name] = value
    return json.dumps(payload).encode()


def stored(sample: str, *, received_at: datetime = START, **changes: Any) -> StoredEvent:
    return StoredEvent(
        event=parse_callback(callback_body(sample, **changes)), received_at=received_at, gtrid=None
    )


def vendor_body(transid: str, status: str = "sent", **fields: Any) -> str:
    transaction = json.loads((EVENTS_DIR / "status_api" / "01-sms.json").read_text())[0]
    transaction.update(transactionid=transid, status=status, **fields)
    return json.dumps([transaction])


@dataclass
class InMemoryStore:
    """The lookup's view of the events table, in memory, with switchable faults."""

    events: dict[str, list[StoredEvent]] = field(default_factory=dict)
    answers: dict[str, CachedAnswer] = field(default_factory=dict)
    kept_for: dict[str, timedelta] = field(default_factory=dict)
    pages: dict[tuple[str | None, str | None, str | None], SearchPage] = field(default_factory=dict)
    unavailable: bool = False
    calls: list[str] = field(default_factory=list)

    def _touch(self, operation: str) -> None:
        self.calls.append(operation)
        if self.unavailable:
            raise StoreUnavailableError("table unavailable (test)")

    def list_events(self, transid: str) -> list[StoredEvent]:
        self._touch("list_events")
        return list(self.events.get(transid, []))

    def has_final_event(self, transid: str) -> bool:
        self._touch("has_final_event")
        return any(is_final_event(stored.event) for stored in self.events.get(transid, []))

    def search(
        self,
        *,
        destination: str | None = None,
        correlationid: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage:
        self._touch("search")
        return self.pages.get((destination, correlationid, cursor), SearchPage([], None))

    def get_cached_answer(self, transid: str) -> CachedAnswer | None:
        self._touch("get_cached_answer")
        return self.answers.get(transid)

    def put_cached_answer(self, transid: str, answer: CachedAnswer, *, keep_for: timedelta) -> None:
        self._touch("put_cached_answer")
        self.answers[transid] = answer
        self.kept_for[transid] = keep_for


@dataclass
class ScriptedVendor:
    """The vendor's status API as a list of answers (a body, or an error to raise) per id."""

    answers: dict[str, list[str | VendorError]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    time_given: list[float | None] = field(default_factory=list)

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        self.calls.append(transid)
        self.time_given.append(within_seconds)
        script = self.answers.get(transid)
        if not script:
            raise AssertionError(f"the vendor was not expected to be asked about {transid}")
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, VendorError):
            raise answer
        return answer


POLICY = CachePolicy(
    final_fresh_for=timedelta(hours=24),
    non_final_fresh_for=timedelta(seconds=30),
    stale_for=timedelta(hours=24),
)
