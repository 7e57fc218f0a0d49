"""Every command of `receipts` explains itself, and takes --json, without any stack."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from receipts_cli.main import cli, main


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(cli))


def test_every_command_the_docs_name_exists() -> None:
    assert set(COMMANDS) >= {
        ("tx",),
        ("search",),
        ("report", "campaign"),
        ("report", "daily"),
        ("suppressions", "check"),
        ("suppressions", "list"),
        ("suppressions", "remove"),
        ("quarantine", "list"),
        ("quarantine", "show"),
        ("quarantine", "replay"),
        ("dlq", "list"),
        ("dlq", "redrive"),
        ("reconcile",),
    }


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda path: " ".join(path) or "receipts")
def test_help_works_anywhere(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main([*path, "--help"])
    shown = capsys.readouterr().out
    assert ended.value.code == 0
    assert f"Usage: receipts {' '.join(path)}".rstrip() in shown
    summary = (_command(path).help or "").strip().splitlines()[0]
    assert summary[:40] in " ".join(shown.split())


@pytest.mark.parametrize(
    "path",
    [path for path in COMMANDS if not isinstance(_command(path), click.Group)],
    ids=" ".join,
)
def test_every_command_takes_json_after_it(path: tuple[str, ...]) -> None:
    assert "--json" in {option for parameter in _command(path).params for option in parameter.opts}


def test_no_stack_named_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["tx", "abc", "--json"])
    captured = capsys.readouterr()
    assert ended.value.code == 2
    assert "--local" in captured.err and "--stack NAME" in captured.err
    assert '"code": "bad_input"' in captured.out
