"""The ``receipts`` CLI against a deployed stack (``--stack NAME``), all of it under moto.

The stack is a CloudFormation stack in moto whose outputs name the moto events table, moto
queues and a loopback fake of the lookup API; its parameters say where the lookup API key
is kept (SSM or Secrets Manager) and the stack's settings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.fakes.callbacks import sms_failure
from tests.fakes.cli import run_receipts as receipts
from tests.fakes.webhook_receiver import ScriptedResponse, WebhookReceiver

from receipts.lifecycle import DeliveryStatus
from receipts.models.callback import parse_callback
from receipts.storage import EventStore, keys
from receipts.storage.alert_records import pipe_message_from_stream_record
from receipts.storage.event_store import QuarantinedBody
from receipts_cli.replay import Replayer

REGION = "us-east-1"
STACK = "receipts-test"
PREFIX = "receipts-cli-test"
STAGE = "qa"
KEYS_NAME = f"/{PREFIX}/{STAGE}/lookup-api-keys"
DAY = "2026-12-03"
TRANSACTION_ID = "f040fe8b-2876-4824-b59e-44420047e204"
TRANSACTION_VIEW = {
    "transactionid": TRANSACTION_ID,
    "status": "failed",
    "classification": "permanent",
    "final": True,
    "code": {"code": 7200, "message": "Unknown Status"},
    "channel": "sms",
    "destination": "919908505526",
    "correlationid": "",
    "source": "stored",
    "as_of": "2026-12-03T10:00:00+00:00",
    "timeline": [],
}


@pytest.fixture(autouse=True)
def _cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No stray setting of the operator's shell reaches the CLI; runs are journalled here."""
    for name in ("RECEIPTS_STACK", "RECEIPTS_API_KEY", "RECEIPTS_STATE_FILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    runs = tmp_path / "runs"
    monkeypatch.setenv("RECEIPTS_RUNS_DIR", str(runs))
    return runs


@pytest.fixture
def runs_dir(_cli_environment: Path) -> Path:
    return _cli_environment


@pytest.fixture
def lookup() -> Iterator[WebhookReceiver]:
    """The stack's lookup API: records each request, answers the transaction view."""
    with WebhookReceiver(ScriptedResponse(body=json.dumps(TRANSACTION_VIEW).encode())) as fake:
        yield fake


@dataclass(frozen=True)
class Queues:
    alerts: str
    alerts_dead_letters: str
    pipe_dead_letters: str


@pytest.fixture
def queues(mocked_aws: None) -> Queues:
    sqs = boto3.client("sqs", region_name=REGION)
    return Queues(
        alerts=sqs.create_queue(QueueName="alerts")["QueueUrl"],
        alerts_dead_letters=sqs.create_queue(QueueName="alerts-dlq")["QueueUrl"],
        pipe_dead_letters=sqs.create_queue(QueueName="alerts-pipe-dlq")["QueueUrl"],
    )


def _template(outputs: dict[str, str] | None) -> str:
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "SecretStore": {"Type": "String", "Default": "ssm"},
            "SecretsPrefix": {"Type": "String", "Default": "imiconnect-receipts"},
            "Stage": {"Type": "String", "Default": "dev"},
            "RetentionDays": {"Type": "Number", "Default": "90"},
            "MaxCallbackBytes": {"Type": "Number", "Default": "65536"},
        },
        # The stack needs one resource; the real ones are made outside it, in moto.
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
    }
    if outputs is not None:
        template["Outputs"] = {name: {"Value": value} for name, value in outputs.items()}
    return json.dumps(template)


Deploy = Callable[..., str]


