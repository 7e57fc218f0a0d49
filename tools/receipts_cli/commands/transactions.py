"""``receipts tx`` and ``receipts search``: one transaction's timeline, and what a
destination or a campaign was sent."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE, is_transaction_id
from receipts_cli.api import path_segment
from receipts_cli.errors import bad_input
from receipts_cli.output import table
from receipts_cli.session import Session, limit_option, pass_session


@click.command("tx")
@click.argument("transaction_id")
@pass_session
def transaction(session: Session, transaction_id: str) -> None:
    """Show a transaction: its current status, the code's meaning and every stored event.

    Exits 3 when nothing is known about TRANSACTION_ID.
    """
    if not is_transaction_id(transaction_id):
        raise bad_input(f"{transaction_id!r}: {INVALID_TRANSACTION_ID_MESSAGE}")
    view = session.api.get(f"/v1/transactions/{path_segment(transaction_id)}")
    session.output.result(view, lambda console: _render_transaction(console, view))


def _render_transaction(console: Console, view: dict[str, Any]) -> None:
    code = view.get("code") or {}
    final = "final" if view.get("final") else "not final yet"
    console.print(f"Transaction {view['transactionid']}", style="bold")
    console.print(f"  status       {view['status']} ({view['classification']}, {final})")
    if code:
        console.print(f"  code         {code.get('code')} {code.get('message') or ''}".rstrip())
    console.print(f"  channel      {view.get('channel') or '-'}")
    console.print(f"  destination  {view.get('destination') or '-'}")
    console.print(f"  campaign     {view.get('correlationid') or '-'}")
    console.print(f"  source       {view['source']}, as of {view.get('as_of') or '-'}")
    console.print(
        table(
            "Timeline",
            ["occurred", "status", "code", "description", "origin", "received"],
            (
                [
                    event["occurred_at"],
                    event["status"],
                    event.get("code"),
                    event.get("description"),
                    event.get("origin"),
                    event.get("received_at"),
                ]
                for event in view.get("timeline", [])
            ),
        )
    )


@click.command()
@click.option("--destination", "-d", help="A phone number, address, device or user id.")
@click.option("--campaign", "-c", help="A campaign's correlation id.")
@limit_option(50, "transactions")
@pass_session
def search(session: Session, destination: str | None, campaign: str | None, limit: int) -> None:
    """List the transactions of a destination or a campaign, newest first."""
    if (destination is None) == (campaign is None):
        raise bad_input("say what to search for: --destination D or --campaign C (one of them)")
    query: dict[str, str | int | None] = (
        {"destination": destination} if destination is not None else {"correlationid": campaign}
    )
    items, more = session.api.pages("/v1/transactions", query, limit=limit)
    result = {"items": items, "more": more}
    session.output.result(result, lambda console: _render_search(console, result))


def _render_search(console: Console, result: dict[str, Any]) -> None:
    items = result["items"]
    console.print(
        table(
            None,
            ["transaction", "channel", "destination", "campaign", "status", "last event"],
            (
                [
                    item["transactionid"],
                    item["channel"],
                    item.get("destination"),
                    item.get("correlationid"),
                    item["status"],
                    item["last_event_at"],
                ]
                for item in items
            ),
        )
    )
    more = " (more: raise --limit)" if result["more"] else ""
    console.print(f"{len(items)} transaction(s){more}")
