"""The shell file ``make run`` writes for the README's curl block: ``source`` it and paste."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from local_stack.banner import banner
from local_stack.state import (
    StackState,
    remove_state,
    shell_exports_file,
    write_shell_exports,
    write_state,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
README_BLOCK_SOURCE = "source local-state/stack.env"
# Awkward on purpose: quotes, spaces and a dollar sign must reach bash unchanged.
AWKWARD_SECRET = 'it\'s $HOME and "more" `x`'


def _state(**changes: object) -> StackState:
    values: dict[str, object] = {
        "api_url": "http://127.0.0.1:3000",
        "simulator_url": "http://127.0.0.1:3100",
        "console_url": "http://127.0.0.1:3001",
        "aws_endpoint_url": "http://127.0.0.1:5000",
        "region": "us-east-1",
        "callback_secret": AWKWARD_SECRET,
        "lookup_api_key": "local-lookup",
        "vendor_service_key": "vendor-key",
        "pid": 111,
    }
    values.update(changes)
    return StackState(**values)  # type: ignore[arg-type]


def _readme_curl_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    sourcing = [block for block in blocks if README_BLOCK_SOURCE in block]
    assert len(sourcing) == 1, "the README has one curl block that sources the stack's file"
    return sourcing[0]


def _sourced(path: Path, names: list[str]) -> dict[str, str]:
    """The variables as bash sees them after ``source``, each printed NUL-terminated."""
    script = f"set -eu\nsource {path}\n" + "".join(f'printf "%s\\0" "${name}"\n' for name in names)
    environment = {name: value for name, value in os.environ.items() if name not in names}
    output = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, env=environment
    ).stdout
    return dict(zip(names, output.split("\0")[:-1], strict=True))


def test_the_file_lives_beside_the_state_file() -> None:
    assert shell_exports_file(Path("/x/local-state/stack.json")) == Path("/x/local-state/stack.env")


def test_sourcing_the_file_gives_bash_the_exact_urls_keys_and_secret(tmp_path: Path) -> None:
    path = tmp_path / "local-state" / "stack.env"

    write_shell_exports(_state(), path)

    assert _sourced(path, ["WEBHOOK_URL", "LOOKUP_BASE_URL", "LOOKUP_KEY", "CALLBACK_SECRET"]) == {
        "WEBHOOK_URL": "http://127.0.0.1:3000/callbacks",
        "LOOKUP_BASE_URL": "http://127.0.0.1:3000",
        "LOOKUP_KEY": "local-lookup",
        "CALLBACK_SECRET": AWKWARD_SECRET,
    }
    assert path.stat().st_mode & 0o077 == 0


def test_every_variable_of_the_readme_curl_block_is_defined_by_the_file(tmp_path: Path) -> None:
    block = _readme_curl_block()
    assigned = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=", block, re.MULTILINE))
    used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", block)) - assigned
    path = tmp_path / "stack.env"
    write_shell_exports(_state(), path)

    values = _sourced(path, sorted(used))

    assert used, block
    assert all(values.values()), values


def test_a_clean_stop_removes_the_file_with_the_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "stack.json"
    write_shell_exports(_state(pid=111), shell_exports_file(state_file))
    write_state(_state(pid=111), state_file)

    remove_state(state_file, pid=222)
    assert shell_exports_file(state_file).exists()
    remove_state(state_file, pid=111)
    assert not shell_exports_file(state_file).exists()
    assert not state_file.exists()


def test_the_banner_tells_where_the_file_to_source_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    assert "  source local-state/stack.env " in banner(
        _state(), shell_exports_file(REPO_ROOT / "local-state" / "stack.json")
    )
    elsewhere = tmp_path / "stack.env"
    assert f"  source {elsewhere} " in banner(_state(), elsewhere)
    assert "source " not in banner(_state())
