"""`pip install .` gives the `receipts` console script: the wheel holds everything it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


# What the wheel is built from (pyproject.toml's package-dir), copied so that the build
# writes nothing into the checkout.
SOURCES = ("pyproject.toml", "tools/receipts_cli", "layers/shared/receipts", "functions/ingest")
SOURCES += ("local/local_stack",)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignored = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignored)
        else:
            shutil.copy2(ROOT / name, source / name)
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(folder), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=240,
    )
    (built,) = folder.glob("imiconnect_receipts-*.whl")
    return built


def test_the_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith(".dist-info/entry_points.txt")
        )
        metadata = next(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith(".dist-info/METADATA")
        )
    assert "receipts = receipts_cli.main:main" in entry_points
    for dependency in ("click", "rich", "boto3", "pydantic", "aws-lambda-powertools"):
        assert f"Requires-Dist: {dependency}" in metadata


def test_the_wheel_holds_what_the_cli_imports_and_nothing_deployed_by_sam(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for module in (
        "receipts_cli/main.py",
        "receipts_cli/commands/quarantine.py",
        "receipts/storage/event_store.py",
        "receipts/codes/table.py",
        "ingest/service.py",
        "local_stack/state.py",
    ):
        assert module in names, module
    deployed_by_sam = ("lookup/", "alerts/", "tests/", "simulator/")
    assert not any(name.startswith(deployed_by_sam) for name in names)


def test_the_unpacked_wheel_runs_on_its_own(wheel: Path, tmp_path: Path) -> None:
    """Every command module imports from the wheel alone, not from this checkout."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    script = (
        "import sys\n"
        "from receipts_cli.main import main\n"
        "import local_stack.state\n"
        "mine = [m for m in sys.modules.values() if (m.__name__.split('.')[0] in\n"
        "        {'receipts_cli', 'receipts', 'ingest', 'local_stack'})]\n"
        "assert len(mine) > 40, len(mine)\n"
        "for module in mine:\n"
        f"    assert (module.__file__ or '').startswith({str(tmp_path / 'site')!r}), module\n"
        "main(['quarantine', 'replay', '--help'])\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Usage: receipts quarantine replay" in ran.stdout
