"""Answers built from stored callbacks and vendor answers: pure functions, no I/O.

The vendor-shaped answer is what the vendor's status API would say, in its vocabulary and
date format, so a client written against the vendor cannot tell the difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lookup.schemas import (
    AnswerSource,
    CodeMeaning,
    SearchEvent,
    SearchPageView,
    SearchTransaction,
    TimelineEntry,
    TransactionView,
    UpstreamProblem,
)
from receipts.channels import Channel
from receipts.codes import classify, resolve_code
from receipts.lifecycle import DeliveryStatus, EventOrigin, current_event, is_final_event
from receipts.models.callback import DeliveryEvent
from receipts.models.status_api import VendorTransaction
from receipts.storage import SearchPage, StoredEvent
from receipts.storage.event_store import CachedAnswer, SearchMatch
from receipts.timestamps import UNKNOWN_INSTANT, format_rfc1123
from receipts.vendor import VendorRejectedError

# The status API's own words (its documented list: sent, queued, delivered, read, failed,
# expired, answered, rejected, busy, others, no answer). Statuses it has no word for map to
# the nearest one with the same meaning for a client: final or not, failed or not.
VENDOR_STATUS_WORDS: dict[DeliveryStatus, str] = {
    DeliveryStatus.QUEUED: "queued",
    DeliveryStatus.SUBMITTED: "sent",
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.ANSWERED: "answered",
    DeliveryStatus.READ: "read",
    DeliveryStatus.CLICKED: "read",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.UNDELIVERED: "failed",
    DeliveryStatus.EXPIRED: "expired",
    DeliveryStatus.REJECTED: "rejected",
    DeliveryStatus.NO_ANSWER: "no answer",
    DeliveryStatus.BUSY: "busy",
    DeliveryStatus.BOUNCED: "failed",
    DeliveryStatus.COMPLAINT: "failed",
    DeliveryStatus.INVALID_ADDRESS: "failed",
    DeliveryStatus.NOT_VERIFIED: "failed",
    DeliveryStatus.UNSUBSCRIBED: "failed",
}

# How the status API spells channels (its samples: "SMS", "voice", "RTM", "push", "fb").
VENDOR_CHANNEL_WORDS: dict[Channel, str] = {
    Channel.SMS: "SMS",
    Channel.VOICE: "voice",
    Channel.RTM: "RTM",
    Channel.PUSH: "push",
    Channel.FACEBOOK: "fb",
    Channel.TWITTER: "twitter",
    Channel.WECHAT: "wechat",
    Channel.EMAIL: "email",
}


def vendor_status_word(event: DeliveryEvent) -> str:
    return VENDOR_STATUS_WORDS.get(event.status) or event.raw_status.strip().lower() or "others"


def vendor_channel_word(event: DeliveryEvent) -> str:
    return VENDOR_CHANNEL_WORDS.get(event.channel) or event.raw_channel


def final_event(events: Iterable[StoredEvent]) -> DeliveryEvent | None:
    """The current event when its status is final, else None.

    A closure at the reconcile horizon does not count: it is this product's conclusion
    ("no final receipt"), not the vendor's word, so the vendor-shaped answer still asks the
    vendor for such a transaction rather than invent a status the vendor never gave.
    """
    winner = current_event(stored.event for stored in events)
    return winner if winner is not None and winner.status.is_final else None


def settled_event(events: Iterable[StoredEvent]) -> DeliveryEvent | None:
    """The current event when it settles the transaction (a final status, or the horizon)."""
    winner = current_event(stored.event for stored in events)
    return winner if winner is not None and is_final_event(winner) else None


def _known_instants(events: Sequence[StoredEvent]) -> list[datetime]:
    # A callback without a usable timestamp sorts at the epoch; it says nothing about when
    # the message was created, so the arrival time stands in for it.
    return [
        stored.event.occurred_at
        if stored.event.occurred_at != UNKNOWN_INSTANT
        else stored.received_at
        for stored in events
    ]


def vendor_answer_from_callbacks(
    transid: str, events: Sequence[StoredEvent]
) -> list[dict[str, Any]] | None:
    """The status API's answer rebuilt from stored callbacks; None unless they hold a final one."""
    winner = final_event(events)
    if winner is None:
        return None
    instants = _known_instants(events)
    error_code: str | None = None
    error_message: str | None = None
    if winner.status.is_failure:
        error_code = winner.raw_code.strip() or None
        info = resolve_code(winner.code, winner.channel, winner.status)
        error_message = info.message if info.known else (winner.description or None)
    return [
        {
            "transactionid": transid,
            "clientid": None,
            "api_version": "v1",
            "type": None,
            "from": None,
            "to": winner.destination or None,
            "channel": vendor_channel_word(winner),
            "status": vendor_status_word(winner),
            "date_created": format_rfc1123(min(instants)),
            "last_updated": format_rfc1123(max(instants)),
            "error_code": error_code,
            "error_message": error_message,
        }
    ]


def not_found_answer(error: VendorRejectedError, fetched_at: datetime) -> CachedAnswer:
    """The vendor's "no such transaction", kept as its own error object.

    A transaction answer is always a JSON array, so an object cannot be mistaken for one.
    """
    body = json.dumps({"code": error.vendor_code, "description": error.description})
    return CachedAnswer(body=body, fetched_at=fetched_at, final=False)


def is_not_found(answer: CachedAnswer) -> bool:
    return answer.body.lstrip().startswith("{")


def not_found_error(answer: CachedAnswer) -> VendorRejectedError:
    """The cached "no such transaction", raised as the vendor raised it."""
    error = json.loads(answer.body)
    return VendorRejectedError(str(error.get("code", "")), str(error.get("description") or ""))


