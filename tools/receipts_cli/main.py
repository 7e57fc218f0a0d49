"""The ``receipts`` command: global options, the command groups, exit codes.

Built on click (command groups, typed options, ``--help`` on every command, and a test
runner) and rich (tables and progress bars that fall back to plain text when the output is
not a terminal): both well kept, and both already what aws-sam-cli and the test tools here
are built on, so the CLI adds no new dependency to the development environment.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import click
from click.core import ParameterSource

from receipts_cli.commands.dlq import dlq
from receipts_cli.commands.quarantine import quarantine
from receipts_cli.commands.reconcile import reconcile
from receipts_cli.commands.reports import report
from receipts_cli.commands.suppressions import suppressions
from receipts_cli.commands.transactions import search, transaction
from receipts_cli.errors import CliError, ExitCode
from receipts_cli.output import Output
from receipts_cli.session import Session

EPILOG = """\b
Exit codes: 0 done; 1 not everything was done (the summary says what); 2 bad input or
options, nothing changed; 3 not found; 4 credentials, API key or stack not usable;
5 the stack or AWS did not answer (try again); 130 interrupted (run the same command to
resume).
"""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
)
@click.option("--local", "use_local", is_flag=True, help="Talk to the stack `make run` started.")
@click.option(
    "--stack",
    metavar="NAME",
    envvar="RECEIPTS_STACK",
    help="Talk to a deployed stack (its CloudFormation name), with your AWS credentials.",
)
@click.option("--region", envvar="AWS_REGION", help="The deployed stack's region.")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RECEIPTS_STATE_FILE",
    help="The local stack's state file (default: local-state/stack.json).",
)
@click.option(
    "--api-key",
    envvar="RECEIPTS_API_KEY",
    help="A lookup API key to use instead of reading the stack's secret.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@click.version_option(package_name="imiconnect-receipts", message="receipts %(version)s")
@click.pass_context
def cli(
    context: click.Context,
    use_local: bool,
    stack: str | None,
    region: str | None,
    state_file: Path | None,
    api_key: str | None,
    as_json: bool,
) -> None:
    """Operate an imiconnect-receipts stack: look up, report, replay, redrive, reconcile."""
    if use_local and context.get_parameter_source("stack") is ParameterSource.ENVIRONMENT:
        stack = None  # --local on the command line wins over RECEIPTS_STACK
    context.obj = Session(
        use_local=use_local,
        stack=stack,
        region=region,
        state_file=state_file,
        api_key=api_key,
        output=Output(as_json=as_json),
    )


for command in (transaction, search, report, suppressions, quarantine, dlq, reconcile):
    cli.add_command(command)


def main(arguments: list[str] | None = None) -> None:
    """The console script: runs ``cli`` and exits with its code. With ``--json``, a failure is
    also one JSON document on standard output, so a script always has JSON to read."""
    given = sys.argv[1:] if arguments is None else arguments
    try:
        cli.main(args=given, prog_name="receipts", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        _fail(given, CliError("interrupted", ExitCode.INTERRUPTED, code="interrupted"))
    except click.ClickException as error:
        _fail(given, error)
    except Exception as error:
        # A fault of this command (or an answer it did not expect): said in one line, the
        # traceback only when asked for, never a bare crash.
        if os.environ.get("RECEIPTS_DEBUG"):
            traceback.print_exc()
        _fail(
            given,
            CliError(
                f"unexpected {type(error).__name__}: {error} (RECEIPTS_DEBUG=1 shows where)",
                ExitCode.INCOMPLETE,
                code="internal_error",
            ),
        )
    sys.exit(ExitCode.OK)


def _fail(given: list[str], error: click.ClickException) -> NoReturn:
    error.show()
    if "--json" in given and not getattr(error, "summarised", False):
        code = getattr(error, "code", "bad_input")
        click.echo(json.dumps({"error": {"code": code, "message": error.format_message()}}))
    sys.exit(error.exit_code)
