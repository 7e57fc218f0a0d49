"""``receipts reconcile``: register transaction ids for the sweep, or run a pass now."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, TextIO

import click
from rich.console import Console

from receipts.transaction_ids import (
    INVALID_TRANSACTION_ID_MESSAGE,
    RECONCILE_BATCH_LIMIT,
    is_transaction_id,
)
from receipts_cli.errors import CliError, ExitCode, bad_input, incomplete
from receipts_cli.runs import open_journal, work_through
from receipts_cli.session import Session, pass_session

# A refusal for lack of time in the request is sent again, a few times at most.
RESEND_ROUNDS = 3


@click.command()
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    help="Transaction ids, one per line ('-' reads standard input; # starts a comment).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, RECONCILE_BATCH_LIMIT),
    default=RECONCILE_BATCH_LIMIT,
    show_default=True,
    help="Ids per request to POST /v1/reconcile.",
)
@click.option("--now", "run_now", is_flag=True, help="Run a reconcile pass now (local stack).")
@click.option(
    "--at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="With --now: run the pass as of this instant (to rehearse the horizon).",
)
@pass_session
def reconcile(
    session: Session,
    source: TextIO | None,
    batch_size: int,
    run_now: bool,
    at: datetime | None,
) -> None:
    """Register transaction ids for the reconcile sweep (--file), or run a pass (--now).

    Ids that left no event at all (every callback dropped, or sent before the stack existed)
    are asked about by the sweep once registered. The file is checked whole before anything
    is sent; an interrupted run resumes where it stopped.
    """
    if (source is None) == (not run_now):
        raise bad_input("say what to do: --file IDS (register ids) or --now (run a pass)")
    if at is not None and not run_now:
        raise bad_input("--at goes with --now")
    if source is not None:
        _register(session, _read_ids(source), batch_size)
    elif not session.use_local:
        raise bad_input(
            "--now runs a pass on the local stack only; a deployed stack runs one every "
            "ReconcileIntervalMinutes"
        )
    else:
        _run_pass(session, at)


def _read_ids(source: TextIO) -> list[str]:
    ids: list[str] = []
    for number, line in enumerate(source, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not is_transaction_id(text):
            raise bad_input(f"line {number}: {text[:80]!r}: {INVALID_TRANSACTION_ID_MESSAGE}")
        ids.append(text)
    if not ids:
        raise bad_input("the file holds no transaction id")
    return list(dict.fromkeys(ids))


def _register(session: Session, ids: list[str], batch_size: int) -> None:
    target = session.target
    batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    journal = open_journal(
        "reconcile", {"target": target.identity, "ids": ids, "batch_size": batch_size}
    )

    def post(index: int) -> dict[str, Any]:
        pending, new, known = batches[index], 0, 0
        refusals: list[dict[str, str]] = []
        for round_ in range(RESEND_ROUNDS):
            if round_:
                time.sleep(round_)  # the lookup ran out of time: give it a moment
            answer = session.api.post("/v1/reconcile", {"transactionids": pending})
            new, known = new + answer["new"], known + answer["known"]
            # Malformed ids were refused above, so a refusal here is one the request had no
            # time for: sent again.
            refusals = answer["refusals"]
            pending = [refusal["transactionid"] for refusal in refusals]
            if not pending:
                break
        return {"new": new, "known": known, "refusals": refusals}

    results = work_through(
        session.output,
        journal,
        list(range(len(batches))),
        key=str,
        work=post,
        label=f"registering {len(ids)} ids",
    )
    refusals = [refusal for result in results.values() for refusal in result["refusals"]]
    summary: dict[str, Any] = {
        "ids": len(ids),
        "batches": len(batches),
        "new": sum(result["new"] for result in results.values()),
        "known": sum(result["known"] for result in results.values()),
        "refused": len(refusals),
        "refusals": refusals,
    }
    session.output.result(summary, lambda console: _render_registered(console, summary))
    if refusals:
        raise incomplete(
            f"{len(refusals)} id(s) not registered; run the command again", "incomplete"
        )


def _render_registered(console: Console, summary: dict[str, Any]) -> None:
    console.print(
        f"{summary['ids']} ids in {summary['batches']} request(s): {summary['new']} new, "
        f"{summary['known']} known, {summary['refused']} not registered"
    )


def _run_pass(session: Session, at: datetime | None) -> None:
    import urllib.error

    from local_stack.client import StackClient

    state = session.target.local_state
    if state is None:
        raise bad_input("--now runs a pass on the local stack only")
    client = StackClient(state)
    session.output.note("running a reconcile pass: every part of discovery, then the asks")
    try:
        summary = client.reconcile_now(at.isoformat() if at is not None else None)
    except (RuntimeError, urllib.error.URLError, OSError) as error:
        raise CliError(str(error), ExitCode.UNAVAILABLE, code="unavailable") from None
    session.output.result(summary, lambda console: _render_pass(console, summary))


def _render_pass(console: Console, summary: dict[str, Any]) -> None:
    discovery = summary.get("discovery") or {}
    console.print(
        f"discovery: {discovery.get('checked', 0)} checked, {discovery.get('watched', 0)} "
        "newly watched"
    )
    console.print(
        f"asks: {summary['checked']} checked, {summary['reconciled']} reconciled "
        f"({summary['failures_found']} failures), {summary['still_open']} still open, "
        f"{summary['closed_at_horizon']} closed at the horizon; {summary['vendor_calls']} "
        f"status API calls, {summary['vendor_failures']} failed"
    )
