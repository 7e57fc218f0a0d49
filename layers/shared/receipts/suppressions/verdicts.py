"""What a stored event says about its destination: suppress it, lift it, or nothing.

Each destination (a channel and the destination's normalised form) has one register,
suppressed or not, set by the *latest decisive event* stored for it: a permanent failure that
says the destination itself is dead (``receipts.codes.suppression``) suppresses it, and a
delivery or a read lifts it. "Latest" is a total order on verdicts (:attr:`Verdict.version`:
the event's second, then its rank, then the rest of its time and its transaction), and a
register only ever moves to a later verdict. So the register is the latest of every verdict
ever offered to it, whatever order the stream delivers them in and however often: a batch
read again offers the same verdicts, which change nothing, and an old failure recovered late
by the reconcile sweep does not undo a delivery that came after it.

The latest event, not each transaction's current status, decides: a verdict then depends on
its event alone, never on what else happened to be stored when the batch was read, which is
what keeps the register exact. The two only differ when one transaction reports a delivery
stamped a second or more after its own permanent failure: the destination then took a
message after it was declared dead, and is not suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import classify, resolve_code
from receipts.codes.suppression import SuppressionReason
from receipts.destinations import normalise_destination
from receipts.lifecycle import DeliveryStatus
from receipts.storage.event_store import EventSummary, stored_description
from receipts.timestamps import event_instant, isoformat_millis, truncate_to_millis

# Statuses that name the destination's fate themselves, whatever code comes with them.
_STATUS_REASONS: dict[DeliveryStatus, SuppressionReason] = {
    DeliveryStatus.INVALID_ADDRESS: SuppressionReason.INVALID_ADDRESS,
    DeliveryStatus.BOUNCED: SuppressionReason.PERMANENT_BOUNCE,
    DeliveryStatus.COMPLAINT: SuppressionReason.COMPLAINT,
    DeliveryStatus.UNSUBSCRIBED: SuppressionReason.UNSUBSCRIBED,
    DeliveryStatus.NOT_VERIFIED: SuppressionReason.NOT_VERIFIED,
}
# An email bounce's code (7520) covers soft bounces too; the callback's Description names the
# bounce type (SES's Permanent_* or Transient_*).
BOUNCE_CODE = 7520
_TRANSIENT_BOUNCE_PREFIX = "transient"

# Where the verdict came from: a stored event, or an operator's lift (``DELETE``).
DECIDED_BY_EVENT = "event"
DECIDED_BY_OPERATOR = "operator"
# Above every status rank (``receipts.lifecycle``): an operator's lift outranks every event
# of its second (versions compare the second before the rank).
_OPERATOR_RANK = 99


class Verdict(NamedTuple):
    channel: Channel
    destination: str  # normalised (``receipts.destinations``)
    suppressed: bool
    reason: SuppressionReason | None  # why it is suppressed; None for a lift
    status: DeliveryStatus | None  # the deciding event's status; None for an operator's lift
    code: int | None
    transid: str  # the deciding event's transaction; "" for an operator's lift
    at: datetime  # when the deciding event happened (or the operator lifted it)
    decided_by: str  # DECIDED_BY_EVENT or DECIDED_BY_OPERATOR

    @property
    def version(self) -> str:
        """The register's order: a later version replaces an earlier one, never the reverse.

        The second first, then the rank: within one second a failure outranks a delivery
        (as in the lifecycle). One message's callbacks come stamped to the millisecond or to
        the second only, so its complaint at "14:15:37" may read as older than its own
        delivery at "14:15:37.900": compared by the second, the complaint still comes after.
        Then the millisecond and the rest, so that the order is total. Fixed-width fields (UTC
        instants, a two-digit rank): the table's string comparison is the order.
        """
        rank = _OPERATOR_RANK if self.status is None else self.status.rank
        code = "" if self.code is None else str(self.code)
        status = "" if self.status is None else self.status.value
        second = isoformat_millis(self.at.replace(microsecond=0))
        return f"{second}#{rank:02d}#{isoformat_millis(self.at)}#{self.transid}#{status}#{code}"

    @property
    def key(self) -> tuple[Channel, str]:
        return self.channel, self.destination


def needs_description(status: DeliveryStatus, code: int | None) -> bool:
    """Whether the event's Description decides its verdict (an email bounce's type)."""
    return status is DeliveryStatus.BOUNCED or code == BOUNCE_CODE


def description_for(summary: EventSummary, item: Mapping[str, Any]) -> str:
    """The stored callback's Description where its verdict depends on it (a bounce's type),
    else "": other bodies stay compressed. A body that no longer reads gives "", and the
    bounce is taken at its code's word (permanent), never dropped."""
    return stored_description(item) if needs_description(summary.status, summary.code) else ""


def suppression_reason(
    channel: Channel, status: DeliveryStatus, code: int | None, description: str = ""
) -> SuppressionReason | None:
    """Why this outcome puts its destination on the list; None when it does not."""
    if not status.is_failure:
        return None
    # The one resolution of a code: a failure the code tables call transient (a busy line,
    # a full inbox, a soft bounce's code) suppresses nothing.
    if classify(channel, code, status) is not Classification.FAILED_PERMANENT:
        return None
    reason = resolve_code(code, channel, status).suppression or _STATUS_REASONS.get(status)
    # A bounce's report (status bounced, or code 7520) names its type in its Description;
    # a soft one says nothing of the address.
    if needs_description(status, code) and description.strip().lower().startswith(
        _TRANSIENT_BOUNCE_PREFIX
    ):
        return None
    return reason


def _lifts(channel: Channel, status: DeliveryStatus, code: int | None) -> bool:
    return classify(channel, code, status) in (Classification.DELIVERED, Classification.READ)


def verdict_of(transid: str, event: EventSummary, description: str = "") -> Verdict | None:
    """What one stored event says about its destination; None when it says nothing."""
    destination = normalise_destination(event.destination) if event.destination else ""
    if not destination or event.channel is Channel.UNKNOWN:
        return None
    reason = suppression_reason(event.channel, event.status, event.code, description)
    if reason is None and not _lifts(event.channel, event.status, event.code):
        return None
    return Verdict(
        channel=event.channel,
        destination=destination,
        suppressed=reason is not None,
        reason=reason,
        status=event.status,
        code=event.code,
        transid=transid,
        # A callback without a usable timestamp: its arrival (as for the reports' tallies).
        at=event_instant(event.occurred_at, event.received_at),
        decided_by=DECIDED_BY_EVENT,
    )


def operator_lift(channel: Channel, destination: str, now: datetime) -> Verdict:
    """An operator's lift: it stands until a decisive event later than ``now``."""
    return Verdict(
        channel=channel,
        destination=normalise_destination(destination),
        suppressed=False,
        reason=None,
        status=None,
        code=None,
        transid="",
        at=truncate_to_millis(now),
        decided_by=DECIDED_BY_OPERATOR,
    )


def latest_per_destination(verdicts: Iterable[Verdict]) -> dict[tuple[Channel, str], Verdict]:
    """The latest verdict of each destination: the only one of a batch its register needs."""
    latest: dict[tuple[Channel, str], Verdict] = {}
    for verdict in verdicts:
        kept = latest.get(verdict.key)
        if kept is None or verdict.version > kept.version:
            latest[verdict.key] = verdict
    return latest
