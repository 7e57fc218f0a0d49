"""``receipts dlq list|redrive``: the alerts' dead-letter queues, read and moved back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console

from receipts_cli.aws_errors import aws_errors
from receipts_cli.dead_letters import (
    BATCH,
    DeadLetter,
    StreamRecordsGoneError,
    alert_targets,
    batch_alert_messages,
    classify,
)
from receipts_cli.errors import CliError, ExitCode, bad_input, incomplete
from receipts_cli.output import table
from receipts_cli.runs import Journal, open_journal, work_through
from receipts_cli.session import Session, pass_session
from receipts_cli.targets import Target

QUEUES = {"alerts": "the alerts dead-letter queue", "pipe": "the pipe's dead-letter queue"}
# Long enough to list or move every message received; unmoved ones are handed back at once.
HOLD_SECONDS = 900

queue_option = click.option(
    "--queue",
    type=click.Choice(["alerts", "pipe", "both"]),
    default="both",
    show_default=True,
    help="Which dead-letter queue.",
)
limit_option = click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="The most messages to read from each queue.",
)


@click.group()
def dlq() -> None:
    """The alerts' dead-letter queues: see what is there, and move it back."""


@dataclass(frozen=True)
class _Held:
    queue: str
    url: str
    letters: list[DeadLetter]


def _queue_urls(session: Session, queue: str) -> list[tuple[str, str]]:
    target = session.target
    urls = {
        "alerts": target.alerts_dead_letter_queue_url,
        "pipe": target.pipe_dead_letter_queue_url,
    }
    return [(name, urls[name]) for name in QUEUES if queue in {name, "both"}]


@contextmanager
def _held(session: Session, queue: str, limit: int) -> Iterator[list[_Held]]:
    """Receive up to ``limit`` messages of each queue, and hand back whatever is left after."""
    sqs = session.target.aws_client("sqs")
    held: list[_Held] = []
    try:
        for name, url in _queue_urls(session, queue):
            with aws_errors(f"reading {QUEUES[name]}"):
                held.append(_Held(name, url, _receive(sqs, url, limit)))
        yield held
    finally:
        for part in held:
            _hand_back(sqs, part.url, part.letters)


def _receive(sqs: Any, url: str, limit: int) -> list[DeadLetter]:
    letters: dict[str, DeadLetter] = {}
    while len(letters) < limit:
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(letters)),
            VisibilityTimeout=HOLD_SECONDS,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        for message in messages:
            letters.setdefault(message["MessageId"], classify(message))
    return list(letters.values())


def _hand_back(sqs: Any, url: str, letters: list[DeadLetter]) -> None:
    """Make messages still held visible again now (a deleted one is simply not found)."""
    for start in range(0, len(letters), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
            for index, letter in enumerate(letters[start : start + 10])
        ]
        # Best effort: a message not handed back now comes back after the hold anyway.
        with suppress(Exception):
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _views(session: Session, held: list[_Held]) -> list[dict[str, Any]]:
    target = session.target
    dynamodb = target.aws_client("dynamodb")
    views = []
    for part in held:
        for letter in part.letters:
            with aws_errors("reading the alert ledger"):
                targets = alert_targets(dynamodb, target.table_name, letter)
            views.append(
                {
                    "queue": part.queue,
                    "message_id": letter.message_id,
                    "kind": letter.kind,
                    "transactionid": letter.transid,
                    "status": letter.status,
                    "alert_targets": targets,
                    "batch": _batch_label(letter),
                    "receives": letter.receives,
                    "movable": letter.movable,
                    "body": letter.body if not letter.movable else None,
                }
            )
    return views


def _batch_label(letter: DeadLetter) -> str | None:
    if letter.kind != BATCH or letter.batch is None:
        return None
    batch = letter.batch
    return (
        f"shard {batch['shardId']} from {batch['startSequenceNumber']} to "
        f"{batch.get('endSequenceNumber', batch['startSequenceNumber'])}"
    )


def _render(console: Console, views: list[dict[str, Any]], title: str | None) -> None:
    console.print(
        table(
            title,
            ["queue", "message", "kind", "transaction", "status", "alert targets", "receives"],
            (
                [
                    view["queue"],
                    view["message_id"],
                    view["kind"] if view["movable"] else f"{view['kind']}: {view['body'][:60]}",
                    view["transactionid"] or view["batch"],
                    view["status"],
                    view["alert_targets"],
                    view["receives"],
                ]
                for view in views
            ),
        )
    )


