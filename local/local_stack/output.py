"""Keep the functions' CloudWatch metric lines (EMF JSON on stdout) out of the terminal.

In Lambda those lines go to CloudWatch Logs, which turns them into metrics; locally they
would bury the access log and the alerts. ``--metrics`` shows them.
"""

from __future__ import annotations

import io
import threading
from typing import TextIO

EMF_PREFIX = '{"_aws"'


class MetricLinesFilter(io.TextIOBase):
    """A stdout that drops EMF lines; each thread's partial line is buffered on its own."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target
        self._local = threading.local()
        self._lock = threading.Lock()
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        pending: str = getattr(self._local, "pending", "") + text
        *lines, self._local.pending = pending.split("\n")
        kept = []
        for line in lines:
            if line.startswith(EMF_PREFIX):
                self.dropped += 1
            else:
                kept.append(line + "\n")
        if kept:
            with self._lock:
                self._target.write("".join(kept))
        return len(text)

    def flush(self) -> None:
        pending: str = getattr(self._local, "pending", "")
        if pending and not pending.startswith(EMF_PREFIX[: len(pending)]):
            self._local.pending = ""
            with self._lock:
                self._target.write(pending)
        self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()

    def isatty(self) -> bool:
        return self._target.isatty()
