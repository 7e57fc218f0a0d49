"""What the local stack shows and stores: alerts, credentials, the banner, the state file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from alerts.webhook_config import parse_chat_webhooks
from alerts.webhook_signing import decode_secret, signed_headers
from ingest.authentication import HubSignatureAuthenticator
from local_stack.alert_sink import (
    AlertLog,
    alert_from_chat_post,
    alert_from_sns_envelope,
)
from local_stack.banner import SAMPLE_CALLBACK, banner, callback_command
from local_stack.functions import FunctionSpec
from local_stack.lambda_runtime import HandlerUnavailableError, LambdaContext, LocalFunction
from local_stack.secrets import (
    SECRET_VALUES,
    LocalCredentials,
    chat_webhooks_value,
    secret_references,
)
from local_stack.state import StackState, read_state, remove_state, write_state
from receipts.models.callback import parse_callback


def _state(**changes: object) -> StackState:
    values: dict[str, object] = {
        "api_url": "http://127.0.0.1:3000",
        "simulator_url": "http://127.0.0.1:3100",
        "console_url": "http://127.0.0.1:3001",
        "aws_endpoint_url": "http://127.0.0.1:5000",
        "region": "us-east-1",
        "callback_secret": "c" * 64,
        "lookup_api_key": "local-lookup",
        "vendor_service_key": "vendor-key",
        **changes,
    }
    return StackState(**values)  # type: ignore[arg-type]


# ---- alerts -----------------------------------------------------------------------------


def test_an_sns_notification_delivered_to_sqs_becomes_an_alert() -> None:
    envelope = json.dumps({"Type": "Notification", "Subject": "Delivery failed", "Message": "m"})

    alert = alert_from_sns_envelope(envelope)

    assert (alert.target, alert.subject, alert.message) == ("sns", "Delivery failed", "m")


def test_a_raw_sns_message_is_kept_as_it_came() -> None:
    assert alert_from_sns_envelope("not json").message == "not json"


def test_a_chat_post_keeps_its_text_as_subject() -> None:
    body = json.dumps({"text": "Delivery failed: SMS\nmore", "blocks": []}).encode()

    alert = alert_from_chat_post("slack", body, {})

    assert alert.target == "chat:slack"
    assert alert.subject == "Delivery failed: SMS"
    assert alert.signature == ""


def test_a_signed_generic_post_is_checked_with_the_alerts_own_signing() -> None:
    secret = LocalCredentials().webhook_signing_secret
    key = decode_secret(secret)
    body = json.dumps(
        {"type": "delivery.failed", "data": {"channel": "sms", "code": 7200}}
    ).encode()
    headers = signed_headers([key], "msg-1", 1700000000, body)

    valid = alert_from_chat_post("generic", body, headers, key)
    tampered = alert_from_chat_post("generic", body + b" ", headers, key)

    assert valid.signature == "valid"
    assert tampered.signature == "invalid"
    assert valid.subject == "delivery.failed channel=sms code=7200"


def test_the_alert_log_keeps_alerts_in_order_and_counts_them() -> None:
    log = AlertLog(echo=False)
    for index in range(3):
        log.add(alert_from_sns_envelope(json.dumps({"Subject": str(index), "Message": ""})))

    assert [alert.subject for alert in log.all()] == ["0", "1", "2"]
    assert log.total == 3


# ---- credentials ------------------------------------------------------------------------


def test_every_secret_reference_of_the_template_gets_a_local_value() -> None:
    from local_stack.functions import function_specs
    from local_stack.intrinsics import Evaluator, resolve_parameters
    from local_stack.template import load_template

    template = load_template()
    evaluator = Evaluator(
        template,
        resolve_parameters(template),
        resolve_resource=lambda logical_id, attribute: f"{logical_id}.{attribute}",
    )
    environment = {
        name: value
        for spec in function_specs(template, evaluator).values()
        for name, value in spec.environment.items()
    }

    references = secret_references(environment)

    assert set(references) == {*SECRET_VALUES, "CHAT_WEBHOOKS_REFERENCE"}
    assert all(value.startswith("ssm:/imiconnect-receipts/dev/") for value in references.values())


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("hub-signature", "callback_secret"), ("api-key", "callback_api_key")],
)
def test_the_callback_secret_matches_the_auth_mode(mode: str, expected: str) -> None:
    credentials = LocalCredentials()

    value = SECRET_VALUES["CALLBACK_SECRET_REFERENCE"](credentials, {"CALLBACK_AUTH_MODE": mode})

    assert value == getattr(credentials, expected)


def test_basic_mode_stores_a_user_password_line() -> None:
    credentials = LocalCredentials()

    value = SECRET_VALUES["CALLBACK_SECRET_REFERENCE"](credentials, {"CALLBACK_AUTH_MODE": "basic"})

    assert value == f"{credentials.callback_basic_user}:{credentials.callback_basic_password}"


def test_credentials_are_new_at_each_start() -> None:
    assert LocalCredentials().lookup_api_key != LocalCredentials().lookup_api_key


def test_the_chat_webhook_secret_is_valid_for_the_alerts_function() -> None:
    secret = LocalCredentials().webhook_signing_secret

    webhooks = parse_chat_webhooks(chat_webhooks_value("http://127.0.0.1:3001", secret))

    assert webhooks.slack is not None
    assert webhooks.slack.url == "http://127.0.0.1:3001/chat/slack"
    assert webhooks.teams is not None
    assert webhooks.generic is not None
    assert webhooks.generic.signing_keys == (decode_secret(secret),)


# ---- banner -----------------------------------------------------------------------------


def test_the_banner_shows_urls_credentials_and_three_commands() -> None:
    text = banner(_state())

    assert "http://127.0.0.1:3000/callbacks" in text
    assert "http://127.0.0.1:3000/resources/v1/messaging/status/<transid>" in text
    assert "local-lookup" in text
    assert "vendor-key" in text
    assert text.count("curl -s") == 3


def test_the_pasted_callback_command_signs_the_body_the_webhook_verifies() -> None:
    """Run the command as printed, with curl replaced by a function echoing its arguments."""
    state = _state()
    script = 'curl() { printf "%s\\n" "$@"; }\n' + callback_command(state)

    output = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, env=dict(os.environ)
    ).stdout.splitlines()

    signature = next(line for line in output if line.startswith("x-hub-signature: "))
    body = output[output.index("-d") + 1].encode()
    HubSignatureAuthenticator(lambda: (state.callback_secret,)).verify(
        body, {"x-hub-signature": signature.split(": ", 1)[1]}
    )
    assert parse_callback(body).transid == SAMPLE_CALLBACK["deliveryInfoNotification"]["transid"]


def test_other_auth_modes_get_their_own_header() -> None:
    assert "-u imiconnect:pw " in callback_command(
        _state(
            callback_auth_mode="basic",
            callback_basic_user="imiconnect",
            callback_basic_password="pw",
        )
    )
    assert "x-callback-key: k" in callback_command(
        _state(
            callback_auth_mode="api-key",
            callback_api_key_header="x-callback-key",
            callback_api_key="k",
        )
    )


# ---- state file -------------------------------------------------------------------------


def test_the_state_file_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "stack.json"

    write_state(_state(), path)

    assert read_state(path) == _state()
    assert json.loads(path.read_text())["webhook_url"] == "http://127.0.0.1:3000/callbacks"
    assert path.stat().st_mode & 0o077 == 0


def test_only_the_owner_removes_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    write_state(_state(pid=111), path)

    remove_state(path, pid=222)
    assert path.exists()
    remove_state(path, pid=111)
    assert not path.exists()


# ---- the fake Lambda runtime ------------------------------------------------------------


def test_the_context_counts_down_from_the_function_timeout() -> None:
    context = LambdaContext("f", 512, timeout_seconds=2, region="r", account_id="1")

    remaining = context.get_remaining_time_in_millis()

    assert 1900 < remaining <= 2000
    assert context.log_group_name == "/aws/lambda/f"


def test_a_missing_handler_is_reported_and_looked_up_again_next_time() -> None:
    spec = FunctionSpec("F", "no_such_module_anywhere.handler", "functions", 3, 128)
    function = LocalFunction(spec, function_name="f", region="r", account_id="1")

    for _ in range(2):
        with pytest.raises(HandlerUnavailableError, match="no_such_module_anywhere"):
            function.handler()


def test_the_template_handler_is_imported_by_its_dotted_name() -> None:
    spec = FunctionSpec("F", "operator.is_not", "functions", 3, 128)
    function = LocalFunction(spec, function_name="f", region="r", account_id="1")

    assert function.invoke({"a": 1}).result is True


def test_invocations_never_overlap_even_from_many_threads() -> None:
    import threading
    import time

    running, overlaps = [0], [0]

    def handler(event: object, context: object) -> None:
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        time.sleep(0.01)
        running[0] -= 1

    functions = [
        LocalFunction(
            FunctionSpec(name, "x.y", "functions", 3, 128),
            function_name=name,
            region="r",
            account_id="1",
            handler=handler,
        )
        for name in ("A", "B")
    ]
    threads = [
        threading.Thread(target=functions[index % 2].invoke, args=({},)) for index in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps[0] == 1


def test_metric_lines_are_dropped_and_everything_else_kept() -> None:
    import io
    import threading

    from local_stack.output import MetricLinesFilter

    target = io.StringIO()
    stdout = MetricLinesFilter(target)

    print('{"_aws": {"CloudWatchMetrics": []}, "Callbacks": [1]}', file=stdout)
    print('{"level":"WARNING","message":"kept"}', file=stdout)
    thread = threading.Thread(target=lambda: print("from another thread", file=stdout))
    thread.start()
    thread.join()
    stdout.write("partial")
    stdout.flush()

    assert target.getvalue() == (
        '{"level":"WARNING","message":"kept"}\nfrom another thread\npartial'
    )
    assert stdout.dropped == 1
