"""``receipts quarantine list|show|replay``: the bodies the webhook refused (400, 413)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.console import Console

from receipts.storage import EventStore
from receipts.storage.event_store import QuarantinedBody, QuarantineReplay
from receipts_cli.aws_errors import aws_errors
from receipts_cli.errors import CliError, ExitCode, bad_input, incomplete
from receipts_cli.output import table
from receipts_cli.replay import DUPLICATE, FAILED, REFUSED, STORED, Replayer, settled
from receipts_cli.runs import open_journal, work_through
from receipts_cli.session import Session, pass_session

_REASON_CHARS = 70

day_option = click.option(
    "--day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The UTC day the bodies arrived (default: today).",
)


def _events(session: Session) -> EventStore:
    target = session.target
    return EventStore(
        target.aws_client("dynamodb"),
        target.table_name,
        retention=timedelta(days=target.retention_days),
    )


def _day(day: datetime | None) -> str:
    return (day or datetime.now(UTC)).date().isoformat()


def _state(kept: QuarantinedBody) -> str:
    if not kept.replays:
        return "waiting"
    last = kept.replays[-1]
    if settled(kept):
        return f"{last.outcome} by replay {last.at.isoformat(timespec='seconds')}"
    return f"refused again ({len(kept.replays)} replays)"


def _summary(kept: QuarantinedBody) -> dict[str, Any]:
    return {
        "id": kept.id,
        "received_at": kept.received_at.isoformat(),
        "error_code": kept.error_code,
        "field": kept.field,
        "reason": kept.reason,
        "first_error_code": kept.first_error_code or kept.error_code,
        "first_reason": kept.first_reason or kept.reason,
        "bytes": len(kept.body),
        "state": _state(kept),
        "replays": [_replay_view(replay) for replay in kept.replays],
    }


def _replay_view(replay: QuarantineReplay) -> dict[str, Any]:
    view = {name: value for name, value in replay._asdict().items() if value is not None}
    return {**view, "at": replay.at.isoformat()}


@click.group()
def quarantine() -> None:
    """Bodies the webhook refused (not a notification, too large), kept raw for replay."""


@quarantine.command("list")
@day_option
@pass_session
def list_bodies(session: Session, day: datetime | None) -> None:
    """List one day's quarantined bodies, in order of arrival, with their replays' state."""
    with aws_errors("reading the quarantine"):
        kept = _events(session).list_quarantine(_day(day))
    listed = {"day": _day(day), "items": [_summary(body) for body in kept]}
    session.output.result(listed, lambda console: _render_list(console, listed))


def _render_list(console: Console, listed: dict[str, Any]) -> None:
    console.print(
        table(
            None,
            ["id", "code", "field", "reason", "state"],
            (
                [
                    item["id"],
                    item["error_code"],
                    item["field"],
                    _shortened(item["reason"]),
                    item["state"],
                ]
                for item in listed["items"]
            ),
        )
    )
    console.print(f"{len(listed['items'])} quarantined on {listed['day']}")


def _shortened(text: str) -> str:
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def _get(events: EventStore, quarantine_id: str) -> QuarantinedBody:
    try:
        with aws_errors("reading the quarantine"):
            kept = events.quarantined(quarantine_id)
    except ValueError as error:
        raise bad_input(str(error)) from None
    if kept is None:
        raise CliError(
            f"no quarantined body {quarantine_id} (bodies expire after RetentionDays)",
            ExitCode.NOT_FOUND,
            code="not_found",
        )
    return kept


@quarantine.command()
@click.argument("quarantine_id", metavar="ID")
@pass_session
def show(session: Session, quarantine_id: str) -> None:
    """Show one quarantined body: why it was refused, its headers, the body, its replays.

    ID is as `receipts quarantine list` prints it (arrival instant#request id).
    """
    kept = _get(_events(session), quarantine_id)
    shown = {
        **_summary(kept),
        "headers": kept.headers,
        "body": kept.body.decode("utf-8", "replace"),
        "body_base64": base64.b64encode(kept.body).decode(),
    }
    session.output.result(shown, lambda console: _render_body(console, shown))


def _render_body(console: Console, shown: dict[str, Any]) -> None:
    console.print(f"Quarantined body {shown['id']}", style="bold")
    console.print(f"  received  {shown['received_at']}")
    console.print(f"  refused   {shown['error_code']}: {shown['reason']}")
    if shown["first_reason"] != shown["reason"]:
        console.print(f"  at first  {shown['first_error_code']}: {shown['first_reason']}")
    if shown["field"]:
        console.print(f"  field     {shown['field']}")
    console.print(f"  state     {shown['state']}")
    console.print(table("Headers", ["name", "value"], sorted(shown["headers"].items())))
    console.print(f"Body ({shown['bytes']} bytes):", style="bold")
    console.print(shown["body"], markup=False, highlight=False, soft_wrap=True)
    if shown["replays"]:
        console.print(_replays_table(shown["replays"]))


def _replays_table(replays: list[dict[str, Any]]) -> Any:
    return table(
        "Replays",
        ["at", "run", "outcome", "transaction", "reason"],
        ([r["at"], r["run"], r["outcome"], r.get("transid"), r.get("reason")] for r in replays),
    )


@quarantine.command()
@day_option
@click.option(
    "--id",
    "ids",
    multiple=True,
    metavar="ID",
    help="One body (repeat for several) instead of a day.",
)
@click.option("--dry-run", is_flag=True, help="Say what a replay would do; change nothing.")
@pass_session
def replay(session: Session, day: datetime | None, ids: tuple[str, ...], dry_run: bool) -> None:
    """Replay quarantined bodies through this release's ingest logic.

    A body it now reads is stored (and alerted) exactly as if the platform had sent it
    again; one it still refuses stays quarantined with the new reason. Every replay is
    recorded on the body. Bodies a replay already stored are skipped; an interrupted run
    resumes where it stopped. Exits 1 when a body stays refused.
    """
    if (day is None) == (not ids):
        raise bad_input("say which bodies: --day D (one day's) or --id ID (repeatable)")
    events = _events(session)
    target = session.target
    if ids:
        selected = [_get(events, quarantine_id) for quarantine_id in dict.fromkeys(ids)]
    else:
        with aws_errors("reading the quarantine"):
            selected = events.list_quarantine(_day(day))
    selection = {"day": _day(day)} if day is not None else {"ids": sorted(set(ids))}
    if dry_run:
        _dry_run(session, events, selected)
        return
    journal = open_journal("replay", {"target": target.identity, **selection})
    # A resumed run skips what it replayed before it stopped: in its journal, or (when it
    # stopped between the replay and the journal line) in the body's own record.
    for kept in selected:
        mine = [replay for replay in kept.replays if replay.run == journal.run]
        if mine and kept.id not in journal.done:
            journal.done[kept.id] = _replay_view(mine[-1])
    waiting = [kept for kept in selected if not settled(kept) or kept.id in journal.done]
    replayer = Replayer(events, max_body_bytes=target.max_callback_bytes, run=journal.run)

    def replay_one(kept: QuarantinedBody) -> dict[str, Any]:
        try:
            with aws_errors(f"replaying {kept.id}"):
                return _replay_view(replayer.replay(kept))
        except CliError as error:
            if error.exit_code in {ExitCode.UNAVAILABLE, ExitCode.NOT_AUTHORISED}:
                raise  # the whole run stops: the next piece would fail the same way
            # This body only (it expired meanwhile, its record is full): left as it was,
            # tried again by the next run.
            return {"outcome": FAILED, "reason": error.message}

    results = work_through(
        session.output,
        journal,
        waiting,
        key=lambda kept: kept.id,
        work=replay_one,
        label=f"replaying {len(waiting)} bodies",
    )
    _report(session, journal.run, len(selected), len(selected) - len(waiting), results)


def _report(
    session: Session,
    run: str,
    selected: int,
    skipped: int,
    results: dict[str, dict[str, Any]],
) -> None:
    counts = {STORED: 0, DUPLICATE: 0, REFUSED: 0, FAILED: 0}
    for result in results.values():
        counts[result["outcome"]] += 1
    summary = {
        "run": run,
        "selected": selected,
        "already_stored": skipped,
        **counts,
        "replays": [{"id": key, **value} for key, value in results.items()],
    }
    session.output.result(summary, lambda console: _render_report(console, summary))
    left = counts[REFUSED] + counts[FAILED]
    if left:
        raise incomplete(
            f"{left} body(ies) not stored ({counts[REFUSED]} still refused, {counts[FAILED]} "
            "failed): they stay in the quarantine",
            "still_refused",
        )


def _render_report(console: Console, summary: dict[str, Any]) -> None:
    refused = [entry for entry in summary["replays"] if entry["outcome"] in {REFUSED, FAILED}]
    if refused:
        console.print(
            table(
                "Not stored",
                ["id", "code", "reason"],
                ([e["id"], e.get("error_code"), e.get("reason")] for e in refused),
            )
        )
    console.print(
        f"run {summary['run']}: {summary['selected']} selected, {summary['already_stored']} "
        f"stored before, {summary['stored']} stored now, {summary['duplicate']} already stored "
        f"as callbacks, {summary['refused']} still refused, {summary['failed']} failed"
    )


def _dry_run(session: Session, events: EventStore, selected: list[QuarantinedBody]) -> None:
    target = session.target
    replayer = Replayer(
        events, max_body_bytes=target.max_callback_bytes, run="dry-run", dry_run=True
    )
    verdicts = []
    for kept in selected:
        if settled(kept):
            verdicts.append({"id": kept.id, "would": "skip (stored by an earlier replay)"})
            continue
        with aws_errors(f"reading {kept.id}"):
            outcome = replayer.replay(kept)
        would = {
            "stored": "store it",
            "duplicate": "find it stored already",
            "refused": "refuse it again",
        }[outcome.outcome]
        verdicts.append({"id": kept.id, "would": would, **_replay_view(outcome)})
    planned = {"dry_run": True, "items": verdicts}
    session.output.result(
        planned,
        lambda console: console.print(
            table(
                "Dry run: nothing was changed",
                ["id", "would", "transaction", "reason"],
                ([v["id"], v["would"], v.get("transid"), v.get("reason")] for v in verdicts),
            )
        ),
    )
