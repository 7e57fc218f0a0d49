"""The reconcile sweep over the events table under moto, with a scripted status API."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from receipts.deadline import Deadline
from receipts.models.callback import DeliveryEvent, parse_callback
from receipts.storage import EventStore
from receipts.storage.watches import WatchStore
from receipts.vendor import VendorError
from reconcile.pacing import CallPacer
from reconcile.run import SweepPolicy
from reconcile.summary import RunSummary, combined
from reconcile.sweep import AskingSweep, DiscoverySweep

T0 = datetime(2026, 12, 3, 10, 0, 7, tzinfo=UTC)
AFTER = timedelta(minutes=15)
HORIZON = timedelta(hours=72)

Answer = str | VendorError | Callable[[], str]


def callback(
    transid: str, status: str, *, code: str = "", correlationid: str = "camp-1"
) -> DeliveryEvent:
    body = {
        "deliveryInfoNotification": {
            "deliveryInfo": {
                "deliveryChannel": "SMS",
                "deliveryStatus": status,
                "code": code,
                "timeStamp": "2026-12-03T10:00:00.000",
                "destination": "918886661353",
            },
            "correlationid": correlationid,
            "transid": transid,
        }
    }
    return parse_callback(json.dumps(body).encode())


def vendor_answer(transid: str, status: str, *, error_code: str | None = None) -> str:
    return json.dumps(
        [
            {
                "transactionid": transid,
                "clientid": "412",
                "api_version": "v1",
                "type": "outbound-api",
                "from": "VM-CONNECT",
                "to": "918886661353",
                "channel": "SMS",
                "status": status,
                "date_created": "Thu, 03 Dec 2026 10:00:00 UTC",
                "last_updated": "Thu, 03 Dec 2026 10:00:05 UTC",
                "error_code": error_code,
                "error_message": "Absent subscriber" if error_code else None,
            }
        ]
    )


@dataclass
class ScriptedStatusApi:
    """Answers per transid: a list played in order (the last one repeats)."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def fetch_status(self, transid: str, *, within_seconds: float | None = None) -> str:
        self.calls.append(transid)
        script = self.answers[transid]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, VendorError):
            raise answer
        return answer() if callable(answer) else answer


@dataclass
class Harness:
    events: EventStore
    watches: WatchStore
    vendor: ScriptedStatusApi
    client: Any
    table: str
    max_per_run: int = 2000
    alert_on_no_receipt: bool = True
    # A few minutes back on a first run, not the hour a deployment needs: T0's minute is in
    # it, and each empty minute read costs the tests a round of queries.
    first_run_lookback: timedelta = timedelta(minutes=5)
    # As the template's discovery schedules split the write shards.
    parts: int = 4
    horizon: timedelta = HORIZON
    # Asks in flight at once: one after another unless a test says otherwise, so that a
    # scripted vendor's answers come in the order they are written.
    concurrency: int = 1

    def policy(self) -> SweepPolicy:
        return SweepPolicy(
            after=AFTER,
            horizon=self.horizon,
            max_per_run=self.max_per_run,
            alert_on_no_receipt=self.alert_on_no_receipt,
        )

    def discovery(self, wall: datetime) -> DiscoverySweep:
        return DiscoverySweep(
            events=self.events,
            watches=self.watches,
            policy=self.policy(),
            wall_clock=lambda: wall,
            first_run_lookback=self.first_run_lookback,
        )

    def asking(self, wall: datetime) -> AskingSweep:
        return AskingSweep(
            events=self.events,
            watches=self.watches,
            status_api=self.vendor,
            policy=self.policy(),
            pacer=CallPacer(1000.0, sleep=lambda _seconds: None),
            vendor_timeout_seconds=2.0,
            wall_clock=lambda: wall,
            concurrency=self.concurrency,
        )

    def run(self, at: datetime, *, wall: datetime | None = None) -> RunSummary:
        """A pass as of ``at`` (every part of discovery, then the asks, as the schedules
        run them); ``wall`` (default ``at``) is what the sweep takes for the wall clock,
        which decides the arrival minutes it reads."""
        wall = wall or at
        parts = [
            self.discovery(wall).run(Deadline.unbounded(), part=part, parts=self.parts, now=at)
            for part in range(self.parts)
        ]
        return combined(parts, self.asking(wall).run(Deadline.unbounded(), now=at))

    def store(self, event: DeliveryEvent, received_at: datetime) -> None:
        assert self.events.put_event(event, received_at=received_at)
