"""The simulated platform: accepts sends, posts their callbacks, answers status queries.

Ties the pure parts together (request validation, lifecycle plans, the delivery queue,
the ledger) with a clock, a seeded random generator and a poster. ``pump`` posts what is
due synchronously, for tests; ``start`` runs the same loop in a thread with a pool of
posters, so one slow webhook answer does not hold back the others.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from simulator.config import Quirks, SimulatorConfig
from simulator.delivery import Delivery, DeliveryQueue, Verdict
from simulator.ledger import KEY_MISSING, Ledger, SentTransaction
from simulator.lifecycle import Forced, TransactionPlan, new_transid, plan_recipient
from simulator.send_api import VendorError, authenticate, parse_send_request, queued_entry
from simulator.signing import signature_headers

LOGGER = logging.getLogger("simulator")

USER_AGENT = "Apache-HttpClient/4.5.13 (Java/1.8.0_292)"
# Simulator-only request headers; the real platform ignores headers it does not know.
OUTCOME_HEADER = "x-simulator-outcome"  # delivered | read | failed | failed:<code>
QUIRKS_HEADER = "x-simulator-quirks"  # all | none | spelling,timestamps,...
DEVICES_HEADER = "x-simulator-devices"  # devices a push to a customer reaches

# Names a notification, so a duplicate carries the same trace id as its original.
_GTRID_NAMESPACE = uuid.UUID("3b0c1bd4-6d51-4f0e-9a4f-6b1f0c1de5a7")


class Poster(Protocol):
    def __call__(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> int | None: ...


def urllib3_poster() -> Poster:
    """Posts with urllib3 (it ships with botocore): no retries of its own, one pool."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=16, retries=False)

    def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int | None:
        try:
            response = pool.request(
                "POST", url, body=body, headers=dict(headers), timeout=timeout, redirect=False
            )
        except urllib3.exceptions.HTTPError as error:
            LOGGER.debug("posting to %s failed: %s", url, error)
            return None
        return int(response.status)

    return post


def _forced(headers: Mapping[str, str]) -> Forced:
    outcome = headers.get(OUTCOME_HEADER, "").strip().lower()
    failure_code = None
    if outcome.startswith("failed:"):
        outcome, failure_code = "failed", outcome.split(":", 1)[1].strip()
    if outcome and outcome not in ("delivered", "read", "failed"):
        raise VendorError("7004", f"invalid value of header {OUTCOME_HEADER}", 400)
    devices = headers.get(DEVICES_HEADER, "").strip()
    return Forced(
        outcome=outcome or None,
        failure_code=failure_code,
        devices=int(devices) if devices.isdigit() else None,
    )


