"""Journals of long runs: resumed by the same command, skipped work, Ctrl-C kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from receipts_cli.errors import CliError, ExitCode
from receipts_cli.output import Output
from receipts_cli.runs import Journal, open_journal, runs_directory, work_through

SCOPE = {"target": "stack receipts-prod", "day": "2026-12-03"}


@pytest.fixture
def runs_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    directory = tmp_path / "runs"
    monkeypatch.setenv("RECEIPTS_RUNS_DIR", str(directory))
    return directory


def lines_of(journal: Journal) -> list[dict[str, str]]:
    return [json.loads(line) for line in journal.path.read_text(encoding="utf-8").splitlines()]


# ---- where journals live ---------------------------------------------------------------------


def test_journals_live_in_receipts_runs_dir(runs_dir: Path) -> None:
    assert runs_directory() == runs_dir
    assert open_journal("replay", SCOPE).path.parent == runs_dir


def test_without_receipts_runs_dir_journals_live_in_the_state_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RECEIPTS_RUNS_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    assert runs_directory() == tmp_path / "state" / "receipts" / "runs"


# ---- open_journal ----------------------------------------------------------------------------


def test_a_first_run_starts_a_fresh_journal(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)

    assert not journal.resumed
    assert journal.done == {}
    assert journal.path.exists()
    assert lines_of(journal) == [{"run": journal.run, "kind": "replay"}]


def test_an_unfinished_run_of_the_same_kind_and_scope_is_resumed(runs_dir: Path) -> None:
    first = open_journal("replay", SCOPE)
    first.mark("body-1")
    first.mark("body-2")

    # The scope's key order does not matter: it is the same selection.
    again = open_journal("replay", dict(reversed(list(SCOPE.items()))))

    assert again.resumed
    assert again.run == first.run
    assert again.path == first.path
    assert again.done == {"body-1": None, "body-2": None}


def test_another_scope_starts_its_own_run(runs_dir: Path) -> None:
    first = open_journal("replay", SCOPE)
    first.mark("body-1")

    other = open_journal("replay", {**SCOPE, "day": "2026-12-04"})

    assert not other.resumed
    assert other.run != first.run
    assert other.path != first.path
    assert other.done == {}
    # The first run is still there to resume.
    assert open_journal("replay", SCOPE).done == {"body-1": None}


def test_another_kind_over_the_same_scope_starts_its_own_run(runs_dir: Path) -> None:
    first = open_journal("replay", SCOPE)
    first.mark("x")

    other = open_journal("redrive", SCOPE)

    assert not other.resumed
    assert other.run != first.run
    assert other.done == {}


def test_a_finished_run_is_not_resumed(runs_dir: Path) -> None:
    first = open_journal("replay", SCOPE)
    first.mark("body-1")
    first.finish()

    assert not first.path.exists()
    again = open_journal("replay", SCOPE)
    assert not again.resumed
    assert again.run != first.run
    assert again.done == {}


def test_finishing_twice_is_harmless(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    journal.finish()
    journal.finish()

    assert not journal.path.exists()


def test_a_journal_without_its_run_line_starts_afresh(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    journal.path.write_text(json.dumps({"done": "body-1"}) + "\n", encoding="utf-8")

    again = open_journal("replay", SCOPE)

    assert not again.resumed
    assert again.done == {}


def test_marks_are_on_disk_at_once(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    journal.mark("body-1")

    assert lines_of(journal)[1:] == [{"done": "body-1", "result": None}]


# ---- work_through ----------------------------------------------------------------------------


def quiet() -> Output:
    # --json: no progress bar drawn.
    return Output(as_json=True)


def test_work_through_skips_what_is_done_and_marks_each_piece_before_the_next(
    runs_dir: Path,
) -> None:
    journal = open_journal("replay", SCOPE)
    journal.mark("a")
    worked: list[str] = []
    on_disk_when_starting: list[list[str]] = []

    def work(item: str) -> str:
        on_disk_when_starting.append([line["done"] for line in lines_of(journal)[1:]])
        worked.append(item)
        return item.upper()

    results = work_through(quiet(), journal, ["a", "b", "c"], key=str, work=work, label="w")

    assert worked == ["b", "c"]
    assert on_disk_when_starting == [["a"], ["a", "b"]]
    assert journal.done == {"a": None, "b": "B", "c": "C"}
    # Every item's result: this run's, and what the journal held from before.
    assert results == {"a": None, "b": "B", "c": "C"}
    # A run that ends removes its journal.
    assert not journal.path.exists()


def test_work_through_uses_the_key_to_skip(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    journal.mark("id-2")
    worked: list[dict[str, str]] = []

    work_through(
        quiet(),
        journal,
        [{"id": "id-1"}, {"id": "id-2"}, {"id": "id-3"}],
        key=lambda item: item["id"],
        work=worked.append,
        label="working",
    )

    assert worked == [{"id": "id-1"}, {"id": "id-3"}]


def test_ctrl_c_in_the_work_exits_130_and_keeps_the_journal(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    worked: list[str] = []

    def work(item: str) -> None:
        if item == "c":
            raise KeyboardInterrupt
        worked.append(item)

    with pytest.raises(CliError) as raised:
        work_through(quiet(), journal, ["a", "b", "c", "d"], key=str, work=work, label="x")

    assert raised.value.exit_code == ExitCode.INTERRUPTED == 130
    assert raised.value.code == "interrupted"
    assert journal.run in raised.value.message
    assert str(journal.path) in raised.value.message
    assert worked == ["a", "b"]
    # The piece interrupted is not marked done; the ones before are.
    assert journal.path.exists()
    assert [line["done"] for line in lines_of(journal)[1:]] == ["a", "b"]

    resumed = open_journal("replay", SCOPE)
    assert (resumed.resumed, resumed.run) == (True, journal.run)
    assert resumed.done == {"a": None, "b": None}


def test_a_resumed_run_does_the_rest_and_says_so(
    runs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = open_journal("replay", SCOPE)

    def stop_at_b(item: str) -> None:
        if item == "b":
            raise KeyboardInterrupt

    with pytest.raises(CliError):
        work_through(quiet(), first, ["a", "b", "c"], key=str, work=stop_at_b, label="x")
    capsys.readouterr()

    worked: list[str] = []
    resumed = open_journal("replay", SCOPE)
    work_through(quiet(), resumed, ["a", "b", "c"], key=str, work=worked.append, label="x")

    assert worked == ["b", "c"]
    noted = " ".join(capsys.readouterr().err.split())
    assert f"resuming run {first.run}" in noted and "1 done before, 2 to go" in noted
    assert not resumed.path.exists()


def test_an_error_other_than_ctrl_c_propagates_and_keeps_the_journal(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)

    def work(item: str) -> None:
        raise RuntimeError(item)

    with pytest.raises(RuntimeError, match="a"):
        work_through(quiet(), journal, ["a"], key=str, work=work, label="x")

    assert journal.path.exists()
    assert journal.done == {}


def test_a_torn_last_line_is_left_out(runs_dir: Path) -> None:
    journal = open_journal("replay", SCOPE)
    journal.mark("a", {"outcome": "stored"})
    with journal.path.open("a", encoding="utf-8") as file:
        file.write('{"done": "b", "res')  # a crash mid-write

    again = open_journal("replay", SCOPE)

    assert again.resumed and again.done == {"a": {"outcome": "stored"}}


def test_a_run_of_another_release_is_not_resumed(
    runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_journal("replay", SCOPE)
    first.mark("a")
    monkeypatch.setattr("receipts_cli.runs._release", lambda: "9.9.9")

    again = open_journal("replay", SCOPE)

    assert not again.resumed and again.run != first.run


def test_a_real_ctrl_c_finishes_the_piece_in_hand_then_stops(runs_dir: Path) -> None:
    import os
    import signal

    journal = open_journal("replay", SCOPE)
    worked: list[str] = []

    def work(item: str) -> str:
        if item == "b":
            os.kill(os.getpid(), signal.SIGINT)  # the operator presses Ctrl-C mid-piece
        worked.append(item)
        return "done"

    with pytest.raises(CliError) as raised:
        work_through(quiet(), journal, ["a", "b", "c"], key=str, work=work, label="x")

    assert raised.value.exit_code == 130
    # "b" was finished and recorded; "c" was never started.
    assert worked == ["a", "b"]
    assert open_journal("replay", SCOPE).done == {"a": "done", "b": "done"}
    # Ctrl-C is the terminal's again once the run has stopped.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
