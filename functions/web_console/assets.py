"""The console's files, read from ``static/`` once per container and served from memory.

Only files that are in ``static/`` can be served: a request names one by its bare file
name, which is looked up in the listing, so no path the client sends ever reaches the file
system.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
PAGE = "index.html"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    content_type: str
    body: str
    # A strong validator: the browser revalidates (Cache-Control: no-cache) and gets a 304
    # until a deployment changes the file.
    etag: str


def _read(path: Path) -> Asset:
    body = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]
    return Asset(path.name, CONTENT_TYPES[path.suffix], body, f'"{digest}"')


@cache
def assets() -> dict[str, Asset]:
    """Every servable file by its name; read on first use, not at import."""
    return {
        path.name: _read(path)
        for path in sorted(STATIC.iterdir())
        if path.is_file() and path.suffix in CONTENT_TYPES
    }


def asset(name: str) -> Asset | None:
    return assets().get(name)
