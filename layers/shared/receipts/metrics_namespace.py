"""The metrics namespace, for a Powertools ``Metrics`` that was built too early to read it."""

from __future__ import annotations

import os
from typing import Protocol

DEFAULT_METRICS_NAMESPACE = "imiconnect-receipts"


class HasNamespace(Protocol):
    namespace: str | None


def ensure_namespace(metrics: HasNamespace) -> None:
    """Powertools reads the namespace when its ``Metrics`` is built, at import; a process that
    imported the function before its environment was complete (a test run, the local stack)
    still gets the one the environment now names."""
    if metrics.namespace is None:
        metrics.namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or (
            DEFAULT_METRICS_NAMESPACE
        )
