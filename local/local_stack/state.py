"""What a running local stack tells its users and tools: URLs, credentials, resources.

Written to ``local-state/stack.json`` (git-ignored) while the stack runs, so ``make demo``,
the end-to-end tests and a second terminal can find it; removed when it stops.
"""

from __future__ import annotations

import json
import os
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


def write_state(state: StackState, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # The file holds local credentials: readable by this user only.
    temporary.touch(mode=0o600)
    temporary.write_text(state.to_json(), encoding="utf-8")
    temporary.replace(path)


def read_state(path: Path = DEFAULT_STATE_FILE) -> StackState:
    return StackState.from_json(path.read_text(encoding="utf-8"))


def remove_state(path: Path, pid: int) -> None:
    """Remove the file if it is still this process's (another stack may have replaced it)."""
    try:
        if read_state(path).pid == pid:
            path.unlink()
    except (FileNotFoundError, ValueError, TypeError):
        pass
