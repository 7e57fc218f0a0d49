"""Run a script in a fresh interpreter, with the functions' import paths and extra variables.

For what a module decides when it is imported (Powertools reads POWERTOOLS_LOGGER_LOG_EVENT
when a handler is decorated): a test changes the environment without reloading anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def output_of(script: str, **variables: str) -> str:
    """Everything the script printed, standard output and error together."""
    environment = {
        **os.environ,
        "POWERTOOLS_METRICS_NAMESPACE": "imiconnect-receipts-tests",
        **variables,
        "PYTHONPATH": os.pathsep.join(
            str(ROOT / part) for part in ("layers/shared", "functions", "local", ".")
        ),
    }
    finished = subprocess.run(  # the test's own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return finished.stdout + finished.stderr
