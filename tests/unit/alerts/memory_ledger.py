"""An in-memory AlertLedger with the DynamoDB ledger's semantics, for tests and benchmarks.

tests/integration/alerts/test_alert_ledger_contract.py runs the same scenarios against this
and against DynamoAlertLedger under moto, so the two cannot drift apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from alerts.ledger import WindowCount, example_slot
from alerts.model import (
    AlertRecord,
    OpenDigest,
    StormWindow,
    WindowState,
    digest_line_from_counter,
    ordered_lines,
)
from receipts.lifecycle import DeliveryStatus


@dataclass
class _Window:
    alerts: int = 0
    pending: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    marker_sequence: int | None = None
    chain_active: bool = False
    open_digest: OpenDigest | None = None
    digested: int = 0
    operations_told: set[str] = field(default_factory=set)


class InMemoryAlertLedger:
    def __init__(self) -> None:
        self.alerts: dict[tuple[str, DeliveryStatus], AlertRecord] = {}
        self.windows: dict[StormWindow, _Window] = {}
        self.calls: Counter[str] = Counter()

    def _window(self, window: StormWindow) -> _Window:
        return self.windows.setdefault(window, _Window())

    def get_alert(self, transid: str, status: DeliveryStatus) -> AlertRecord | None:
        self.calls["get_alert"] += 1
        return self.alerts.get((transid, status))

    def claim_alert(self, record: AlertRecord, now: datetime) -> tuple[AlertRecord, bool]:
        self.calls["claim_alert"] += 1
        key = (record.transid, record.status)
        if key in self.alerts:
            return self.alerts[key], False
        self.alerts[key] = replace(record, sent=frozenset(), given_up=frozenset())
        return self.alerts[key], True

    def mark_alert_sent(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        self.calls["mark_alert_sent"] += 1
        record = self.alerts[(transid, status)]
        self.alerts[(transid, status)] = replace(record, sent=record.sent | {target})

    def mark_alert_given_up(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        self.calls["mark_alert_given_up"] += 1
        record = self.alerts[(transid, status)]
        if target not in record.sent:
            self.alerts[(transid, status)] = replace(record, given_up=record.given_up | {target})

    def claim_operations_notice(self, window: StormWindow, target: str) -> bool:
        self.calls["claim_operations_notice"] += 1
        stored = self._window(window)
        if target in stored.operations_told:
            return False
        stored.operations_told.add(target)
        return True

    def release_operations_notice(self, window: StormWindow, target: str) -> None:
        self.calls["release_operations_notice"] += 1
        self._window(window).operations_told.discard(target)

    def count_alert(self, window: StormWindow) -> WindowCount:
        self.calls["count_alert"] += 1
        return self._add_to_window(window, count=True)

    def add_to_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        self.calls["add_to_digest"] += 1
        return self._add_to_window(window, count=False, digest=(counter, transid))

    def count_into_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        self.calls["count_into_digest"] += 1
        return self._add_to_window(window, count=True, digest=(counter, transid))

    def _add_to_window(
        self, window: StormWindow, *, count: bool, digest: tuple[str, str] | None = None
    ) -> WindowCount:
        stored = self._window(window)
        if count:
            stored.alerts += 1
        if digest is not None:
            counter, transid = digest
            stored.pending += 1
            stored.counters[counter] = stored.counters.get(counter, 0) + 1
            stored.examples[example_slot(transid)] = transid
        return WindowCount(stored.alerts, stored.chain_active)

    def uncount_alert(self, window: StormWindow, counter: str | None) -> None:
        self.calls["uncount_alert"] += 1
        stored = self._window(window)
        stored.alerts -= 1
        if counter is not None:
            stored.pending -= 1
            stored.counters[counter] -= 1

    def window_alerts(self, window: StormWindow) -> int:
        self.calls["window_alerts"] += 1
        stored = self.windows.get(window)
        return stored.alerts if stored else 0

    def get_window(self, window: StormWindow) -> WindowState | None:
        self.calls["get_window"] += 1
        stored = self.windows.get(window)
        if stored is None:
            return None
        lines = [
            digest_line_from_counter(name, count)
            for name, count in stored.counters.items()
            if count > 0
        ]
        slots = sorted(stored.examples)
        return WindowState(
            window=window,
            alerts=stored.alerts,
            pending=stored.pending,
            pending_lines=ordered_lines(lines),
            examples=tuple(dict.fromkeys(stored.examples[slot] for slot in slots)),
            example_slots=frozenset(slots),
            marker_sequence=stored.marker_sequence,
            chain_active=stored.chain_active,
            open_digest=stored.open_digest,
            digested=stored.digested,
        )

    def start_marker_chain(self, window: StormWindow) -> int | None:
        self.calls["start_marker_chain"] += 1
        stored = self._window(window)
        if stored.chain_active:
            return None
        stored.chain_active = True
        stored.marker_sequence = 0 if stored.marker_sequence is None else stored.marker_sequence + 1
        return stored.marker_sequence

    def advance_marker(self, window: StormWindow, expected: int, new: int) -> bool:
        self.calls["advance_marker"] += 1
        stored = self._window(window)
        if stored.marker_sequence != expected:
            return False
        stored.marker_sequence = new
        stored.chain_active = True
        return True

    def end_marker_chain(self, window: StormWindow, expected: int) -> bool:
        self.calls["end_marker_chain"] += 1
        stored = self._window(window)
        if stored.marker_sequence != expected:
            return False
        stored.chain_active = False
        return True

    def open_digest(self, window: StormWindow, digest: OpenDigest, state: WindowState) -> bool:
        self.calls["open_digest"] += 1
        stored = self._window(window)
        if stored.open_digest is not None or stored.marker_sequence != digest.sequence:
            return False
        stored.open_digest = replace(digest, sent=frozenset(), given_up=frozenset())
        stored.pending -= digest.alerts
        stored.digested += digest.alerts
        for line in digest.lines:
            stored.counters[line.counter_name] -= line.count
        for slot in state.example_slots:
            stored.examples.pop(slot, None)
        return True

    def mark_digest_sent(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None:
        self.calls["mark_digest_sent"] += 1
        stored = self._window(window)
        if stored.open_digest is not None and stored.open_digest.sequence == sequence:
            stored.open_digest = replace(
                stored.open_digest, sent=stored.open_digest.sent | {target}
            )

    def mark_digest_given_up(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None:
        self.calls["mark_digest_given_up"] += 1
        stored = self._window(window)
        digest = stored.open_digest
        if digest is not None and digest.sequence == sequence and target not in digest.sent:
            stored.open_digest = replace(digest, given_up=digest.given_up | {target})

    def close_digest(self, window: StormWindow, sequence: int) -> WindowState:
        self.calls["close_digest"] += 1
        stored = self._window(window)
        if stored.open_digest is not None and stored.open_digest.sequence == sequence:
            stored.open_digest = None
        state = self.get_window(window)
        assert state is not None
        return state
