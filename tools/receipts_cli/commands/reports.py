"""``receipts report campaign`` and ``receipts report daily``: the reports' figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from rich.console import Console

from receipts.channels import Channel
from receipts_cli.api import path_segment
from receipts_cli.errors import bad_input
from receipts_cli.output import percent, table
from receipts_cli.session import Session, pass_session

# The daily route's widest range, in days.
DAILY_RANGE_DAYS = 93
CHANNELS = [channel.value for channel in Channel if channel is not Channel.UNKNOWN]


@click.group()
def report() -> None:
    """Campaign and daily delivery reports."""


@report.command()
@click.argument("campaign")
@pass_session
def campaign(session: Session, campaign: str) -> None:
    """A campaign's figures: statuses, delivery and read rates, failures, time to deliver.

    CAMPAIGN is the correlation id the messages were sent with.
    """
    figures = session.api.get(f"/v1/reports/campaigns/{path_segment(campaign)}")
    session.output.result(figures, lambda console: _render_campaign(console, figures))


def _render_campaign(console: Console, figures: dict[str, Any]) -> None:
    console.print(f"Campaign {figures['correlationid']}", style="bold")
    _render_figures(console, figures)
    channels = figures.get("channels") or {}
    if channels:
        console.print(
            table(
                "Per channel",
                ["channel", "transactions", "delivered", "read", "open", "failed"],
                (
                    [
                        name,
                        part["transactions"],
                        percent(part.get("delivered_rate")),
                        percent(part.get("read_rate")),
                        part.get("still_open"),
                        sum(failure["count"] for failure in part.get("failures", [])),
                    ]
                    for name, part in sorted(channels.items())
                ),
            )
        )


def _render_figures(console: Console, figures: dict[str, Any]) -> None:
    deliver = figures.get("time_to_deliver") or {}
    console.print(
        f"  transactions {figures['transactions']}, delivered "
        f"{percent(figures.get('delivered_rate'))}, read {percent(figures.get('read_rate'))}, "
        f"still open {figures.get('still_open', 0)}, reconciled {figures.get('reconciled', 0)}"
    )
    if deliver.get("measured"):
        console.print(
            f"  time to deliver: p50 {deliver.get('p50')} s, p90 {deliver.get('p90')} s, "
            f"p99 {deliver.get('p99')} s ({deliver['measured']} measured)"
        )
    statuses = figures.get("statuses") or {}
    console.print(table("Statuses", ["status", "transactions"], sorted(statuses.items())))
    failures = figures.get("failures") or []
    if failures:
        console.print(
            table(
                "Failures",
                ["channel", "status", "code", "meaning", "count"],
                (
                    [f["channel"], f["status"], f.get("code"), f.get("meaning"), f["count"]]
                    for f in failures
                ),
            )
        )


@report.command()
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC)."
)
@click.option(
    "--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included."
)
@click.option("--channel", type=click.Choice(CHANNELS), help="One channel only.")
@pass_session
def daily(session: Session, first: datetime, last: datetime, channel: str | None) -> None:
    """The figures per day and channel, from one day to another (up to 93 days)."""
    if last < first:
        raise bad_input("--to is before --from")
    if (last - first).days + 1 > DAILY_RANGE_DAYS:
        raise bad_input(f"a report covers at most {DAILY_RANGE_DAYS} days")
    figures = session.api.get(
        "/v1/reports/daily",
        {"from": first.date().isoformat(), "to": last.date().isoformat(), "channel": channel},
    )
    session.output.result(figures, lambda console: _render_daily(console, figures))


def _render_daily(console: Console, figures: dict[str, Any]) -> None:
    console.print(
        table(
            f"From {figures['from']} to {figures['to']}",
            ["day", "channel", "transactions", "delivered", "read", "open", "failed", "p50 s"],
            (
                [
                    day["day"],
                    day["channel"],
                    day["transactions"],
                    percent(day.get("delivered_rate")),
                    percent(day.get("read_rate")),
                    day.get("still_open"),
                    sum(failure["count"] for failure in day.get("failures", [])),
                    (day.get("time_to_deliver") or {}).get("p50"),
                ]
                for day in figures.get("days", [])
            ),
        )
    )
