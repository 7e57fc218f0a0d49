"""Long work that can be stopped and resumed without doing anything twice.

A run (a replay, a redrive, a backfill) keeps a journal while it works: its id and each
piece of work done, one line appended per piece, flushed before the next starts. Ctrl-C
leaves the journal; the same command on the same target finds it and goes on from there,
skipping what it lists. A run that ends removes its journal, so the next one starts afresh.
Journals live in ``$RECEIPTS_RUNS_DIR`` (by default ``$XDG_STATE_HOME/receipts/runs``, that is
``~/.local/state/receipts/runs``).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from receipts_cli.errors import CliError, ExitCode
from receipts_cli.output import Output

Item = TypeVar("Item")


def runs_directory() -> Path:
    configured = os.environ.get("RECEIPTS_RUNS_DIR")
    if configured:
        return Path(configured)
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "receipts" / "runs"


@dataclass
class Journal:
    path: Path
    run: str
    resumed: bool
    # Each piece done, with what came of it: a resumed run's summary covers the whole run.
    done: dict[str, Any] = field(default_factory=dict)

    def mark(self, key: str, result: Any = None) -> None:
        """Record ``key`` (and its result) as done, on disk, before the next piece starts."""
        self.done[key] = result
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"done": key, "result": result}) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)


def _release() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("imiconnect-receipts")
    except PackageNotFoundError:
        return "checkout"


def _lines(path: Path) -> list[dict[str, Any]]:
    """The journal's lines; a last line torn by a crash mid-write is left out."""
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines


def open_journal(kind: str, scope: Mapping[str, Any]) -> Journal:
    """The unfinished run of ``kind`` over ``scope`` (its target and selection) by this
    release, or a new one."""
    identity = {**scope, "kind": kind, "release": _release()}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    path = runs_directory() / f"{kind}-{digest}.jsonl"
    if path.exists():
        lines = _lines(path)
        if lines and "run" in lines[0]:
            done = {line["done"]: line.get("result") for line in lines[1:] if "done" in line}
            return Journal(path, lines[0]["run"], resumed=True, done=done)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run = f"{started}-{secrets.token_hex(3)}"
    path.write_text(json.dumps({"run": run, "kind": kind}) + "\n", "utf-8")
    return Journal(path, run, resumed=False)


@contextmanager
def _progress(output: Output, total: int, label: str) -> Iterator[Callable[[], None]]:
    # Drawn on standard error, and not at all for --json: a script reads the summary.
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.errors,
        disable=output.as_json,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


class _StopRequestedError(Exception):
    pass


@contextmanager
def _finish_piece_on_ctrl_c() -> Iterator[Callable[[], None]]:
    """Ctrl-C asks to stop once the piece in hand is done and recorded (a second one stops
    at once). Yields the check to call between pieces."""
    asked = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        if asked.is_set():
            raise KeyboardInterrupt
        asked.set()

    previous = signal.signal(signal.SIGINT, on_interrupt)

    def check() -> None:
        if asked.is_set():
            raise _StopRequestedError

    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)


def work_through(
    output: Output,
    journal: Journal,
    items: Sequence[Item],
    *,
    key: Callable[[Item], str],
    work: Callable[[Item], Any],
    label: str,
) -> dict[str, Any]:
    """Do ``work`` on each item not yet done in ``journal``, with a progress bar; the result
    of every item's work, this run's and, when it resumes one, the earlier part's.

    Ctrl-C stops after the piece in hand is done and recorded, keeps the journal and raises
    the interruption as an exit code; the caller's summary is not printed then.
    """
    pending = [item for item in items if key(item) not in journal.done]
    if journal.resumed:
        output.note(
            f"resuming run {journal.run} ({journal.path}; delete it to start afresh): "
            f"{len(items) - len(pending)} done before, {len(pending)} to go"
        )
    try:
        with (
            _finish_piece_on_ctrl_c() as stop_if_asked,
            _progress(output, len(pending), label) as advance,
        ):
            for item in pending:
                stop_if_asked()
                journal.mark(key(item), work(item))
                advance()
    except (KeyboardInterrupt, _StopRequestedError):
        raise CliError(
            f"interrupted: run {journal.run} is kept in {journal.path}; the same command "
            "resumes it without doing anything twice",
            ExitCode.INTERRUPTED,
            code="interrupted",
        ) from None
    journal.finish()
    return {key(item): journal.done.get(key(item)) for item in items}
