"""The local stack's fault hooks themselves: AWS error answers and the vendor going down."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from local_stack.aws_faults import AwsFaultInjector, default_status
from local_stack.http_api import FaultInjector
from simulator.config import SimulatorConfig
from simulator.engine import Simulator
from simulator.server import DROP_CONNECTION, STATUS_ROUTE_KEY, serve_simulator

# Nothing listens there: a request that escaped the hook would fail, not reach anything.
NOWHERE = "http://127.0.0.1:9"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _client(injector: AwsFaultInjector, service: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    injector.install(session)
    # One attempt per call, so each call takes one rule count.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return session.client(service, endpoint_url=NOWHERE, config=config)


def test_a_counted_rule_fails_that_many_matching_requests_then_lets_them_pass() -> None:
    injector = AwsFaultInjector()
    injector.add("dynamodb:PutItem", "ThrottlingException", match=["TX#", "tx-1"], count=2)

    assert injector.take("dynamodb", "PutItem", '{"pk": "TX#tx-2"}') is None
    assert injector.take("dynamodb", "GetItem", '{"pk": "TX#tx-1"}') is None
    assert injector.take("sqs", "PutItem", '{"pk": "TX#tx-1"}') is None
    first = injector.take("dynamodb", "PutItem", '{"pk": "TX#tx-1"}')
    second = injector.take("dynamodb", "PutItem", '{"pk": "TX#tx-1"}')
    third = injector.take("dynamodb", "PutItem", '{"pk": "TX#tx-1"}')

    assert first is not None and second is not None and third is None
    assert first.status == 400
    assert injector.injected == 2
    assert injector.describe() == []


def test_a_timed_rule_lasts_its_seconds_and_a_wildcard_covers_the_service() -> None:
    clock = FakeClock()
    injector = AwsFaultInjector(clock=clock)
    injector.add("sns:*", "InternalError", seconds=5)

    assert injector.take("sns", "Publish", "") is not None
    assert injector.take("sns", "ListTopics", "") is not None
    clock.now += 5
    assert injector.take("sns", "Publish", "") is None


def test_cleared_rules_fail_nothing() -> None:
    injector = AwsFaultInjector()
    injector.add("sqs:SendMessage", "ServiceUnavailable", count=5)
    injector.clear()

    assert injector.take("sqs", "SendMessage", "") is None


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("dynamodb:PutItem", {"TableName": "t", "Item": {"pk": {"S": "TX#1"}}}),
        ("sqs:SendMessage", {"QueueUrl": f"{NOWHERE}/1/q", "MessageBody": "x"}),
        ("sns:Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "x"}),
    ],
)
def test_the_answer_is_a_real_aws_error_in_the_services_protocol(
    operation: str, arguments: dict[str, Any]
) -> None:
    injector = AwsFaultInjector()
    service, _, name = operation.partition(":")
    client = _client(injector, service)
    injector.add(operation, "ServiceUnavailable", status=503, count=1)
    method = getattr(client, xform_name(name))

    with pytest.raises(ClientError) as raised:
        method(**arguments)

    assert raised.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    injector.uninstall()


def test_throttling_is_a_400_and_everything_else_a_500_by_default() -> None:
    assert default_status("ProvisionedThroughputExceededException") == 400
    assert default_status("ThrottlingException") == 400
    assert default_status("InternalServerError") == 500


def test_a_rule_needs_an_operation_an_error_and_a_length() -> None:
    injector = AwsFaultInjector()
    with pytest.raises(ValueError, match="service:Operation"):
        injector.add("PutItem", "InternalError", count=1)
    with pytest.raises(ValueError, match="error code"):
        injector.add("dynamodb:PutItem", "", count=1)
    with pytest.raises(ValueError, match="count or a duration"):
        injector.add("dynamodb:PutItem", "InternalError")


# ---- the vendor's status API ---------------------------------------------------------------


@pytest.fixture
def simulator_with_faults() -> Iterator[tuple[int, FaultInjector]]:
    faults = FaultInjector()
    server = serve_simulator(Simulator(SimulatorConfig()), port=0, faults=faults)
    try:
        yield server.port, faults
    finally:
        server.stop()


def _status(port: int) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "GET", "/resources/v1/messaging/status/tx-1", headers={"key": "local-service-key"}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_status_api_answers_the_armed_status_then_recovers(
    simulator_with_faults: tuple[int, FaultInjector],
) -> None:
    port, faults = simulator_with_faults
    faults.add(STATUS_ROUTE_KEY, 503, count=1)

    failed, recovered = _status(port), _status(port)

    assert failed[0] == 503
    assert recovered[0] == 404  # the vendor's 7600: no such transaction
    assert b"7600" in recovered[1]


def test_a_dropped_connection_gets_no_answer_at_all(
    simulator_with_faults: tuple[int, FaultInjector],
) -> None:
    port, faults = simulator_with_faults
    faults.add(STATUS_ROUTE_KEY, DROP_CONNECTION, count=1)

    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _status(port)
    assert faults.injected == 1


# ---- the console's alert log ----------------------------------------------------------------


def test_the_console_keeps_as_many_alerts_as_asked_the_most_recent_ones() -> None:
    from local_stack.alert_sink import AlertLog, ReceivedAlert

    log = AlertLog(echo=False, max_kept=3)
    for number in range(5):
        log.add(
            ReceivedAlert(
                target="sns", subject=f"alert {number}", message="", received_at="2024-05-01"
            )
        )

    assert [alert.subject for alert in log.all()] == ["alert 2", "alert 3", "alert 4"]
    assert log.total == 5
