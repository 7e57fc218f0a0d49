"""The README's curl block, pasted into bash as written, against the running stack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
# The block sources the file `make run` writes, relative to the repository's root.
SOURCED_FILE = Path("local-state/stack.env")
README_TRANSID = "262895e4-2217-4eef-92ca-79fd0250c4a3"


def _readme_curl_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    sourcing = [block for block in blocks if f"source {SOURCED_FILE}" in block]
    assert len(sourcing) == 1, "the README has one curl block that sources the stack's file"
    return sourcing[0]


def _json_documents(text: str) -> list[Any]:
    """curl -s prints the answers back to back; split them into JSON documents."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


def test_the_readme_curl_block_runs_as_pasted(stack_env_file: Path, tmp_path: Path) -> None:
    # Given a checkout where `make run` wrote its file, and a shell without the variables
    block = _readme_curl_block()
    (tmp_path / SOURCED_FILE).parent.mkdir(parents=True)
    shutil.copy(stack_env_file, tmp_path / SOURCED_FILE)
    used = set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", block))
    environment = {name: value for name, value in os.environ.items() if name not in used}

    # When the block runs, strictly: an unset variable or a failed command stops it
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # Then the webhook takes the signed callback and both lookups answer with it
    assert result.returncode == 0, result.stderr
    stored, vendor_view, timeline = _json_documents(result.stdout)
    assert stored["status"] in {"accepted", "duplicate"}, stored
    assert stored["transid"] == README_TRANSID
    assert vendor_view[0]["transactionid"] == README_TRANSID, vendor_view
    assert vendor_view[0]["status"] == "delivered", vendor_view
    assert timeline["transactionid"] == README_TRANSID, timeline
    assert timeline["source"] == "callbacks", timeline
    assert [event["raw_status"] for event in timeline["timeline"]] == ["Delivered"], timeline
