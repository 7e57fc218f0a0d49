"""``receipts suppressions check|list|remove``: the destinations not worth sending to."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from receipts_cli.api import path_segment
from receipts_cli.commands.reports import CHANNELS
from receipts_cli.errors import CliError, ExitCode, bad_input
from receipts_cli.output import table
from receipts_cli.session import Session, limit_option, pass_session

# The check route's most destinations per request.
CHECK_BATCH = 100

channel_option = click.option(
    "--channel", required=True, type=click.Choice(CHANNELS), help="The channel sent on."
)


@click.group()
def suppressions() -> None:
    """The suppression list: check destinations, list them, lift one by hand."""


@suppressions.command()
@channel_option
@click.argument("destinations", nargs=-1)
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    help="Destinations one per line ('-' reads standard input).",
)
@pass_session
def check(
    session: Session, channel: str, destinations: tuple[str, ...], source: Any | None
) -> None:
    """Tell, for each destination, whether it is suppressed, why and since when."""
    asked = list(destinations)
    if source is not None:
        asked += [line.strip() for line in source if line.strip()]
    if not asked:
        raise bad_input("name at least one destination (arguments or --file)")
    results: list[dict[str, Any]] = []
    for start in range(0, len(asked), CHECK_BATCH):
        batch = asked[start : start + CHECK_BATCH]
        answer = session.api.post(
            "/v1/suppressions/check", {"channel": channel, "destinations": batch}
        )
        results.extend(answer["results"])
    suppressed = sum(1 for result in results if result["suppressed"])
    checked = {"channel": channel, "results": results, "suppressed": suppressed}
    session.output.result(checked, lambda console: _render_check(console, checked))


def _render_check(console: Console, checked: dict[str, Any]) -> None:
    console.print(_suppression_table(checked["results"], with_state=True))
    console.print(f"{checked['suppressed']} of {len(checked['results'])} suppressed")


def _suppression_table(views: list[dict[str, Any]], *, with_state: bool) -> Any:
    columns = ["destination", "reason", "code", "meaning", "since", "transaction"]
    rows = (
        [
            view["destination"],
            view.get("reason"),
            view.get("code"),
            view.get("meaning"),
            view.get("since"),
            view.get("transactionid"),
        ]
        for view in views
    )
    if with_state:
        columns.insert(1, "suppressed")
        rows = (
            [row[0], "yes" if view["suppressed"] else "no", *row[1:]]
            for row, view in zip(rows, views, strict=True)
        )
    return table(None, columns, rows)


@suppressions.command("list")
@channel_option
@limit_option(100, "destinations")
@pass_session
def list_suppressions(session: Session, channel: str, limit: int) -> None:
    """List a channel's suppressed destinations, most recently suppressed first."""
    items, more = session.api.pages("/v1/suppressions", {"channel": channel}, limit=limit)
    listed = {"channel": channel, "items": items, "more": more}
    session.output.result(listed, lambda console: _render_list(console, listed))


def _render_list(console: Console, listed: dict[str, Any]) -> None:
    console.print(_suppression_table(listed["items"], with_state=False))
    more = " (more: raise --limit)" if listed["more"] else ""
    console.print(f"{len(listed['items'])} suppressed on {listed['channel']}{more}")


@suppressions.command()
@channel_option
@click.argument("destination")
@pass_session
def remove(session: Session, channel: str, destination: str) -> None:
    """Lift DESTINATION's suppression by hand (a later failure suppresses it again).

    Exits 3 when it is not suppressed.
    """
    path = f"/v1/suppressions/{channel}/{path_segment(destination)}"
    try:
        lifted = session.api.delete(path)
    except CliError as error:
        if error.exit_code == ExitCode.NOT_FOUND:
            raise CliError(
                f"{destination} is not suppressed on {channel}",
                ExitCode.NOT_FOUND,
                code="not_suppressed",
            ) from None
        raise
    session.output.result(lifted, lambda console: _render_lift(console, lifted))


def _render_lift(console: Console, lifted: dict[str, Any]) -> None:
    before, now = lifted["lifted"], lifted["suppression"]
    console.print(
        f"lifted {now['destination']} on {now['channel']}: it was suppressed for "
        f"{before.get('reason')} (code {before.get('code')}, transaction "
        f"{before.get('transactionid')}) since {before.get('since')}"
    )