@pytest.fixture
def deploy(events_table: str, queues: Queues, lookup: WebhookReceiver) -> Deploy:
    """Create a stack in moto: its outputs point at the moto table and queues and the fake."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)

    def create(name: str = STACK, *, with_outputs: bool = True, **parameters: str) -> str:
        outputs = {
            "LookupBaseUrl": lookup.base_url + "/",
            "EventsTableName": events_table,
            "AlertsQueueUrl": queues.alerts,
            "AlertsDeadLetterQueueUrl": queues.alerts_dead_letters,
            "AlertsPipeDeadLetterQueueUrl": queues.pipe_dead_letters,
        }
        given = {"SecretsPrefix": PREFIX, "Stage": STAGE, **parameters}
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=_template(outputs if with_outputs else None),
            Parameters=[
                {"ParameterKey": key, "ParameterValue": value} for key, value in given.items()
            ],
        )
        return name

    return create


@pytest.fixture
def ssm_key(mocked_aws: None) -> None:
    # Two keys during a rotation: the new one first, and the CLI uses the first.
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=KEYS_NAME, Value="key-from-ssm\nolder-key", Type="SecureString"
    )


@pytest.fixture
def stack(deploy: Deploy, ssm_key: None) -> str:
    return deploy()


def on_stack(name: str = STACK) -> list[str]:
    return ["--stack", name, "--region", REGION]


# ---- the stack, its key and its lookup API ---------------------------------------------------


def test_tx_reads_the_stacks_lookup_url_with_the_first_key_from_ssm(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "--json", "tx", TRANSACTION_ID)

    assert code == 0
    assert json.loads(out) == TRANSACTION_VIEW
    (request,) = lookup.requests
    assert request.method == "GET"
    assert request.path == f"/v1/transactions/{TRANSACTION_ID}"
    assert request.headers["x-api-key"] == "key-from-ssm"


def test_tx_without_json_prints_the_transaction_for_a_person(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "tx", TRANSACTION_ID)

    assert code == 0
    assert f"Transaction {TRANSACTION_ID}" in out
    assert "failed (permanent, final)" in out


def test_the_secrets_manager_variant_reads_the_key_from_secrets_manager(
    deploy: Deploy, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=KEYS_NAME, SecretString="key-from-secrets-manager\nolder-key"
    )
    name = deploy(SecretStore="secretsmanager")

    code, _, _ = receipts(capsys, *on_stack(name), "--json", "tx", TRANSACTION_ID)

    assert code == 0
    assert [r.headers["x-api-key"] for r in lookup.requests] == ["key-from-secrets-manager"]


def test_api_key_overrides_the_stacks_secret(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = receipts(
        capsys, *on_stack(stack), "--api-key", "given-key", "--json", "tx", TRANSACTION_ID
    )

    assert code == 0
    assert [r.headers["x-api-key"] for r in lookup.requests] == ["given-key"]


def test_api_key_is_enough_when_the_secret_cannot_be_read(
    deploy: Deploy, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    name = deploy()  # and no parameter in SSM

    code, _, _ = receipts(
        capsys, *on_stack(name), "--api-key", "given-key", "--json", "tx", TRANSACTION_ID
    )

    assert code == 0
    assert [r.headers["x-api-key"] for r in lookup.requests] == ["given-key"]


def test_no_such_stack_exits_3_naming_it(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = receipts(capsys, *on_stack("no-such-stack"), "tx", TRANSACTION_ID)

    assert code == 3
    assert "no-such-stack" in err
    assert lookup.requests == []


def test_no_such_stack_with_json_is_a_json_error(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack("no-such-stack"), "--json", "tx", TRANSACTION_ID)

    assert code == 3
    assert json.loads(out)["error"]["code"] == "no_stack"


def test_a_stack_without_the_outputs_exits_4(
    deploy: Deploy, ssm_key: None, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    name = deploy("something-else", with_outputs=False)

    code, _, err = receipts(capsys, *on_stack(name), "tx", TRANSACTION_ID)

    assert code == 4
    assert "something-else" in err and "LookupBaseUrl" in err
    assert lookup.requests == []


def test_neither_local_nor_stack_exits_2(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = receipts(capsys, "tx", TRANSACTION_ID)

    assert code == 2
    assert "--local" in err and "--stack" in err
    assert lookup.requests == []


def test_both_local_and_stack_exits_2(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = receipts(capsys, "--local", *on_stack(stack), "tx", TRANSACTION_ID)

    assert code == 2
    assert lookup.requests == []


def test_no_ssm_parameter_exits_4_suggesting_api_key(
    deploy: Deploy, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    name = deploy()

    code, _, err = receipts(capsys, *on_stack(name), "tx", TRANSACTION_ID)

    assert code == 4
    assert "--api-key" in err
    assert KEYS_NAME in err
    assert lookup.requests == []


def test_a_refused_key_exits_4(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    error = {"error": {"code": "unauthorized", "message": "the API key is not valid"}}
    lookup.script(ScriptedResponse(status=401, body=json.dumps(error).encode()))

    code, _, err = receipts(capsys, *on_stack(stack), "tx", TRANSACTION_ID)

    assert code == 4
    assert "unauthorized" in err


# ---- quarantine ------------------------------------------------------------------------------


def failure_callback(transid: str | None = None, *, description: str = "x") -> bytes:
    return sms_failure(transid, description=description)


def keep(
    event_store: EventStore, body: bytes, *, minute: int, request_id: str | None = None
) -> QuarantinedBody:
    """Quarantine ``body`` as the webhook of an older release would have."""
    return event_store.quarantine(
        body=body,
        received_at=datetime(2026, 12, 3, 9, minute, tzinfo=UTC),
        request_id=request_id or f"request-{minute}",
        reason="an older release could not read it",
        error_code="invalid_shape",
        field=None,
        headers={"content-type": "application/json"},
    )


def reread(event_store: EventStore, kept: QuarantinedBody) -> QuarantinedBody:
    found = event_store.quarantined(kept.id)
    assert found is not None
    return found


def all_items(dynamodb_client: Any, table: str) -> list[dict[str, Any]]:
    items = []
    for page in dynamodb_client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


@dataclass(frozen=True)
class Kept:
    valid: QuarantinedBody
    unreadable: QuarantinedBody
    transid: str


@pytest.fixture
def kept(event_store: EventStore) -> Kept:
    transid = str(uuid.uuid4())
    return Kept(
        valid=keep(event_store, failure_callback(transid), minute=1),
        unreadable=keep(event_store, b"not json", minute=2),
        transid=transid,
    )


def test_quarantine_list_shows_the_days_bodies_in_order(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "--json", "quarantine", "list", "--day", DAY)

    assert code == 0
    listed = json.loads(out)
    assert listed["day"] == DAY
    assert [item["id"] for item in listed["items"]] == [kept.valid.id, kept.unreadable.id]
    assert {item["state"] for item in listed["items"]} == {"waiting"}
    assert [item["bytes"] for item in listed["items"]] == [
        len(kept.valid.body),
        len(kept.unreadable.body),
    ]


def test_quarantine_list_of_another_day_is_empty(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(
        capsys, *on_stack(stack), "quarantine", "list", "--day", "2026-12-04", "--json"
    )

    assert code == 0
    assert json.loads(out)["items"] == []


def test_quarantine_show_prints_the_body_and_its_headers(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "show", kept.unreadable.id
    )

    assert code == 0
    shown = json.loads(out)
    assert shown["id"] == kept.unreadable.id
    assert shown["body"] == "not json"
    assert shown["headers"] == {"content-type": "application/json"}
    assert shown["error_code"] == "invalid_shape"


def test_quarantine_show_of_a_malformed_id_exits_2(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = receipts(capsys, *on_stack(stack), "quarantine", "show", "not-an-id")

    assert code == 2
    assert "not-an-id" in err


def test_quarantine_show_of_an_unknown_id_exits_3(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "2026-12-03T09:05:00.000Z#no-such-request"

    code, _, err = receipts(capsys, *on_stack(stack), "quarantine", "show", unknown)

    assert code == 3
    assert unknown in err


def test_quarantine_replay_stores_what_now_reads_and_keeps_what_does_not(
    stack: str,
    kept: Kept,
    event_store: EventStore,
    dynamodb_client: Any,
    events_table: str,
    runs_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY
    )

    assert code == 1, err
    summary = json.loads(out)
    assert (summary["selected"], summary["stored"], summary["refused"]) == (2, 1, 1)
    assert "still refused" in err
    # The valid body is stored as a callback arriving now would be: alerted through the pipe.
    (stored,) = event_store.list_events(kept.transid)
    assert stored.event.transid == kept.transid
    assert stored.event.status is DeliveryStatus.FAILED
    (item,) = dynamodb_client.query(
        TableName=events_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.transaction_key(kept.transid)}},
    )["Items"]
    assert item["alert"] == {"BOOL": True}
    # Each body records its replay, with this run's id.
    valid = reread(event_store, kept.valid)
    (replay,) = valid.replays
    assert (replay.outcome, replay.transid, replay.run) == ("stored", kept.transid, summary["run"])
    unreadable = reread(event_store, kept.unreadable)
    (refusal,) = unreadable.replays
    assert (refusal.outcome, refusal.run) == ("refused", summary["run"])
    assert refusal.error_code == "invalid_json"
    assert refusal.reason
    # The refusal is now the body's reason: this release's, not the older one's.
    assert (unreadable.error_code, unreadable.reason) == ("invalid_json", refusal.reason)
    # The run is over: no journal is left to resume.
    assert list(runs_dir.glob("*")) == []


def test_json_output_is_one_document_when_the_command_exits_1(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    # output.py: "--json output stays one JSON document whatever else happens": the
    # summary is the answer, the exit code says it is incomplete, no error document follows.
    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY
    )

    assert code == 1
    assert json.loads(out)["refused"] == 1


def test_a_second_replay_stores_nothing_new_and_skips_the_stored_body(
    stack: str,
    kept: Kept,
    event_store: EventStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, _, _ = receipts(capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY)
    second, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY
    )

    assert (first, second) == (1, 1)
    summary = json.loads(out)
    assert (summary["already_stored"], summary["stored"], summary["duplicate"]) == (1, 0, 0)
    assert summary["refused"] == 1
    assert [entry["id"] for entry in summary["replays"]] == [kept.unreadable.id]
    assert len(event_store.list_events(kept.transid)) == 1
    assert len(reread(event_store, kept.valid).replays) == 1
    # The body still refused is tried again, and that is recorded too.
    assert [r.outcome for r in reread(event_store, kept.unreadable).replays] == [
        "refused",
        "refused",
    ]


def test_quarantine_list_shows_the_replays_state(
    stack: str, kept: Kept, capsys: pytest.CaptureFixture[str]
) -> None:
    receipts(capsys, *on_stack(stack), "quarantine", "replay", "--day", DAY)

    code, out, _ = receipts(capsys, *on_stack(stack), "--json", "quarantine", "list", "--day", DAY)

    assert code == 0
    states = [item["state"] for item in json.loads(out)["items"]]
    assert states[0].startswith("stored by replay ")
    assert states[1] == "refused again (1 replays)"


def test_a_dry_run_changes_nothing(
    stack: str,
    kept: Kept,
    dynamodb_client: Any,
    events_table: str,
    runs_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = all_items(dynamodb_client, events_table)

    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY, "--dry-run"
    )

    assert code == 0
    planned = json.loads(out)
    assert planned["dry_run"] is True
    assert [(v["id"], v["would"]) for v in planned["items"]] == [
        (kept.valid.id, "store it"),
        (kept.unreadable.id, "refuse it again"),
    ]
    assert all_items(dynamodb_client, events_table) == before
    assert not runs_dir.exists() or list(runs_dir.iterdir()) == []


def test_replay_by_id_replays_only_that_body(
    stack: str, kept: Kept, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--id", kept.valid.id
    )

    assert code == 0
    assert json.loads(out)["stored"] == 1
    assert len(reread(event_store, kept.valid).replays) == 1
    assert reread(event_store, kept.unreadable).replays == ()


def test_replay_without_day_or_id_exits_2(
    stack: str, kept: Kept, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = receipts(capsys, *on_stack(stack), "quarantine", "replay")

    assert code == 2
    assert "--day" in err and "--id" in err
    assert reread(event_store, kept.valid).replays == ()


def test_replay_with_both_day_and_id_exits_2(
    stack: str, kept: Kept, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = receipts(
        capsys, *on_stack(stack), "quarantine", "replay", "--day", DAY, "--id", kept.valid.id
    )

    assert code == 2
    assert reread(event_store, kept.valid).replays == ()


def test_an_interrupted_replay_resumes_without_doing_anything_twice(
    stack: str,
    event_store: EventStore,
    runs_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    transids = [str(uuid.uuid4()) for _ in range(3)]
    bodies = [
        keep(event_store, failure_callback(transid), minute=minute)
        for minute, transid in enumerate(transids, 1)
    ]
    replay = Replayer.replay
    calls: list[str] = []

    def interrupted_on_the_second(self: Replayer, kept: QuarantinedBody) -> Any:
        calls.append(kept.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return replay(self, kept)

    monkeypatch.setattr(Replayer, "replay", interrupted_on_the_second)
    code, _, err = receipts(capsys, *on_stack(stack), "quarantine", "replay", "--day", DAY)

    assert code == 130
    assert "interrupted" in err
    (journal,) = runs_dir.glob("replay-*.jsonl")
    run = json.loads(journal.read_text(encoding="utf-8").splitlines()[0])["run"]
    assert run in err
    assert [len(reread(event_store, body).replays) for body in bodies] == [1, 0, 0]

    monkeypatch.setattr(Replayer, "replay", replay)
    code, out, err = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY
    )

    assert code == 0, err
    assert f"resuming run {run}" in err
    summary = json.loads(out)
    assert summary["run"] == run
    # The summary is the whole run's, the part before Ctrl-C included.
    assert sorted(entry["id"] for entry in summary["replays"]) == [body.id for body in bodies]
    assert summary["stored"] == 3
    for body, transid in zip(bodies, transids, strict=True):
        (done,) = reread(event_store, body).replays
        assert (done.outcome, done.run) == ("stored", run)
        assert len(event_store.list_events(transid)) == 1
    assert list(runs_dir.glob("*")) == []


def test_a_body_over_the_stacks_max_callback_bytes_is_refused_as_too_large(
    deploy: Deploy,
    ssm_key: None,
    event_store: EventStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = deploy(MaxCallbackBytes="200")
    transid = str(uuid.uuid4())
    body = failure_callback(transid)
    assert len(body) > 200
    kept = keep(event_store, body, minute=7)

    code, out, _ = receipts(capsys, *on_stack(name), "--json", "quarantine", "replay", "--day", DAY)

    assert code == 1
    (entry,) = json.loads(out)["replays"]
    assert (entry["outcome"], entry["error_code"]) == ("refused", "payload_too_large")
    (refusal,) = reread(event_store, kept).replays
    assert refusal.error_code == "payload_too_large"
    assert "200" in (refusal.reason or "")
    assert event_store.list_events(transid) == []


def test_a_body_under_the_stacks_max_callback_bytes_is_stored(
    deploy: Deploy,
    ssm_key: None,
    event_store: EventStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    transid = str(uuid.uuid4())
    body = failure_callback(transid)
    name = deploy(MaxCallbackBytes=str(len(body)))
    keep(event_store, body, minute=7)

    code, _, _ = receipts(capsys, *on_stack(name), "--json", "quarantine", "replay", "--day", DAY)

    assert code == 0
    assert len(event_store.list_events(transid)) == 1


# ---- dead letters ----------------------------------------------------------------------------

POISON = "not json"


@dataclass(frozen=True)
class DeadLetters:
    record: str
    marker: str
    poison: str
    transid: str


@pytest.fixture
def dead_letters(
    queues: Queues, event_store: EventStore, dynamodb_client: Any, events_table: str
) -> DeadLetters:
    transid = str(uuid.uuid4())
    event = parse_callback(failure_callback(transid))
    image = event_store.event_item(
        event, received_at=datetime(2026, 12, 3, 10, 0, 1, tzinfo=UTC), gtrid=None
    )
    assert image["alert"] == {"BOOL": True}
    record = pipe_message_from_stream_record(
        {
            "eventName": "INSERT",
            "dynamodb": {
                "Keys": {"pk": image["pk"], "sk": image["sk"]},
                "NewImage": image,
                "SequenceNumber": "1",
            },
        }
    )
    marker = json.dumps(
        {"alertsDigest": {"window": "2026-12-03T10:00:00Z", "windowSeconds": 300, "sequence": 0}}
    )
    sqs = boto3.client("sqs", region_name=REGION)
    for body in (record, marker, POISON):
        sqs.send_message(QueueUrl=queues.alerts_dead_letters, MessageBody=body)
    # The alerts function sent the record's alert to SNS before it gave up on the rest.
    dynamodb_client.put_item(
        TableName=events_table,
        Item={
            keys.PARTITION_KEY: {"S": keys.alert_key(transid, DeliveryStatus.FAILED)},
            keys.SORT_KEY: {"S": keys.ALERT_SORT_KEY},
            "sent": {"M": {"sns": {"S": "2026-12-03T10:00:02+00:00"}}},
        },
    )
    return DeadLetters(record=record, marker=marker, poison=POISON, transid=transid)


def drain(url: str) -> list[str]:
    """Every body in the queue, received (and so hidden) for the rest of the test."""
    sqs = boto3.client("sqs", region_name=REGION)
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(message["Body"] for message in messages)


def test_dlq_list_names_each_message_and_moves_nothing(
    stack: str,
    queues: Queues,
    dead_letters: DeadLetters,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "--json", "dlq", "list")

    assert code == 0
    views = {view["kind"]: view for view in json.loads(out)["messages"]}
    assert set(views) == {"stream record", "digest marker", "unreadable"}
    record = views["stream record"]
    assert (record["queue"], record["transactionid"], record["status"]) == (
        "alerts",
        dead_letters.transid,
        "failed",
    )
    assert record["alert_targets"] == "sent to sns"
    assert record["movable"] is True
    assert views["digest marker"]["status"] == "digest of 2026-12-03T10:00:00Z"
    assert (views["unreadable"]["movable"], views["unreadable"]["body"]) == (False, POISON)
    # Handed back at once: all three are still there to receive, and nothing was sent on.
    assert sorted(drain(queues.alerts_dead_letters)) == sorted(
        [dead_letters.record, dead_letters.marker, POISON]
    )
    assert drain(queues.alerts) == []


def test_dlq_list_for_a_person_says_which_targets_have_the_alert(
    stack: str, dead_letters: DeadLetters, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "dlq", "list", "--queue", "alerts")

    assert code == 0
    assert dead_letters.transid in out
    assert "sent to sns" in out


def test_dlq_redrive_moves_records_and_markers_and_leaves_the_poison(
    stack: str,
    queues: Queues,
    dead_letters: DeadLetters,
    runs_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = receipts(capsys, *on_stack(stack), "dlq", "redrive", "--yes")

    assert code == 1, err
    assert "moved 2 message(s)" in out
    assert sorted(drain(queues.alerts)) == sorted([dead_letters.record, dead_letters.marker])
    assert drain(queues.alerts_dead_letters) == [POISON]
    assert list(runs_dir.glob("*")) == []


def test_dlq_redrive_with_json_summarises_what_moved(
    stack: str, queues: Queues, dead_letters: DeadLetters, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "dlq", "redrive", "--yes", "--json")

    assert code == 1
    summary = json.loads(out)
    assert (summary["moved"], summary["left"]) == (2, 1)


def test_dlq_redrive_with_json_but_without_yes_exits_2_and_moves_nothing(
    stack: str, queues: Queues, dead_letters: DeadLetters, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = receipts(capsys, *on_stack(stack), "dlq", "redrive", "--json")

    assert code == 2
    assert json.loads(out)["error"]["code"] == "bad_input"
    assert drain(queues.alerts) == []
    assert len(drain(queues.alerts_dead_letters)) == 3


# ---- reconcile -------------------------------------------------------------------------------


def test_reconcile_now_on_a_deployed_stack_exits_2(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = receipts(capsys, *on_stack(stack), "reconcile", "--now")

    assert code == 2
    assert "local stack only" in err
    assert lookup.requests == []


def test_reconcile_file_with_a_malformed_id_exits_2_and_posts_nothing(
    stack: str, lookup: WebhookReceiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{TRANSACTION_ID}\nnot an id!\n", encoding="utf-8")

    code, _, err = receipts(capsys, *on_stack(stack), "reconcile", "--file", str(ids))

    assert code == 2
    assert "line 2" in err
    assert [r for r in lookup.requests if r.method == "POST"] == []


def test_reconcile_file_posts_the_ids_in_batches(
    stack: str,
    lookup: WebhookReceiver,
    tmp_path: Path,
    runs_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    ids = tmp_path / "ids.txt"
    ids.write_text(
        f"# sent before the stack existed\n{first}\n\n{second}  # retried\n{third}\n{first}\n",
        encoding="utf-8",
    )
    for new in (2, 1):
        answer = {"new": new, "known": 0, "refused": 0, "refusals": [], "watching_until": None}
        lookup.script(ScriptedResponse(body=json.dumps(answer).encode()), path="/v1/reconcile")

    code, out, err = receipts(
        capsys,
        *on_stack(stack),
        "--json",
        "reconcile",
        "--file",
        str(ids),
        "--batch-size",
        "2",
    )

    assert code == 0, err
    posts = lookup.requests_to("/v1/reconcile")
    assert [request.method for request in posts] == ["POST", "POST"]
    assert [request.json() for request in posts] == [
        {"transactionids": [first, second]},
        {"transactionids": [third]},
    ]
    assert {request.headers["x-api-key"] for request in posts} == {"key-from-ssm"}
    summary = json.loads(out)
    assert (summary["ids"], summary["batches"], summary["new"], summary["refused"]) == (3, 2, 3, 0)
    assert list(runs_dir.glob("*")) == []


def test_a_replay_of_a_body_stored_since_as_a_callback_is_a_duplicate(
    stack: str, kept: Kept, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    # The platform sent the same callback again, and this time the webhook stored it.
    event_store.put_event(
        parse_callback(kept.valid.body), received_at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    )

    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--id", kept.valid.id
    )

    assert code == 0
    summary = json.loads(out)
    assert (summary["stored"], summary["duplicate"]) == (0, 1)
    assert len(event_store.list_events(kept.transid)) == 1
    (replay,) = reread(event_store, kept.valid).replays
    assert (replay.outcome, replay.transid) == ("duplicate", kept.transid)


def test_tx_of_a_malformed_id_exits_2_and_asks_nothing(
    stack: str, lookup: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = receipts(capsys, *on_stack(stack), "tx", "not/an id")

    assert code == 2
    assert lookup.requests == []


def test_dlq_redrive_keeps_a_messages_attributes(
    stack: str, queues: Queues, dead_letters: DeadLetters, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    drain(queues.alerts_dead_letters)  # out of the way: only the message below is visible
    sqs.send_message(
        QueueUrl=queues.pipe_dead_letters,
        MessageBody=dead_letters.marker,
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "pipe"}},
    )

    code, _, err = receipts(capsys, *on_stack(stack), "dlq", "redrive", "--queue", "pipe", "--yes")

    assert code == 0, err
    (moved,) = sqs.receive_message(QueueUrl=queues.alerts, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert moved["Body"] == dead_letters.marker
    assert moved["MessageAttributes"]["origin"]["StringValue"] == "pipe"
    assert drain(queues.pipe_dead_letters) == []


def test_dlq_redrive_of_a_stream_batch_sends_its_alert_records_again(
    stack: str,
    queues: Queues,
    event_store: EventStore,
    dynamodb_client: Any,
    events_table: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from receipts.storage.alert_records import stored_event_from_pipe_message

    # botocore sends stream calls to an account-based host that moto does not serve yet
    # (as in tests/integration/ingest/test_ingest_alert_handoff.py): the CLI's client too.
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "https://streams.dynamodb.us-east-1.amazonaws.com"
    )
    failed = str(uuid.uuid4())
    received = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    event_store.put_event(parse_callback(failure_callback(failed)), received_at=received)
    # Stored without an alert: in the batch's range, but not the pipe's to send.
    quiet = str(uuid.uuid4())
    event_store.put_event(
        parse_callback(failure_callback(quiet)), received_at=received, alert=False
    )
    arn = dynamodb_client.describe_table(TableName=events_table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    sequences = [
        record["dynamodb"]["SequenceNumber"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]
    ]
    assert len(sequences) == 2
    batch = {
        "requestContext": {"condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"],
            "startSequenceNumber": sequences[0],
            "endSequenceNumber": sequences[-1],
            "streamArn": arn,
        },
    }
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=queues.pipe_dead_letters, MessageBody=json.dumps(batch)
    )

    code, _, err = receipts(capsys, *on_stack(stack), "dlq", "redrive", "--queue", "pipe", "--yes")

    assert code == 0, err
    (sent,) = drain(queues.alerts)
    assert stored_event_from_pipe_message(sent).event.transid == failed
    assert drain(queues.pipe_dead_letters) == []


# ---- what a fresh pair of eyes found ---------------------------------------------------------


def test_a_refusal_before_an_interruption_still_fails_the_resumed_run(
    stack: str,
    event_store: EventStore,
    runs_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unreadable = keep(event_store, b'{"not": "a notification"}', minute=1)
    fixed = keep(event_store, failure_callback(), minute=2)
    replay = Replayer.replay

    def interrupted_on_the_second(self: Replayer, kept: QuarantinedBody) -> Any:
        if kept.id == fixed.id:
            raise KeyboardInterrupt
        return replay(self, kept)

    monkeypatch.setattr(Replayer, "replay", interrupted_on_the_second)
    code, _, _ = receipts(capsys, *on_stack(stack), "quarantine", "replay", "--day", DAY)
    assert code == 130
    monkeypatch.setattr(Replayer, "replay", replay)

    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--day", DAY
    )

    assert code == 1
    summary = json.loads(out)
    assert (summary["stored"], summary["refused"]) == (1, 1)
    assert {entry["id"]: entry["outcome"] for entry in summary["replays"]} == {
        unreadable.id: "refused",
        fixed.id: "stored",
    }


def test_a_refusal_replaces_the_reason_and_field_and_keeps_the_first(
    stack: str, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = keep(event_store, b'{"deliveryInfoNotification": {}}', minute=1)

    code, _, _ = receipts(capsys, *on_stack(stack), "quarantine", "replay", "--id", kept.id)

    assert code == 1
    now = reread(event_store, kept)
    assert (
        now.error_code == "missing_field" and now.field == "deliveryInfoNotification.deliveryInfo"
    )
    assert (now.first_error_code, now.first_reason) == (kept.error_code, kept.reason)
    code, out, _ = receipts(capsys, *on_stack(stack), "quarantine", "show", kept.id)
    assert code == 0 and "at first" in out and kept.reason in out


def test_a_body_kept_only_in_part_is_refused_as_truncated_and_keeps_its_reason(
    stack: str, event_store: EventStore, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest.service import QUARANTINE_BODY_MAX_BYTES

    head = failure_callback()[:-2] + b" " * QUARANTINE_BODY_MAX_BYTES
    kept = event_store.quarantine(
        body=head[:QUARANTINE_BODY_MAX_BYTES],
        received_at=datetime(2026, 12, 3, 9, 1, tzinfo=UTC),
        request_id="request-large",
        reason="the body is 900000 bytes (the first 300000 of 900000 bytes are kept)",
        error_code="payload_too_large",
        field=None,
        headers={},
    )

    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "quarantine", "replay", "--id", kept.id
    )

    assert code == 1
    (entry,) = json.loads(out)["replays"]
    assert (entry["outcome"], entry["error_code"]) == ("refused", "truncated")
    now = reread(event_store, kept)
    assert (now.error_code, now.reason) == (kept.error_code, kept.reason)
    assert now.first_reason is None


def test_a_registration_resumed_with_another_batch_size_skips_nothing(
    stack: str,
    lookup: WebhookReceiver,
    tmp_path: Path,
    runs_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(4)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids), encoding="utf-8")
    answer = {"new": 1, "known": 0, "refused": 0, "refusals": [], "watching_until": None}
    for _ in range(6):
        lookup.script(ScriptedResponse(body=json.dumps(answer).encode()), path="/v1/reconcile")
    import receipts_cli.runs as runs

    marks = {"count": 0}
    original = runs.Journal.mark

    def stop_after_the_first(self: Any, key: str, result: Any = None) -> None:
        original(self, key, result)
        marks["count"] += 1
        if marks["count"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(runs.Journal, "mark", stop_after_the_first)
    arguments = ["reconcile", "--file", str(source), "--batch-size"]
    code, _, _ = receipts(capsys, *on_stack(stack), *arguments, "1")
    assert code == 130
    monkeypatch.setattr(runs.Journal, "mark", original)

    code, _, err = receipts(capsys, *on_stack(stack), *arguments, "4")

    assert code == 0, err
    posts = [request.json()["transactionids"] for request in lookup.requests_to("/v1/reconcile")]
    assert posts == [ids[:1], ids]


def test_a_redrive_that_leaves_only_poison_exits_1(
    stack: str, queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=queues.alerts_dead_letters, MessageBody="not json")

    code, out, _ = receipts(
        capsys, *on_stack(stack), "--json", "dlq", "redrive", "--queue", "alerts", "--yes"
    )

    assert code == 1
    summary = json.loads(out)
    assert (summary["moved"], summary["left"]) == (0, 1)
    assert summary["messages"][0]["kind"] == "unreadable"


def test_an_unexpected_fault_is_one_line_and_one_json_document(
    stack: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise KeyError("items")

    monkeypatch.setattr("receipts_cli.api.LookupApi.get", broken)

    code, out, err = receipts(capsys, *on_stack(stack), "--json", "search", "--campaign", "c")

    assert code == 1
    assert json.loads(out)["error"]["code"] == "internal_error"
    assert "Traceback" not in err and "KeyError" in err


def test_local_on_the_command_line_wins_over_receipts_stack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECEIPTS_STACK", "receipts-prod")

    code, _, err = receipts(
        capsys, "--local", "--state-file", str(tmp_path / "none.json"), "tx", "abc"
    )

    assert code == 4 and "no local stack" in err
