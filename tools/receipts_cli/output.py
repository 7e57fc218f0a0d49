"""What a command prints: JSON for scripts (``--json``), or tables and lines for people.

Results go to standard output, progress and notes to standard error, so ``--json`` output
stays one JSON document whatever else happens.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

Render = Callable[[Console], None]
_PROSE_COLUMNS = frozenset({"reason", "description", "meaning"})


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON")


class Output:
    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        # highlight=False: rich would colour numbers and ids by guessing what they are.
        # Piped into a file or another program, a line is as wide as it needs (to 200).
        width = None if sys.stdout.isatty() else 200
        self.console = Console(highlight=False, soft_wrap=False, width=width)
        self.errors = Console(stderr=True, highlight=False)

    def result(self, data: Any, render: Render) -> None:
        if self.as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_default))
        else:
            render(self.console)

    def note(self, message: str) -> None:
        """A line for the person at the terminal (standard error): never part of ``--json``."""
        self.errors.print(message, markup=False)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A plain table; ``None`` cells print as ``-``."""
    drawn = Table(title=title, title_justify="left", header_style="bold", box=None)
    for column in columns:
        # Ids and instants stay whole; only prose wraps.
        prose = column in _PROSE_COLUMNS
        drawn.add_column(column, overflow="fold", no_wrap=not prose)
    for row in rows:
        drawn.add_row(*("-" if cell is None else str(cell) for cell in row))
    return drawn


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"
