"""Exit codes a script can act on, and the one error type every command raises."""

from __future__ import annotations

from enum import IntEnum
from typing import IO, Any

import click


class ExitCode(IntEnum):
    OK = 0
    # The command ran, but not everything it was asked to do was done (a body still refused,
    # a message left in its queue, a request that failed): the summary says what.
    INCOMPLETE = 1
    # Bad input or options (click uses 2 for usage errors): nothing was changed.
    USAGE = 2
    NOT_FOUND = 3
    # No credentials, a refused API key, no such stack or state file: fix the setup.
    NOT_AUTHORISED = 4
    # The stack, the table or AWS did not answer, or answered 5xx: try again.
    UNAVAILABLE = 5
    # Ctrl-C: the run's journal is kept, the same command resumes it.
    INTERRUPTED = 130


class CliError(click.ClickException):
    """A message for the operator and the exit code that goes with it."""

    def __init__(
        self,
        message: str,
        exit_code: ExitCode = ExitCode.INCOMPLETE,
        *,
        code: str = "failed",
        summarised: bool = False,
    ) -> None:
        super().__init__(message)
        # True when the command printed its summary already: --json then prints no second
        # document, the summary is the answer and the exit code says it is incomplete.
        self.summarised = summarised
        # click declares the code on the class; each error here carries its own.
        self.exit_code = int(exit_code)  # type: ignore[misc]
        self.code = code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"receipts: {self.message}", err=True, file=file)


def incomplete(message: str, code: str) -> CliError:
    """Raised after the summary is printed: the work ran, but not all of it was done."""
    return CliError(message, ExitCode.INCOMPLETE, code=code, summarised=True)


def bad_input(message: str) -> CliError:
    return CliError(message, ExitCode.USAGE, code="bad_input")