def answer_is_final(transactions: Sequence[VendorTransaction]) -> bool:
    """A vendor answer is final when every transaction in it has reached a final status."""
    return bool(transactions) and all(tx.canonical_status.is_final for tx in transactions)


def code_meaning(code: int | None, channel: Channel, status: DeliveryStatus) -> CodeMeaning | None:
    if code is None:
        return None
    info = resolve_code(code, channel, status)
    return CodeMeaning(
        code=code,
        message=info.message,
        description=info.description,
        # Not the table entry's own class: the code read on this channel with this status,
        # as the stored event and the alert read it (7200 on a failed SMS is a failure).
        classification=classify(channel, code, status),
        known=info.known,
    )


def timeline(events: Iterable[StoredEvent]) -> list[TimelineEntry]:
    ordered = sorted(events, key=lambda stored: (stored.event.occurred_at, stored.received_at))
    return [
        TimelineEntry(
            status=stored.event.status,
            raw_status=stored.event.raw_status,
            code=stored.event.code,
            description=stored.event.description,
            classification=stored.event.classification,
            occurred_at=stored.event.occurred_at,
            received_at=stored.received_at,
            origin=stored.event.origin,
        )
        for stored in ordered
    ]


def _age_seconds(now: datetime, as_of: datetime) -> int:
    return max(0, int((now - as_of).total_seconds()))


def _first_text(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)


def callbacks_view(
    transid: str,
    events: Sequence[StoredEvent],
    *,
    now: datetime,
    upstream_error: UpstreamProblem | None = None,
) -> TransactionView:
    """The transaction as its stored callbacks tell it (``events`` must not be empty)."""
    winner = current_event(stored.event for stored in events)
    if winner is None:
        raise ValueError("a callbacks view needs at least one stored event")
    as_of = max(stored.received_at for stored in events)
    newest_first = sorted(events, key=lambda stored: stored.received_at, reverse=True)
    return TransactionView(
        transactionid=transid,
        status=winner.status,
        raw_status=winner.raw_status,
        final=is_final_event(winner),
        classification=winner.classification,
        code=code_meaning(winner.code, winner.channel, winner.status),
        channel=winner.channel,
        destination=_first_text(stored.event.destination for stored in newest_first),
        correlationid=_first_text(stored.event.correlationid for stored in newest_first),
        source=AnswerSource.CALLBACKS,
        as_of=as_of,
        age_seconds=_age_seconds(now, as_of),
        stale=False,
        upstream_error=upstream_error,
        timeline=timeline(events),
    )


def _vendor_code(transaction: VendorTransaction) -> int | None:
    raw = (transaction.error_code or "").strip()
    return int(raw) if raw.isdigit() else None


def vendor_view(
    transid: str,
    transaction: VendorTransaction,
    events: Sequence[StoredEvent],
    *,
    source: AnswerSource,
    as_of: datetime,
    now: datetime,
    stale: bool,
    upstream_error: UpstreamProblem | None,
) -> TransactionView:
    """The transaction as the vendor's answer tells it, with whatever callbacks are stored."""
    status = transaction.canonical_status
    channel = transaction.canonical_channel
    if channel is Channel.UNKNOWN:
        channel = next(
            (s.event.channel for s in events if s.event.channel is not Channel.UNKNOWN),
            Channel.UNKNOWN,
        )
    code = _vendor_code(transaction)
    newest_first = sorted(events, key=lambda stored: stored.received_at, reverse=True)
    return TransactionView(
        transactionid=transid,
        status=status,
        raw_status=transaction.status or "",
        final=status.is_final,
        classification=classify(channel, code, status),
        code=code_meaning(code, channel, status),
        channel=channel,
        destination=transaction.to
        or _first_text(stored.event.destination for stored in newest_first),
        correlationid=_first_text(stored.event.correlationid for stored in newest_first),
        source=source,
        as_of=as_of,
        age_seconds=_age_seconds(now, as_of),
        stale=stale,
        upstream_error=upstream_error,
        timeline=timeline(events),
    )


@dataclass(frozen=True, slots=True)
class _MatchEvent:
    """A search match seen through the lifecycle rule's eyes."""

    match: SearchMatch

    @property
    def status(self) -> DeliveryStatus:
        return self.match.status

    @property
    def occurred_at(self) -> datetime:
        return self.match.occurred_at

    @property
    def code(self) -> int | None:
        return self.match.code

    @property
    def raw_status(self) -> str:
        return self.match.status.value

    @property
    def origin(self) -> EventOrigin:
        # The search indexes do not project the origin, so as far as a search knows every
        # match is a callback: a horizon closure ranks as its status (unknown), and the
        # page's status is then the last in-progress one. The transaction's view says more.
        return EventOrigin.CALLBACK


def search_page_view(page: SearchPage, *, limit: int) -> SearchPageView:
    """A page of matching events, grouped by transaction in order of each one's newest event."""
    groups: dict[str, list[SearchMatch]] = {}
    for match in page.matches:
        groups.setdefault(match.transid, []).append(match)
    items = []
    for transid, matches in groups.items():
        winner = current_event(_MatchEvent(match) for match in matches)
        if winner is None:
            continue
        newest = matches[0]
        items.append(
            SearchTransaction(
                transactionid=transid,
                channel=newest.channel,
                destination=newest.destination,
                correlationid=newest.correlationid,
                status=winner.status,
                classification=winner.match.classification,
                last_event_at=newest.occurred_at,
                events=[
                    SearchEvent(
                        status=match.status,
                        code=match.code,
                        classification=match.classification,
                        occurred_at=match.occurred_at,
                    )
                    for match in matches
                ],
            )
        )
    return SearchPageView(items=items, next=page.next_cursor, limit=limit)
