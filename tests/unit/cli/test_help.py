"""Every command and subcommand resolves and prints its help: a module moved without its entry in
scanner/cli/main.py's COMMANDS (or a broken import in a command module) fails here, not in a user's hands."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from scanner.cli.main import COMMANDS, cli
from scanner.hookrun import console

# The command tree users rely on. A command that disappears (LazyGroup hides a module it cannot find)
# must fail this list, not vanish from `--help` silently.
EXPECTED = {
    "audit": set(),
    "baseline": {"create", "update"},
    "completion": set(),
    "dir": set(),
    "findings": {"list", "report", "repos", "show", "triage"},
    "git": set(),
    "install-hook": set(),
    "pre-push": set(),
    "rules": set(),
    "staged": set(),
    "verify": set(),
    "version": set(),
}


def _walk(group: click.Group, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every command path under `group`, resolved through click as `mindee-scan ...` resolves it."""
    ctx = click.Context(group, info_name="mindee-scan")
    paths: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"{' '.join((*path, name))} is listed but does not resolve"
        paths.append((*path, name))
        if isinstance(command, click.Group):
            paths += _walk(command, (*path, name))
    return paths


def test_the_command_tree_is_complete() -> None:
    paths = _walk(cli, ())
    tree = {p[0]: {q[1] for q in paths if len(q) == 2 and q[0] == p[0]} for p in paths if len(p) == 1}
    assert tree == EXPECTED
    assert set(COMMANDS) == set(EXPECTED)


PATHS = [(), *((name,) for name in EXPECTED), *((name, sub) for name, subs in EXPECTED.items() for sub in subs)]


@pytest.mark.parametrize("path", sorted(PATHS), ids=lambda p: " ".join(p) or "mindee-scan")
def test_help_works(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """Through the console script's entry point, as `mindee-scan ... --help` runs."""
    assert console([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: mindee-scan {' '.join(path)}".rstrip() + " ")
    assert "-h, --help" in out


def test_short_help_option_and_hook_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert console(["-h"]) == 0
    assert "Commands:" in capsys.readouterr().out
    # The pre-commit framework's entry (`mindee-scan pre-commit`) is the staged command.
    assert console(["pre-commit", "--help"]) == 0
    assert capsys.readouterr().out.startswith("Usage: mindee-scan staged ")


def test_help_keeps_its_short_option_after_an_in_process_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`baseline create` parses its scan command in-process; click caches a command's help option on first
    use, so parsing it without the group's settings left `dir --help` without `-h` afterwards."""
    (tmp_path / "a.txt").write_text("nothing here\n")
    assert console(["baseline", "create", "-o", str(tmp_path / "b.json"), "dir", str(tmp_path / "a.txt")]) == 0
    capsys.readouterr()
    assert console(["dir", "--help"]) == 0
    assert "-h, --help" in capsys.readouterr().out
