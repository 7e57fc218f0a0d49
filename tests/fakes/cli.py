"""The `receipts` console script run in the test's own process, as a shell would run it."""

from __future__ import annotations

import pytest

from receipts_cli.main import main


def run_receipts(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """Its exit code, standard output and standard error (what came before is dropped)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(arguments))
    captured = capsys.readouterr()
    code = exited.value.code
    return (0 if code is None else int(code)), captured.out, captured.err
