"""The README's performance section is rewritten from the result files, and only there."""

from __future__ import annotations

from pathlib import Path

from benchmarks.readme_section import END_MARKER, START_MARKER, current_section, update_readme


def test_update_rewrites_only_the_text_between_the_markers(tmp_path: Path) -> None:
    bench, load = tmp_path / "latest.md", tmp_path / "latest-load.md"
    bench.write_text("| a | 1 |\n", encoding="utf-8")
    load.write_text("| b | 2 |\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nbefore\n{START_MARKER}\nold figures\n{END_MARKER}\nafter\n", encoding="utf-8"
    )

    changed = update_readme(readme, (bench, load))
    again = update_readme(readme, (bench, load))

    text = readme.read_text(encoding="utf-8")
    assert changed is True
    assert again is False
    assert current_section(text) == "| a | 1 |\n\n| b | 2 |"
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{END_MARKER}\nafter\n")
    assert "old figures" not in text
