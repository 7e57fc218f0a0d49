"""What the simulated platform knows about the messages it sent: the status API's source.

The platform knows a transaction's progress whether or not its callbacks reached the
webhook, so the status API answers from the planned lifecycle: the latest step that has
happened by now (``queued`` before the first one). Answers take the status API's shape
(seed 000): a JSON array with one transaction object, RFC 1123 dates, per-channel fields.
Transactions are scoped to the service whose key sent them: another key gets 7601.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.lifecycle import TransactionPlan

NO_RESULTS = {"code": "7600", "description": "no results found"}
OTHER_SERVICE = {
    "code": "7601",
    "description": "transaction is not under this service or service key is invalid",
}
KEY_MISSING = {"code": "7002", "description": "Service Key Missing"}


def rfc1123(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")


@dataclass(frozen=True)
class SentTransaction:
    plan: TransactionPlan
    service: str
    created_at: datetime
    content: dict[str, Any]


def transaction_view(sent: SentTransaction, now: datetime, client_id: str) -> dict[str, Any]:
    """The status API's transaction object as of ``now``."""
    plan = sent.plan
    happened = [event for event in plan.events if event.occurred_at <= now]
    latest = happened[-1] if happened else None
    profile = plan.profile
    view: dict[str, Any] = {
        "transactionid": plan.transid,
        "clientid": client_id,
        "api_version": "v1",
        "type": "outbound-api",
        "from": profile.status_api_fields.get("from", "VM-CONNECT"),
        "to": plan.destination,
    }
    for name, value in profile.status_api_fields.items():
        if name != "from":
            view[name] = value
    text = sent.content.get("text") or sent.content.get("body")
    if text and profile.name == "sms":
        view["body"] = text
    if text and profile.name == "rt":
        view["message"] = text
    view["channel"] = profile.status_api_channel
    view["status"] = latest.report.status_api if latest else "queued"
    view["date_created"] = rfc1123(sent.created_at)
    view["last_updated"] = rfc1123(latest.occurred_at if latest else sent.created_at)
    failed = latest is not None and latest.report.is_failure
    view["error_code"] = latest.report.code if failed and latest else None
    view["error_message"] = latest.description if failed and latest else None
    return view


class Ledger:
    """Thread-safe record of every transaction sent, keyed by transid."""

    def __init__(self, client_id: str = "412") -> None:
        self._transactions: dict[str, SentTransaction] = {}
        # The transid a send answered with -> the deliveries it led to (several for a push
        # fanned out to devices, itself otherwise).
        self._deliveries: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._client_id = client_id

    def add(self, sent: SentTransaction) -> None:
        with self._lock:
            self._transactions[sent.plan.transid] = sent
            # A fanned-out push is also known by the transid the send answered with.
            parent = sent.plan.parent_transid
            if parent and parent not in self._transactions:
                self._transactions[parent] = sent
            self._deliveries.setdefault(parent or sent.plan.transid, []).append(sent.plan.transid)

    def get(self, transid: str) -> SentTransaction | None:
        with self._lock:
            return self._transactions.get(transid)

    def deliveries(self, transid: str) -> list[str]:
        """The deliveries a sent transid led to (its own id unless fanned out)."""
        with self._lock:
            return list(self._deliveries.get(transid, []))

    def __len__(self) -> int:
        with self._lock:
            return len(self._transactions)

    def answer(self, transid: str, service: str | None, now: datetime) -> tuple[int, Any]:
        """(HTTP status, body) of ``GET /resources/v1/messaging/status/{transid}``.

        ``service`` is the service of the caller's key, None for a key no service has.
        """
        sent = self.get(transid)
        if sent is None:
            return (404, NO_RESULTS) if service is not None else (403, OTHER_SERVICE)
        if service != sent.service:
            return 403, OTHER_SERVICE
        view = transaction_view(sent, now, self._client_id)
        if sent.plan.parent_transid == transid:
            view["transactionid"] = transid
        return 200, [view]
