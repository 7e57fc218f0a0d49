"""Resolve a return code to its meaning for one channel and delivery status.

A code is not globally unique in meaning: 7208 is "Source ip is not white listed" in the
status API but "Message expired" on an SMS callback, so the most specific entry wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.codes.suppression import SuppressionReason
from receipts.lifecycle import DeliveryStatus


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: int
    message: str
    description: str
    classification: Classification
    # For status-API errors: the HTTP status the lookup function answers with.
    http_status: int | None = None
    # None means "any": an entry limited to channels or statuses beats a general one.
    channels: frozenset[Channel] | None = None
    statuses: frozenset[DeliveryStatus] | None = None
    # Further messages the vendor documents under the same code (7003, 7004).
    variants: tuple[str, ...] = ()
    # Where the entry comes from: "status_api", "callback" or "channel_specific".
    source: str = "status_api"
    # Set when the failure says the destination itself is dead: it goes on the suppression
    # list (``receipts.suppressions``).
    suppression: SuppressionReason | None = None

    @property
    def known(self) -> bool:
        return self.source != "unknown"


def unknown_code(code: int | None) -> CodeInfo:
    """The entry for a code no table lists: kept, classified unknown, never an error."""
    return CodeInfo(
        code=code if code is not None else -1,
        message="Unknown code",
        description="The platform sent a code this version does not know.",
        classification=Classification.UNKNOWN,
        http_status=502,
        source="unknown",
    )


@cache
def _entries_by_code() -> dict[int, tuple[CodeInfo, ...]]:
    from receipts.codes.table import CODE_TABLE

    index: dict[int, list[CodeInfo]] = {}
    for entry in CODE_TABLE:
        index.setdefault(entry.code, []).append(entry)
    return {code: tuple(entries) for code, entries in index.items()}


def _specificity(entry: CodeInfo) -> int:
    return (2 if entry.channels is not None else 0) + (1 if entry.statuses is not None else 0)


@cache
def resolve_code(
    code: int | None,
    channel: Channel = Channel.UNKNOWN,
    status: DeliveryStatus | None = None,
) -> CodeInfo:
    """The most specific table entry for ``code`` on ``channel`` with ``status``.

    An entry restricted to channels or statuses applies only when they match; among the
    entries that apply, one restricted by channel beats one restricted by status, which
    beats a general one.
    """
    if code is None:
        return unknown_code(None)
    candidates = [
        entry
        for entry in _entries_by_code().get(code, ())
        if (entry.channels is None or channel in entry.channels)
        and (entry.statuses is None or (status is not None and status in entry.statuses))
    ]
    if not candidates:
        return unknown_code(code)
    return max(candidates, key=_specificity)


def classify(channel: Channel, code: int | None, status: DeliveryStatus) -> Classification:
    """What a code means for the message it is reported on: the one resolution of a code.

    The status says how far the message got, the code says why. A failure status is
    permanent or transient as its code says (permanent when the code is unknown); a known
    non-failure status speaks for itself; an unrecognised status falls back on the code
    alone. Every view of a code (stored event, timeline, vendor answer, alert) reads its
    classification here, so they can never disagree.
    """
    entry = resolve_code(code, channel, status)
    if status.is_failure:
        if entry.classification is Classification.FAILED_TRANSIENT:
            return Classification.FAILED_TRANSIENT
        return Classification.FAILED_PERMANENT
    if status in (DeliveryStatus.READ, DeliveryStatus.CLICKED):
        return Classification.READ
    if status in (DeliveryStatus.DELIVERED, DeliveryStatus.ANSWERED):
        return Classification.DELIVERED
    if status in (DeliveryStatus.QUEUED, DeliveryStatus.SUBMITTED):
        return Classification.IN_PROGRESS
    return entry.classification


def all_codes() -> frozenset[int]:
    return frozenset(_entries_by_code())
