"""What the ledger records for one notice while it is delivered, target by target.

The dispatcher does not know whether it delivers a single alert or a storm digest; these small
adapters turn "this target has it" and "this target refused it for good" into the right
ledger call for each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerts.ledger import AlertLedger
from alerts.model import StormWindow
from receipts.lifecycle import DeliveryStatus


class NoticeMarks(Protocol):
    def sent(self, target: str) -> None: ...

    def given_up(self, target: str) -> None: ...

    def claim_operations_notice(self, target: str) -> bool:
        """True for the first refusal by ``target`` in the notice's storm window."""
        ...

    def release_operations_notice(self, target: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AlertMarks:
    ledger: AlertLedger
    transid: str
    status: DeliveryStatus
    window: StormWindow
    clock: Callable[[], datetime]

    def sent(self, target: str) -> None:
        self.ledger.mark_alert_sent(self.transid, self.status, target, self.clock())

    def given_up(self, target: str) -> None:
        self.ledger.mark_alert_given_up(self.transid, self.status, target, self.clock())

    def claim_operations_notice(self, target: str) -> bool:
        return self.ledger.claim_operations_notice(self.window, target)

    def release_operations_notice(self, target: str) -> None:
        self.ledger.release_operations_notice(self.window, target)


@dataclass(frozen=True, slots=True)
class DigestMarks:
    ledger: AlertLedger
    window: StormWindow
    sequence: int
    clock: Callable[[], datetime]

    def sent(self, target: str) -> None:
        self.ledger.mark_digest_sent(self.window, self.sequence, target, self.clock())

    def given_up(self, target: str) -> None:
        self.ledger.mark_digest_given_up(self.window, self.sequence, target, self.clock())

    def claim_operations_notice(self, target: str) -> bool:
        return self.ledger.claim_operations_notice(self.window, target)

    def release_operations_notice(self, target: str) -> None:
        self.ledger.release_operations_notice(self.window, target)