@dlq.command("list")
@queue_option
@limit_option
@pass_session
def list_letters(session: Session, queue: str, limit: int) -> None:
    """Show what is in the dead-letter queues: transaction, status, which alert targets
    already have it. Nothing is moved; the messages are handed back at once."""
    with _held(session, queue, limit) as held:
        views = _views(session, held)
    listed = {"messages": views}
    session.output.result(listed, lambda console: _render(console, views, None))
    for part in held:
        if len(part.letters) >= limit:
            session.output.note(f"{QUEUES[part.queue]} may hold more: raise --limit")


@dlq.command()
@queue_option
@limit_option
@click.option("--yes", is_flag=True, help="Move them without asking.")
@pass_session
def redrive(session: Session, queue: str, limit: int, yes: bool) -> None:
    """Move dead-lettered alerts back to the alerts queue, after showing what each is.

    Fix the cause first (a webhook URL or secret, a permission). Unreadable messages are
    left where they are. Exits 1 when anything is left.
    """
    if session.output.as_json and not yes:
        raise bad_input("--json cannot ask: add --yes to move the messages")
    target = session.target
    sqs = target.aws_client("sqs")
    results: dict[str, Any] = {}
    with _held(session, queue, limit) as held:
        views = _views(session, held)
        movable = [(part, letter) for part in held for letter in part.letters if letter.movable]
        if not session.output.as_json:
            _render(session.output.console, views, "To move back to the alerts queue")
        if (
            movable
            and not yes
            and not click.confirm(f"Move {len(movable)} message(s) to the alerts queue?", err=True)
        ):
            raise CliError("nothing moved", ExitCode.INCOMPLETE, code="declined")
        if movable:
            journal = open_journal("redrive", {"target": target.identity, "queue": queue})
            # Messages a resumed run moved before it stopped are gone from the queue.
            results = {
                key: value for key, value in journal.done.items() if not key.startswith("sent:")
            }

            def move(entry: tuple[_Held, DeadLetter]) -> str:
                part, letter = entry
                with aws_errors(f"moving {letter.message_id}"):
                    return _move(target, sqs, journal, part.url, letter)

            results |= work_through(
                session.output,
                journal,
                movable,
                key=lambda entry: entry[1].message_id,
                work=move,
                label=f"moving {len(movable)} message(s)",
            )
    moved = sum(1 for outcome in results.values() if outcome == MOVED)
    gone = sorted(key for key, outcome in results.items() if outcome == GONE)
    left = len(views) - sum(1 for view in views if results.get(view["message_id"]) == MOVED)
    summary = {"moved": moved, "left": left, "stream_records_gone": gone, "messages": views}
    session.output.result(summary, lambda console: _render_moved(console, summary))
    if left:
        raise incomplete(f"{left} message(s) left in the dead-letter queue(s)", "incomplete")


MOVED, GONE, LOST = "moved", "stream records gone", "hold lost"


def _move(target: Target, sqs: Any, journal: Journal, url: str, letter: DeadLetter) -> str:
    """Send one dead letter to the alerts queue, then delete it; what came of it."""
    from botocore.exceptions import ClientError

    try:
        # Held again for the move: the first hold may have run out while the list was read
        # or the operator thought, and then another reader may have it.
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=letter.receipt_handle, VisibilityTimeout=HOLD_SECONDS
        )
    except ClientError:
        return LOST
    try:
        bodies = (
            batch_alert_messages(target.aws_client("dynamodbstreams"), letter.batch)
            if letter.kind == BATCH and letter.batch is not None
            else [letter.body]
        )
    except StreamRecordsGoneError:
        return GONE
    # Sent once: a run stopped between the send and the delete only deletes.
    sent = f"sent:{letter.message_id}"
    if sent not in journal.done:
        attributes = {"MessageAttributes": letter.attributes} if letter.attributes else {}
        for body in bodies:
            sqs.send_message(QueueUrl=target.alerts_queue_url, MessageBody=body, **attributes)
        journal.mark(sent)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=letter.receipt_handle)
    return MOVED


def _render_moved(console: Console, summary: dict[str, Any]) -> None:
    gone = summary["stream_records_gone"]
    console.print(
        f"moved {summary['moved']} message(s) to the alerts queue; {summary['left']} left"
        + (
            f" ({len(gone)} stream batch(es) older than the stream's 24 hours: see "
            "docs/operations.md)"
            if gone
            else ""
        )
    )
