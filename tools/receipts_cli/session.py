"""What every command is given: the global options, the target they name, and the output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from receipts_cli.api import LookupApi
from receipts_cli.errors import CliError, ExitCode
from receipts_cli.output import Output
from receipts_cli.targets import Target, local_target, stack_target


@dataclass
class Session:
    use_local: bool
    stack: str | None
    region: str | None
    state_file: Path | None
    api_key: str | None
    output: Output = field(default_factory=lambda: Output(as_json=False))

    @cached_property
    def target(self) -> Target:
        if self.use_local == bool(self.stack):
            raise CliError(
                "say which stack: --local (the one `make run` started) or --stack NAME "
                "(a deployed one, with --region)",
                ExitCode.USAGE,
                code="bad_input",
            )
        if self.use_local:
            return local_target(self.state_file)
        return stack_target(str(self.stack), region=self.region, api_key=self.api_key)

    @cached_property
    def api(self) -> LookupApi:
        return LookupApi(self.target)


_pass_session = click.make_pass_decorator(Session)


def limit_option(default: int, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--limit`` of a listing that follows the API's pages."""
    return click.option(
        "--limit",
        type=click.IntRange(1, 100_000),
        default=default,
        show_default=True,
        help=f"The most {what} to list (pages of 100 are followed).",
    )


def _json_output(context: click.Context, _: click.Parameter, wanted: bool) -> None:
    if wanted:
        context.find_object(Session).output = Output(as_json=True)  # type: ignore[union-attr]


def pass_session(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give the command the session, and take ``--json`` after it as well as before it."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_json_output,
        help="Print JSON (for scripts).",
    )(_pass_session(command))
