"""The simulated platform end to end, with a fake webhook and hand-driven clocks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from receipts.models.callback import parse_callback
from receipts.models.status_api import parse_status_response
from simulator.campaign import send_request
from simulator.config import DeliveryPolicy, Quirks, Rates, Signing, SimulatorConfig
from simulator.engine import DEVICES_HEADER, OUTCOME_HEADER, QUIRKS_HEADER, Simulator
from simulator.signing import hub_signature

KEY = "service-key"
OTHER_KEY = "other-service-key"
START = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


@dataclass
class FakeWebhook:
    """Answers each post with the next status of ``answers`` (then 200), records them."""

    answers: list[int | None] = field(default_factory=list)
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> int | None:
        self.posts.append((url, body, dict(headers)))
        return self.answers.pop(0) if self.answers else 200


@dataclass
class Clocks:
    seconds: float = 0.0

    def monotonic(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.seconds)


def _simulator(webhook: FakeWebhook, clocks: Clocks, **changes: Any) -> Simulator:
    config = SimulatorConfig(
        webhook_url="http://127.0.0.1:9/callbacks",
        service_keys={KEY: "local", OTHER_KEY: "other"},
        signing=Signing(secret="hub-secret"),
        rates=Rates(failure=0.0, read=0.0, duplicate=0.0, out_of_order=0.0, multi_device=0.0),
        delivery=DeliveryPolicy(retry_intervals=(2.0,)),
        seed=11,
    ).with_changes(**changes)
    return Simulator(config, poster=webhook, clock=clocks.monotonic, wall_clock=clocks.wall)


def _send(
    simulator: Simulator, payload: dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any]]:
    return simulator.send(json.dumps(payload).encode(), {"key": KEY, **headers})


def _run_until_idle(simulator: Simulator, clocks: Clocks, limit: float = 60.0) -> None:
    while simulator.queue.pending and clocks.seconds < limit:
        clocks.seconds += 0.1
        simulator.pump()


def test_a_send_answers_one_queued_transid_per_destination() -> None:
    simulator = _simulator(FakeWebhook(), Clocks())

    status, answer = _send(simulator, send_request("sms", 3, correlationid="c"))

    assert status == 200
    assert [entry["code"] for entry in answer["response"]] == ["1001"] * 3
    assert len({entry["transid"] for entry in answer["response"]}) == 3
    assert simulator.stats()["transactions"] == 3


def test_callbacks_are_posted_when_due_signed_and_parseable() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(webhook, clocks)
    _, answer = _send(simulator, send_request("sms"), **{QUIRKS_HEADER: "none"})
    transid = answer["response"][0]["transid"]

    simulator.pump()
    assert webhook.posts == []
    _run_until_idle(simulator, clocks)

    statuses = []
    for url, body, headers in webhook.posts:
        assert url == "http://127.0.0.1:9/callbacks"
        assert headers["x-hub-signature"] == hub_signature(body, Signing(secret="hub-secret"))
        assert headers["x-wx-gtrid"]
        event = parse_callback(body)
        assert event.transid == transid
        statuses.append(event.status.value)
    assert statuses == ["submitted", "delivered"]
    assert simulator.stats()["callbacks_delivered"] == 2


def test_a_failing_webhook_gets_three_retries_then_the_callback_is_dropped() -> None:
    webhook, clocks = FakeWebhook(answers=[503, 503, 503, 503]), Clocks()
    simulator = _simulator(webhook, clocks)
    _send(simulator, send_request("voice"), **{QUIRKS_HEADER: "none", OUTCOME_HEADER: "delivered"})

    _run_until_idle(simulator, clocks)

    stats = simulator.stats()
    assert len(webhook.posts) == 4
    assert len({body for _, body, _ in webhook.posts}) == 1
    assert (stats["retried"], stats["dropped"], stats["callbacks_delivered"]) == (3, 1, 0)


def test_a_webhook_that_recovers_loses_nothing() -> None:
    webhook, clocks = FakeWebhook(answers=[None, 500, 429]), Clocks()
    simulator = _simulator(webhook, clocks)
    _send(simulator, send_request("sms"), **{QUIRKS_HEADER: "none", OUTCOME_HEADER: "delivered"})

    _run_until_idle(simulator, clocks)

    stats = simulator.stats()
    assert (stats["retried"], stats["dropped"], stats["callbacks_delivered"]) == (3, 0, 2)


def test_notifyurl_overrides_the_service_webhook() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(webhook, clocks)
    _send(simulator, send_request("wechat", notify_url="http://127.0.0.1:7/elsewhere"))

    _run_until_idle(simulator, clocks)

    assert {url for url, _, _ in webhook.posts} == {"http://127.0.0.1:7/elsewhere"}


def test_without_any_webhook_nothing_is_posted_but_the_status_api_knows() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(webhook, clocks, webhook_url=None)
    _, answer = _send(simulator, send_request("sms"), **{OUTCOME_HEADER: "delivered"})
    clocks.seconds = 30

    status, body = simulator.status(answer["response"][0]["transid"], KEY)

    assert webhook.posts == []
    assert status == 200
    assert body[0]["status"] == "delivered"


def test_the_status_api_follows_the_lifecycle_as_time_passes() -> None:
    clocks = Clocks()
    simulator = _simulator(FakeWebhook(), clocks)
    _, answer = _send(
        simulator, send_request("sms"), **{OUTCOME_HEADER: "failed:7208", QUIRKS_HEADER: "none"}
    )
    transid = answer["response"][0]["transid"]
    seen = []
    for seconds in (0.0, 0.45, 30.0):
        clocks.seconds = seconds
        status, body = simulator.status(transid, KEY)
        assert status == 200
        (transaction,) = parse_status_response(json.dumps(body))
        seen.append((transaction.status, transaction.error_code))

    assert seen == [("queued", None), ("sent", None), ("expired", "7208")]
    assert body[0]["transactionid"] == transid
    assert body[0]["channel"] == "SMS"


def test_status_api_errors_follow_the_vendor() -> None:
    simulator = _simulator(FakeWebhook(), Clocks())
    _, answer = _send(simulator, send_request("sms"))
    transid = answer["response"][0]["transid"]

    assert simulator.status("no-such-transid", KEY) == (
        404,
        {"code": "7600", "description": "no results found"},
    )
    assert simulator.status(transid, OTHER_KEY)[1]["code"] == "7601"
    assert simulator.status(transid, "not-a-key")[1]["code"] == "7601"
    assert simulator.status(transid, None) == (
        401,
        {"code": "7002", "description": "Service Key Missing"},
    )


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"key": "wrong"}, 401, "7001"),
        ({}, 401, "7002"),
        ({"key": KEY, OUTCOME_HEADER: "sideways"}, 400, "7004"),
        ({"key": KEY, OUTCOME_HEADER: "failed:1234"}, 400, "7004"),
        ({"key": KEY, QUIRKS_HEADER: "sparkles"}, 400, "7004"),
    ],
)
def test_refused_sends_plan_nothing(headers: dict[str, str], status: int, code: str) -> None:
    simulator = _simulator(FakeWebhook(), Clocks())

    answer = simulator.send(json.dumps(send_request("sms")).encode(), headers)

    assert answer[0] == status
    assert answer[1]["response"][0]["code"] == code
    assert simulator.queue.pending == 0
    assert simulator.stats()["sends_refused"] == 1


def test_a_fanned_out_push_is_known_by_its_own_transid_and_each_device() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(webhook, clocks)
    _, answer = _send(
        simulator, send_request("push"), **{DEVICES_HEADER: "2", OUTCOME_HEADER: "delivered"}
    )
    transid = answer["response"][0]["transid"]

    _run_until_idle(simulator, clocks)

    deliveries = simulator.ledger.deliveries(transid)
    assert len(deliveries) == 2
    assert {parse_callback(body).transid for _, body, _ in webhook.posts} == set(deliveries)
    assert simulator.status(transid, KEY)[1][0]["transactionid"] == transid
    assert simulator.status(deliveries[1], KEY)[1][0]["transactionid"] == deliveries[1]


def test_a_duplicate_carries_the_same_trace_id_as_its_original() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(
        webhook, clocks, rates=Rates(failure=0, duplicate=1.0, out_of_order=0), quirks=Quirks()
    )
    _send(simulator, send_request("sms"), **{OUTCOME_HEADER: "delivered"})

    _run_until_idle(simulator, clocks)

    bodies: dict[bytes, set[str]] = {}
    for _, body, headers in webhook.posts:
        bodies.setdefault(body, set()).add(headers["x-wx-gtrid"])
    assert len(webhook.posts) == 3
    assert all(len(gtrids) == 1 for gtrids in bodies.values())
    assert simulator.stats()["duplicates_sent"] == 1


def test_the_same_seed_replays_the_same_campaign() -> None:
    def campaign() -> list[bytes]:
        webhook, clocks = FakeWebhook(), Clocks()
        simulator = _simulator(webhook, clocks, rates=Rates(), quirks=Quirks())
        for channel in ("sms", "push", "email"):
            _send(simulator, send_request(channel, 4))
        _run_until_idle(simulator, clocks)
        return sorted(body for _, body, _ in webhook.posts)

    assert campaign() == campaign()


def test_wait_idle_returns_once_everything_settled() -> None:
    webhook, clocks = FakeWebhook(), Clocks()
    simulator = _simulator(webhook, clocks)
    _send(simulator, send_request("sms"))

    assert simulator.wait_idle(0.01) is False
    _run_until_idle(simulator, clocks)
    assert simulator.wait_idle(0.01) is True
