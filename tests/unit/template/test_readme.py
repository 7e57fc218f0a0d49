"""The README stays true: every parameter documented, the quick start and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

from local_stack.template import load_template

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_template_parameter_is_documented() -> None:
    for name in load_template()["Parameters"]:
        assert f"| `{name}` |" in README, f"{name} is missing from the README's table"


def test_ci_runs_the_readme_test_command() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(make \w+)", quick_start, flags=re.MULTILINE)
    assert commands == ["make run", "make test"]
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci_script, flags=re.MULTILINE)


def test_every_make_target_named_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    for target in set(re.findall(r"`make (\w[\w-]*)`", README)):
        assert target in targets, f"make {target}"


def test_the_performance_section_shows_the_latest_measured_figures() -> None:
    from benchmarks.readme_section import current_section, rendered_section

    shown = current_section(README)

    assert shown == rendered_section()
    assert "| Cold start, ingest" in shown
    assert "Cost per million callbacks" in shown
    assert "Stored exactly once" in shown  # the load run's table
