"""Write the lookup API's OpenAPI document to a file: ``python -m lookup.openapi out.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python -m lookup.openapi <output.json>", file=sys.stderr)
        return 2
    from lookup.api import openapi_document

    target = Path(arguments[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(openapi_document(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