class Simulator:
    def __init__(
        self,
        config: SimulatorConfig,
        *,
        poster: Poster | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._poster = poster
        self._clock = clock
        self._wall_clock = wall_clock
        # A simulation, not a secret: repeatable from a seed on purpose.
        self._rng = random.Random(config.seed)  # nosec B311
        self._lock = threading.Condition()
        self.queue = DeliveryQueue(policy=config.delivery)
        self.ledger = Ledger(config.client_id)
        self.counters: Counter[str] = Counter()
        self.by_channel: Counter[str] = Counter()
        self.verdicts: Counter[str] = Counter()
        # Status-API requests answered per transid: tests tell which ids a sweep asked about.
        self._status_requests_by_transid: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None

    # ---- the send API -------------------------------------------------------------------

    def send(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST /resources/v1/messaging``: (HTTP status, body). Headers lower-cased."""
        try:
            service = authenticate(headers.get("key"), self.config.service_keys)
            request = parse_send_request(body, max_destinations=self.config.max_destinations)
            forced = _forced(headers)
            quirks = Quirks.parse(headers[QUIRKS_HEADER]) if QUIRKS_HEADER in headers else None
            codes = {failure.report.code for failure in request.profile.failures}
            if forced.failure_code and forced.failure_code not in codes:
                raise ValueError(
                    f"channel {request.profile.name} has no failure code {forced.failure_code};"
                    f" choose from {', '.join(sorted(codes))}"
                )
        except VendorError as error:
            self.counters["sends_refused"] += 1
            return error.http_status, error.body()
        except ValueError as error:
            self.counters["sends_refused"] += 1
            return 400, VendorError("7004", str(error), 400).body()
        url = request.notify_url or self.config.webhook_url
        entries = []
        now, sent_at = self._clock(), self._wall_clock()
        with self._lock:
            for recipient in request.recipients:
                transid = new_transid(self._rng)
                plans = plan_recipient(
                    self._rng,
                    request.profile,
                    recipient,
                    transid=transid,
                    callback_data=request.callback_data,
                    sent_at=sent_at,
                    quirks=quirks or self.config.quirks,
                    rates=self.config.rates,
                    pace=self.config.pace,
                    forced=forced,
                )
                for plan in plans:
                    self.ledger.add(SentTransaction(plan, service, sent_at, dict(request.content)))
                    self._count_plan(plan)
                    if url:
                        self._schedule_callbacks(plan, url, now)
                entries.append(queued_entry(transid, recipient.correlationid))
            self.counters["sends"] += 1
            self._lock.notify_all()
        return 200, {"response": entries}

    def _schedule_callbacks(self, plan: TransactionPlan, url: str, now: float) -> None:
        for callback in plan.callbacks:
            delivery = Delivery(
                url=url,
                body=callback.body,
                headers=self._callback_headers(callback.body, plan.transid, callback.event_index),
                transid=plan.transid,
                duplicate=callback.duplicate,
            )
            self.queue.schedule(delivery, now + callback.due)

    def _count_plan(self, plan: TransactionPlan) -> None:
        self.counters["transactions"] += 1
        self.counters["callbacks_planned"] += len(plan.callbacks)
        self.counters["duplicates_planned"] += sum(1 for c in plan.callbacks if c.duplicate)
        self.counters["out_of_order_transactions"] += int(plan.out_of_order)
        self.counters["failures_planned"] += int(plan.failed)
        self.by_channel[plan.profile.name] += 1

    def _callback_headers(self, body: bytes, transid: str, event_index: int) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "x-wx-gtrid": str(uuid.uuid5(_GTRID_NAMESPACE, f"{transid}#{event_index}")),
        }
        headers.update(self.config.callback_headers)
        headers.update(signature_headers(body, self.config.signing))
        return headers

    # ---- the status API -----------------------------------------------------------------

    def status(self, transid: str, key: str | None) -> tuple[int, Any]:
        """``GET /resources/v1/messaging/status/{transid}``: (HTTP status, body)."""
        with self._lock:
            self.counters["status_requests"] += 1
            self._status_requests_by_transid[transid] += 1
        if not key:
            return 401, KEY_MISSING
        service = self.config.service_keys.get(key)
        status, body = self.ledger.answer(transid, service, self._wall_clock())
        if status != 200:
            self.counters["status_errors"] += 1
        return status, body

    def status_requests_about(self, transid: str) -> int:
        """Status-API requests answered about ``transid`` so far."""
        with self._lock:
            return self._status_requests_by_transid[transid]

    # ---- delivery -----------------------------------------------------------------------

    def _post(self, delivery: Delivery) -> int | None:
        poster = self._poster or urllib3_poster()
        self._poster = poster
        return poster(
            delivery.url, delivery.body, delivery.headers, self.config.delivery.timeout_seconds
        )

    def _attempt(self, delivery: Delivery) -> None:
        try:
            status = self._post(delivery)
        except Exception:
            LOGGER.exception("posting a callback failed unexpectedly")
            status = None
        with self._lock:
            verdict = self.queue.settle(delivery, status, self._clock())
            self.verdicts[verdict.value] += 1
            self._lock.notify_all()
        if verdict in (Verdict.DROPPED, Verdict.REFUSED):
            LOGGER.warning(
                "callback for %s %s after %d attempt(s) (last answer: %s)",
                delivery.transid,
                "dropped" if verdict is Verdict.DROPPED else "not retried",
                delivery.attempts,
                delivery.last_status if delivery.last_status is not None else "no answer",
            )

    def pump(self, now: float | None = None) -> int:
        """Post every due delivery now, in this thread; the number posted."""
        with self._lock:
            due = self.queue.pop_due(self._clock() if now is None else now)
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=self.config.delivery.concurrency, thread_name_prefix="simulator-post"
        )
        self._thread = threading.Thread(target=self._run, name="simulator-scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        executor = self._executor
        if executor is None:
            raise RuntimeError("start() creates the executor before the loop runs")
        while not self._stop.is_set():
            with self._lock:
                now = self._clock()
                due = self.queue.pop_due(now)
                if not due:
                    next_due = self.queue.next_due()
                    wait = 0.5 if next_due is None else min(0.5, max(0.0, next_due - now))
                    self._lock.wait(wait)
                    continue
            for delivery in due:
                executor.submit(self._attempt, delivery)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until no callback is waiting or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.queue.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.5))
        return True

    # ---- counters -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            delivered = self.queue.counters
            return {
                "sends": self.counters["sends"],
                "sends_refused": self.counters["sends_refused"],
                "transactions": self.counters["transactions"],
                "by_channel": dict(self.by_channel),
                "failures_planned": self.counters["failures_planned"],
                "callbacks_planned": self.counters["callbacks_planned"],
                "duplicates_planned": self.counters["duplicates_planned"],
                "out_of_order_transactions": self.counters["out_of_order_transactions"],
                "attempts": delivered.attempts,
                "callbacks_delivered": delivered.delivered,
                "retried": delivered.retried,
                "dropped": delivered.dropped,
                "refused": delivered.refused,
                "duplicates_sent": delivered.duplicates_sent,
                "pending": self.queue.pending,
                "status_requests": self.counters["status_requests"],
                "status_errors": self.counters["status_errors"],
            }
