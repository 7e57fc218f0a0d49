"""What an answer of the status API means for a watched transaction: pure, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from receipts.lifecycle import DeliveryStatus, canonical_status
from receipts.vendor import (
    NO_RESULTS_CODE,
    OTHER_SERVICE_CODE,
    RATE_LIMIT_CODE,
    VendorError,
    VendorRejectedError,
)

# Honoured when the vendor rate-limits without saying for how long.
DEFAULT_RETRY_AFTER_SECONDS = 60


class Verdict(StrEnum):
    ANSWERED = "answered"  # a transaction object: its status may add something
    NO_RESULT_YET = "no_result_yet"  # 7600: ask again later
    NOT_OURS = "not_ours"  # 7601: another service's, or the key cannot see it: stop asking
    SLOW_DOWN = "slow_down"  # 7302 / 429: stop the run, honour Retry-After
    FAILED = "failed"  # timeouts, 5xx, a key that does not work: the vendor, not the answer


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    # The vendor's object for this transaction (ANSWERED), as it wrote it.
    transaction: dict[str, Any] | None = None
    note: str = ""
    retry_after_seconds: int | None = None

    @property
    def status(self) -> DeliveryStatus:
        raw = self.transaction.get("status") if self.transaction else None
        return canonical_status(raw if isinstance(raw, str) else None)


def _own_transaction(transid: str, answer: Any) -> dict[str, Any] | None:
    """The answer's object for ``transid`` (a fanned-out push answers with one per device:
    the one named like the transid, else the first)."""
    if not isinstance(answer, list):
        return None
    objects = [item for item in answer if isinstance(item, dict)]
    named = [item for item in objects if str(item.get("transactionid", "")) == transid]
    chosen = named or objects
    return chosen[0] if chosen else None


def from_answer(transid: str, text: str) -> Outcome:
    """The outcome of a successful call (the client returns the JSON text of a list)."""
    transaction = _own_transaction(transid, json.loads(text))
    if transaction is None:
        return Outcome(Verdict.NO_RESULT_YET, note="status API: an empty answer")
    return Outcome(
        Verdict.ANSWERED,
        transaction=transaction,
        note=f"status API: {str(transaction.get('status') or '')[:64]}",
    )


def from_error(error: VendorError) -> Outcome:
    if isinstance(error, VendorRejectedError):
        code = error.numeric_code
        note = f"status API {error.vendor_code}: {error.description[:120]}"
        if code == NO_RESULTS_CODE:
            return Outcome(Verdict.NO_RESULT_YET, note=note)
        if code == OTHER_SERVICE_CODE:
            return Outcome(Verdict.NOT_OURS, note=note)
        if code == RATE_LIMIT_CODE:
            return Outcome(
                Verdict.SLOW_DOWN,
                note=note,
                retry_after_seconds=error.retry_after_seconds or DEFAULT_RETRY_AFTER_SECONDS,
            )
        return Outcome(Verdict.FAILED, note=note)
    return Outcome(Verdict.FAILED, note=f"status API: {type(error).__name__}: {error.detail}")
