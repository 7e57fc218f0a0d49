"""What ``make demo`` reports, against an in-memory platform: its remarks must be true."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import pytest

from local_stack.client import Answer, StackClient
from local_stack.demo import run
from local_stack.state import StackState
from simulator.campaign import CHANNELS


class FakePlatform:
    """The few calls ``run`` makes, answered from memory; push may fan out to devices."""

    def __init__(self, *, devices_per_push: int) -> None:
        self.devices_per_push = devices_per_push
        self.state = StackState(
            api_url="http://127.0.0.1:3000",
            simulator_url="http://127.0.0.1:3100",
            console_url="http://127.0.0.1:3001",
            aws_endpoint_url="http://127.0.0.1:5000",
            region="us-east-1",
            callback_secret="secret",
            lookup_api_key="lookup",
            vendor_service_key="vendor",
        )
        self._channel_of: dict[str, str] = {}

    def send_transids(self, payload: Mapping[str, Any]) -> list[str]:
        channel = str(payload["deliverychannel"])
        destinations = next(iter(payload["destination"][0].values()))
        transids = [f"{channel}-{index}" for index in range(len(destinations))]
        self._channel_of.update(dict.fromkeys(transids, channel))
        return transids

    def planned(self, transid: str) -> dict[str, Any]:
        devices = self.devices_per_push if self._channel_of[transid] == "push" else 1
        if devices == 1:
            return {"deliveries": [transid]}
        return {"deliveries": [f"{transid}-{device}" for device in range(1, devices + 1)]}

    def vendor_status(self, transid: str) -> Answer:
        return Answer(200, {"x-answer-source": "callbacks"}, b"[]")

    def transaction(self, transid: str) -> Answer:
        return Answer(200, {}, b'{"status": "delivered"}')

    def stats(self) -> dict[str, Any]:
        return {"queues": {"AlertsQueue": {"visible": 0, "in_flight": 0}}, "alerts_received": 0}

    def alerts(self) -> list[dict[str, Any]]:
        return []

    def add_fault(self, *args: Any, **kwargs: Any) -> Answer:
        return Answer(200, {}, b"{}")

    def wait_settled(self, timeout: float = 30.0) -> dict[str, Any]:
        return {"pending": 0}


def _sent_line(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> str:
    stack = cast(StackClient, platform)
    assert run(stack, per_channel=2, outage=0, timeout=5, suppression=False) == 0
    report = capsys.readouterr().out
    line = next((line for line in report.splitlines() if "messages ->" in line), None)
    assert line is not None, report
    return line


def test_the_fan_out_remark_appears_when_a_push_went_to_several_devices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _sent_line(FakePlatform(devices_per_push=3), capsys)

    messages = 2 * len(CHANNELS)
    assert re.search(rf"sent {messages} messages -> {messages + 2 * 2} deliveries", line), line
    assert "(push fans out)" in line


def test_no_fan_out_remark_when_every_push_went_to_one_device(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _sent_line(FakePlatform(devices_per_push=1), capsys)

    messages = 2 * len(CHANNELS)
    assert re.search(rf"sent {messages} messages -> {messages} deliveries", line), line
    assert "fans out" not in line
