"""What a running local stack tells its users and tools: URLs, credentials, resources.

Written to ``local-state/stack.json`` (git-ignored) while the stack runs, so ``make demo``,
the end-to-end tests and a second terminal can find it; removed when it stops. Beside it,
``stack.env`` holds the same URLs and keys as shell exports for the README's curl block.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_FILE = REPO_ROOT / "local-state" / "stack.json"


@dataclass(frozen=True)
class StackState:
    api_url: str
    simulator_url: str
    console_url: str
    aws_endpoint_url: str
    region: str
    callback_secret: str
    lookup_api_key: str
    vendor_service_key: str
    callback_auth_mode: str = "hub-signature"
    signature_header: str = "x-hub-signature"
    lookup_api_key_header: str = "x-api-key"
    callback_api_key_header: str = "x-api-key"
    callback_basic_user: str = ""
    callback_basic_password: str = ""
    callback_api_key: str = ""
    pid: int = field(default_factory=os.getpid)
    resources: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        return f"{self.api_url}/callbacks"

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "webhook_url": self.webhook_url}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackState:
        data = json.loads(text)
        data.pop("webhook_url", None)
        return cls(**data)


def shell_exports(state: StackState) -> str:
    """``export NAME=value`` lines, quoted for any POSIX shell, named as the README's block."""
    variables = {
        "WEBHOOK_URL": state.webhook_url,
        "LOOKUP_BASE_URL": state.api_url,
        "LOOKUP_KEY": state.lookup_api_key,
        "CALLBACK_SECRET": state.callback_secret,
        "SIMULATOR_URL": state.simulator_url,
        "VENDOR_SERVICE_KEY": state.vendor_service_key,
        "CONSOLE_URL": state.console_url,
    }
    lines = [
        "# URLs and local keys of the running local stack (make run); source this file.",
        *(f"export {name}={shlex.quote(value)}" for name, value in variables.items()),
    ]
    return "\n".join(lines) + "\n"


def shell_exports_file(state_file: Path) -> Path:
    beside = state_file.with_suffix(".env")
    # A state file named *.env must not be overwritten by its own exports.
    return beside if beside != state_file else state_file.with_name(f"{state_file.name}.env")


def write_shell_exports(state: StackState, path: Path) -> None:
    _write_private(path, shell_exports(state))


def write_state(state: StackState, path: Path) -> None:
    _write_private(path, state.to_json())


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` at once with ``text``, readable by this user only (local secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    temporary.replace(path)


def read_state(path: Path = DEFAULT_STATE_FILE) -> StackState:
    return StackState.from_json(path.read_text(encoding="utf-8"))


def remove_state(path: Path, pid: int) -> None:
    """Remove the state file and its shell exports if they are still this process's.

    Another stack may have replaced them since; then they are its own and stay.
    """
    try:
        if read_state(path).pid == pid:
            shell_exports_file(path).unlink(missing_ok=True)
            path.unlink()
    except (FileNotFoundError, ValueError, TypeError):
        pass
