"""Keep the README's performance section equal to the latest benchmark and load results.

``make bench``, ``make load`` and ``make capacity`` write ``benchmarks/latest.md``,
``latest-load.md`` and ``latest-capacity.md``; each then calls :func:`update_readme`, so the
figures a reader sees are the ones last measured.
"""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
README_PATH = BENCHMARKS.parent / "README.md"
START_MARKER = "<!-- benchmarks:start (written by make bench and make load) -->"
END_MARKER = "<!-- benchmarks:end -->"
SOURCES = (
    BENCHMARKS / "latest.md",
    BENCHMARKS / "latest-load.md",
    BENCHMARKS / "latest-capacity.md",
)


def rendered_section(sources: tuple[Path, ...] = SOURCES) -> str:
    """The text between the markers: each result file, in order, as written."""
    parts = [path.read_text(encoding="utf-8").strip() for path in sources if path.exists()]
    return "\n\n".join(parts)


def _bounds(readme: str) -> tuple[int, int]:
    """Where the text between the markers starts and ends; ValueError when they are lost."""
    start = readme.index(START_MARKER) + len(START_MARKER)
    return start, readme.index(END_MARKER, start)


def current_section(readme: str) -> str:
    start, end = _bounds(readme)
    return readme[start:end].strip()


def update_readme(readme_path: Path = README_PATH, sources: tuple[Path, ...] = SOURCES) -> bool:
    """Rewrite the section; True when the README changed."""
    readme = readme_path.read_text(encoding="utf-8")
    start, end = _bounds(readme)
    updated = readme[:start] + "\n\n" + rendered_section(sources) + "\n\n" + readme[end:]
    if updated == readme:
        return False
    readme_path.write_text(updated, encoding="utf-8")
    return True
