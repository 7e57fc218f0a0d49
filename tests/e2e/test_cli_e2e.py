"""The ``receipts`` command against the running local stack, as an operator runs it.

Each command goes over the stack's HTTP API or its embedded AWS, as it would to a deployed
stack; the answers are checked against the API's own, and bad input against "a clear
message, a non-zero exit, nothing changed".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.fakes.callbacks import sms_failure
from tests.fakes.cli import run_receipts

from local_stack.client import StackClient, request, wait_until
from receipts.storage import EventStore
from receipts.storage.alert_records import pipe_message_from_stream_record
from receipts.storage.event_store import QuarantinedBody
from receipts_cli import replay as replay_module
from simulator.campaign import destination_value, send_request
from simulator.config import Signing
from simulator.engine import OUTCOME_HEADER
from simulator.signing import signature_headers

pytestmark = pytest.mark.e2e

# Beyond the demo's and the other tests' destinations: only this file writes to them.
FIRST_INDEX = 9200


class Run:
    """``receipts --local --state-file <the stack's>`` run in this process."""

    def __init__(self, state_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self._state_file = state_file
        self._capsys = capsys

    def __call__(self, *arguments: str) -> tuple[int, str, str]:
        return run_receipts(
            self._capsys, "--local", "--state-file", str(self._state_file), *arguments
        )

    def json(self, *arguments: str, expect: int = 0) -> Any:
        code, out, err = self(*arguments, "--json")
        assert code == expect, (code, out, err)
        return json.loads(out)


@pytest.fixture
def receipts(
    stack: StackClient,
    stack_log: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    monkeypatch.setenv("RECEIPTS_RUNS_DIR", str(tmp_path / "runs"))
    return Run(stack_log.parent / "stack.json", capsys)


def _aws(stack: StackClient, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _events(stack: StackClient) -> EventStore:
    return EventStore(_aws(stack, "dynamodb"), stack.state.resources["EventsTable"])


def _failed_sms(stack: StackClient, index: int, code: str = "7208") -> str:
    (transid,) = stack.send_transids(
        send_request("sms", first_index=index, correlationid=f"cli-{index}"),
        headers={OUTCOME_HEADER: f"failed:{code}"},
    )
    wait_until(
        lambda: stack.transaction(transid).json().get("final"),
        timeout=60,
        interval=0.3,
    )
    return transid


def _failure_body(transid: str, destination: str) -> bytes:
    return sms_failure(
        transid,
        destination=destination,
        occurred=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000"),
    )


def _kept_by_an_older_release(stack: StackClient, body: bytes) -> QuarantinedBody:
    """A body an older release refused and kept: this one reads it."""
    return _events(stack).quarantine(
        body=body,
        received_at=datetime.now(UTC),
        request_id=f"req-{uuid.uuid4()}",
        reason="an older release could not read it",
        error_code="invalid_shape",
        field=None,
        headers={"content-type": "application/json"},
    )


def _refused_now(stack: StackClient) -> str:
    """Sends a signed body this release refuses (400): the webhook quarantines it."""
    body = json.dumps({"deliveryInfoNotification": {"transid": str(uuid.uuid4())}}).encode()
    signing = Signing(secret=stack.state.callback_secret, prefix=True)
    answer = request(
        "POST",
        stack.state.webhook_url,
        body=body,
        headers={"content-type": "application/json", **signature_headers(body, signing)},
    )
    assert answer.status == 400, answer.body
    day = datetime.now(UTC).date().isoformat()
    (kept,) = [item for item in _events(stack).list_quarantine(day) if item.body == body]
    return kept.id


# ---- look-ups and reports -----------------------------------------------------------------


def test_tx_shows_the_timeline_the_api_answers(stack: StackClient, receipts: Run) -> None:
    transid = _failed_sms(stack, FIRST_INDEX)
    assert receipts.json("tx", transid) == stack.transaction(transid).json()

    code, out, _ = receipts("tx", transid)
    assert code == 0
    assert f"Transaction {transid}" in out and "failed" in out and "7208" in out
    assert "Timeline" in out

    code, _, err = receipts("tx", str(uuid.uuid4()))
    assert code == 3 and "no transaction" in err
    code, _, err = receipts("tx", "../etc")
    assert code == 2 and "A transaction id is" in err


def test_search_and_reports_show_a_campaign(stack: StackClient, receipts: Run) -> None:
    campaign = f"cli-campaign-{uuid.uuid4().hex[:8]}"
    transids = stack.send_transids(
        send_request("sms", 3, first_index=FIRST_INDEX + 10, correlationid=campaign),
        headers={OUTCOME_HEADER: "delivered"},
    )
    stack.wait_settled()

    def all_three() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = receipts.json("search", "--campaign", campaign)["items"]
        return items if len(items) == 3 else None

    found = wait_until(all_three, timeout=30, interval=0.5)
    assert sorted(item["transactionid"] for item in found) == sorted(transids)
    limited = receipts.json("search", "--campaign", campaign, "--limit", "2")
    assert len(limited["items"]) == 2 and limited["more"] is True
    by_destination = receipts.json(
        "search", "--destination", destination_value("sms", FIRST_INDEX + 10)
    )
    assert transids[0] in {item["transactionid"] for item in by_destination["items"]}

    def counted() -> dict[str, Any] | None:
        # 404 (exit 3) until the stream consumer has counted the campaign.
        code, out, _ = receipts("report", "campaign", campaign, "--json")
        figures: dict[str, Any] | None = json.loads(out) if code == 0 else None
        return figures if figures and figures["delivered"] == 3 else None

    report = wait_until(counted, timeout=60, interval=1)
    assert report["statuses"] == {"delivered": 3}
    code, out, _ = receipts("report", "campaign", campaign)
    assert code == 0 and f"Campaign {campaign}" in out and "100.0%" in out

    today = datetime.now(UTC).date().isoformat()
    daily = receipts.json("report", "daily", "--from", today, "--to", today, "--channel", "sms")
    assert [day["channel"] for day in daily["days"]] == ["sms"]
    assert daily["days"][0]["transactions"] >= 3

    for arguments, message in [
        (["search"], "--destination D or --campaign C"),
        (["search", "--campaign", "a", "--destination", "b"], "--destination D or"),
        (["report", "daily", "--from", today, "--to", "2000-01-01"], "--to is before --from"),
        (["report", "daily", "--from", "2026-02-30", "--to", today], "does not match"),
    ]:
        code, _, err = receipts(*arguments)
        assert code == 2 and message in err, (arguments, err)


# ---- suppressions -----------------------------------------------------------------------


def test_suppressions_check_list_and_remove(stack: StackClient, receipts: Run) -> None:
    number = destination_value("sms", FIRST_INDEX + 20)
    alive = destination_value("sms", FIRST_INDEX + 21)
    transid = _failed_sms(stack, FIRST_INDEX + 20, code="7203")
    checked = wait_until(
        lambda: (
            answer
            if (
                answer := receipts.json("suppressions", "check", "--channel", "sms", number, alive)
            )["suppressed"]
            == 1
            else None
        ),
        timeout=60,
        interval=0.5,
    )
    assert [entry["suppressed"] for entry in checked["results"]] == [True, False]
    assert checked["results"][0]["transactionid"] == transid

    listed = receipts.json("suppressions", "list", "--channel", "sms", "--limit", "100000")
    assert number in {item["normalised"] for item in listed["items"]}

    code, out, _ = receipts("suppressions", "remove", "--channel", "sms", f"+{number}")
    assert code == 0 and "lifted" in out and transid in out
    assert stack.suppression("sms", number).json()["suppressed"] is False
    code, _, err = receipts("suppressions", "remove", "--channel", "sms", number)
    assert code == 3 and "is not suppressed" in err

    code, _, err = receipts("suppressions", "check", "--channel", "sms")
    assert code == 2 and "at least one destination" in err
    code, _, err = receipts("suppressions", "check", "--channel", "pigeon", number)
    assert code == 2 and "pigeon" in err
    code, _, err = receipts("suppressions", "check", "--channel", "sms", "x" * 300)
    assert code == 2, err


# ---- the quarantine -----------------------------------------------------------------------


def test_quarantine_replay_stores_and_alerts_what_this_release_reads(
    stack: StackClient, receipts: Run
) -> None:
    transid = str(uuid.uuid4())
    destination = destination_value("sms", FIRST_INDEX + 30)
    fixed = _kept_by_an_older_release(stack, _failure_body(transid, destination))
    still_bad = _refused_now(stack)
    day = fixed.day.rsplit("#", 1)[-1]

    listed = receipts.json("quarantine", "list", "--day", day)
    states = {item["id"]: item["state"] for item in listed["items"]}
    assert states[fixed.id] == "waiting" and states[still_bad] == "waiting"

    planned = receipts.json(
        "quarantine", "replay", "--id", fixed.id, "--id", still_bad, "--dry-run"
    )
    would = {item["id"]: item["would"] for item in planned["items"]}
    assert would == {fixed.id: "store it", still_bad: "refuse it again"}
    assert stack.transaction(transid).status == 404, "a dry run stored the body"

    replayed = receipts.json("quarantine", "replay", "--id", fixed.id, "--id", still_bad, expect=1)
    assert (replayed["stored"], replayed["refused"]) == (1, 1)
    view = wait_until(
        lambda: answer.json() if (answer := stack.transaction(transid)).status == 200 else None,
        timeout=30,
    )
    assert view["status"] == "failed"
    # Alerted as a callback arriving now would be: through the stream, the pipe, the queue.
    wait_until(
        lambda: any(transid in json.dumps(alert) for alert in stack.alerts()),
        timeout=30,
        interval=0.3,
    )

    shown = receipts.json("quarantine", "show", still_bad)
    assert [r["outcome"] for r in shown["replays"]] == ["refused"]
    assert shown["error_code"] == "missing_field" and "deliveryInfo" in shown["reason"]
    code, out, _ = receipts("quarantine", "show", fixed.id)
    assert code == 0 and "stored" in out and transid in out

    # Replayed again: the stored body is not replayed twice, nothing new is stored.
    again = receipts.json("quarantine", "replay", "--id", fixed.id, "--id", still_bad, expect=1)
    assert (again["already_stored"], again["stored"], again["refused"]) == (1, 0, 1)
    assert len(_events(stack).quarantined(fixed.id).replays) == 1  # type: ignore[union-attr]
    alerts = [alert for alert in stack.alerts() if transid in json.dumps(alert)]
    assert len({alert["target"] for alert in alerts}) == len(alerts), "alerted twice"


def test_an_interrupted_replay_resumes_without_replaying_twice(
    stack: StackClient, receipts: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = [
        _kept_by_an_older_release(
            stack, _failure_body(str(uuid.uuid4()), destination_value("sms", FIRST_INDEX + 40))
        )
        for _ in range(3)
    ]
    ids = [argument for kept in bodies for argument in ("--id", kept.id)]
    original = replay_module.Replayer.replay
    calls = {"count": 0}

    def interrupted_on_the_second(self: Any, kept: QuarantinedBody) -> Any:
        calls["count"] += 1
        if calls["count"] == 2:
            raise KeyboardInterrupt
        return original(self, kept)

    monkeypatch.setattr(replay_module.Replayer, "replay", interrupted_on_the_second)
    code, _, err = receipts("quarantine", "replay", *ids)
    assert code == 130 and "resumes it" in err
    monkeypatch.setattr(replay_module.Replayer, "replay", original)

    resumed = receipts.json("quarantine", "replay", *ids)
    assert resumed["stored"] == 3, resumed  # the whole run's, before Ctrl-C too
    records = [_events(stack).quarantined(kept.id) for kept in bodies]
    assert all(record is not None and len(record.replays) == 1 for record in records)
    assert len({record.replays[0].run for record in records if record}) == 1


def test_quarantine_bad_input_changes_nothing(stack: StackClient, receipts: Run) -> None:
    for arguments, expected, message in [
        (["quarantine", "replay"], 2, "--day D"),
        (["quarantine", "replay", "--day", "2026-12-01", "--id", "x"], 2, "--day D"),
        (["quarantine", "show", "not-an-id"], 2, "is not a quarantined body's id"),
        (["quarantine", "show", "2026-12-01T00:00:00.000Z#nobody"], 3, "no quarantined body"),
        (["quarantine", "replay", "--id", "2026-12-01T00:00:00.000Z#nobody"], 3, "no quarantined"),
    ]:
        code, _, err = receipts(*arguments)
        assert code == expected and message in err, (arguments, code, err)


# ---- dead letters ------------------------------------------------------------------------


def _stream_record_of(stack: StackClient, transid: str) -> str:
    """The pipe's message for the stored failure of ``transid``, as the stream had it."""
    items = _aws(stack, "dynamodb").query(
        TableName=stack.state.resources["EventsTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TX#{transid}"}},
    )["Items"]
    (failure,) = [item for item in items if item.get("alert", {}).get("BOOL")]
    record = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": failure["pk"], "sk": failure["sk"]},
            "NewImage": failure,
            "SequenceNumber": "1",
            "StreamViewType": "NEW_IMAGE",
        },
    }
    return pipe_message_from_stream_record(record)


@pytest.fixture
def dead_letter_queue(stack: StackClient) -> Iterator[str]:
    """The alerts' dead-letter queue, left as the test found it (the demo counts it)."""
    url = stack.state.resources["AlertsDeadLetterQueue"]
    yield url
    sqs = _aws(stack, "sqs")
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            if "cli-e2e" in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_dlq_list_shows_and_redrive_moves_alerts_back(
    stack: StackClient, receipts: Run, dead_letter_queue: str
) -> None:
    transid = _failed_sms(stack, FIRST_INDEX + 50)
    wait_until(
        lambda: any(transid in json.dumps(alert) for alert in stack.alerts()),
        timeout=30,
        interval=0.3,
    )
    alerted = len([alert for alert in stack.alerts() if transid in json.dumps(alert)])
    sqs = _aws(stack, "sqs")
    sqs.send_message(QueueUrl=dead_letter_queue, MessageBody=_stream_record_of(stack, transid))
    sqs.send_message(QueueUrl=dead_letter_queue, MessageBody="cli-e2e: not an alert")

    listed = receipts.json("dlq", "list", "--queue", "alerts")
    mine = {
        view["kind"]: view
        for view in listed["messages"]
        if view["transactionid"] == transid or "cli-e2e" in (view["body"] or "")
    }
    assert mine["stream record"]["status"] == stack.transaction(transid).json()["status"]
    assert mine["stream record"]["alert_targets"].startswith("sent to ")
    assert mine["unreadable"]["movable"] is False

    code, _, err = receipts("dlq", "redrive", "--queue", "alerts", "--json")
    assert code == 2 and "--yes" in err

    handled = stack.stats()["alerts_poller"]["succeeded"]
    moved = receipts.json("dlq", "redrive", "--queue", "alerts", "--yes", expect=1)
    assert moved["moved"] >= 1 and moved["left"] >= 1
    after = receipts.json("dlq", "list", "--queue", "alerts")
    assert transid not in {view["transactionid"] for view in after["messages"]}
    assert any("cli-e2e" in (view["body"] or "") for view in after["messages"])
    # The alerts function took it back and knew every target had it: no second alert.
    wait_until(lambda: stack.stats()["alerts_poller"]["succeeded"] > handled, timeout=30)
    assert len([alert for alert in stack.alerts() if transid in json.dumps(alert)]) == alerted


# ---- reconcile ----------------------------------------------------------------------------


def test_reconcile_registers_a_file_of_ids_and_runs_a_pass(
    stack: StackClient, receipts: Run, tmp_path: Path
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{ids[0]}\nnot/an/id\n", encoding="utf-8")
    code, _, err = receipts("reconcile", "--file", str(bad))
    assert code == 2 and "line 2" in err

    good = tmp_path / "ids.txt"
    good.write_text("# dropped on campaign day\n" + "\n".join(ids) + "\n", encoding="utf-8")
    registered = receipts.json("reconcile", "--file", str(good), "--batch-size", "2")
    # The refused file registered nothing: every id is new here.
    assert (registered["new"], registered["known"], registered["batches"]) == (5, 0, 3)
    again = receipts.json("reconcile", "--file", str(good))
    assert (again["new"], again["known"]) == (0, 5)

    passed = receipts.json("reconcile", "--now")
    assert passed["discovery"]["parts"] and "checked" in passed
    code, _, err = receipts("reconcile")
    assert code == 2 and "--file IDS" in err


# ---- the console script ---------------------------------------------------------------------


def test_the_console_script_is_installed_and_answers(stack: StackClient, stack_log: Path) -> None:
    script = shutil.which("receipts", path=str(Path(sys.executable).parent))
    assert script, "`receipts` is not installed beside this interpreter (make install)"
    for arguments in (["--help"], ["quarantine", "replay", "--help"], ["dlq", "--help"]):
        shown = subprocess.run([script, *arguments], capture_output=True, text=True, check=False)
        assert shown.returncode == 0 and "Usage: receipts" in shown.stdout, shown.stderr
    transid = _failed_sms(stack, FIRST_INDEX + 60)
    looked_up = subprocess.run(
        [
            script,
            "--local",
            "--state-file",
            str(stack_log.parent / "stack.json"),
            "--json",
            "tx",
            transid,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=timedelta(seconds=60).total_seconds(),
    )
    assert looked_up.returncode == 0, looked_up.stderr
    assert json.loads(looked_up.stdout)["transactionid"] == transid
    missing = subprocess.run(
        [script, "--local", "--state-file", "/nonexistent/stack.json", "tx", transid],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 4 and "no local stack" in missing.stderr
