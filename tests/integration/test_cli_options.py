"""Options users of gitleaks, trufflehog, detect-secrets and ggshield reach for, run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scanner.cli.main import cli, main
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock


def _tree(tmp_path: Path) -> tuple[Path, str]:
    key = v2_key()
    (tmp_path / "app.env").write_text(f"MINDEE_API_KEY={key}\n")
    return tmp_path, key


def test_exit_code_and_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _tree(tmp_path)
    assert main(["dir", str(root), "-q"]) == 1
    assert main(["dir", str(root), "-q", "--exit-code", "42"]) == 42
    assert main(["dir", str(root), "-q", "--exit-zero"]) == 0
    assert main(["dir", str(root), "--exit-code", "2"]) == 2  # refused: 2 means error
    assert "--exit-code 2 would read as an error" in capsys.readouterr().err
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.txt").write_text("nothing\n")
    assert main(["dir", str(clean), "-q", "--exit-code", "42"]) == 0


def test_exit_zero_never_hides_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert main(["dir", str(missing), "--exit-zero"]) == 2


def test_fail_on_live_needs_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _tree(tmp_path)
    assert main(["dir", str(root), "--fail-on", "live"]) == 2
    assert "--fail-on live needs --verify" in capsys.readouterr().err


def test_fail_on_live_fails_only_on_live_keys(tmp_path: Path, mindee: MindeeMock) -> None:
    root, key = _tree(tmp_path)
    urls = ["--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url]
    mindee.delete("v2", key)
    assert main(["dir", str(root), "-q", "--verify", "--fail-on", "live", *urls]) == 0
    assert main(["dir", str(root), "-q", "--verify", *urls]) == 1  # default: any finding fails
    mindee.live_v2(key, ["Invoices"])
    assert main(["dir", str(root), "-q", "--verify", "--fail-on", "live", *urls]) == 1


def test_redact_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, key = _tree(tmp_path)
    main(["dir", str(root), "-f", "json", "--redact", "100"])
    doc = json.loads(capsys.readouterr().out)
    (finding,) = doc["findings"]
    assert finding["secret"] == "…" and key[:7] not in json.dumps(doc)
    main(["dir", str(root), "-f", "json", "--redact", "50"])
    out = capsys.readouterr().out
    (finding,) = json.loads(out)["findings"]
    half = len(key) // 2
    assert finding["secret"] == key[:half] + "…"
    assert key[half:] not in out  # neither in the secret field nor in the snippet
    main(["dir", str(root)])
    assert f"{key[:7]}…{key[-3:]}" in capsys.readouterr().out  # the default is unchanged


def test_since_takes_a_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = init_repo(tmp_path / "r")
    old_key, new_key = v2_key(), v2_key()
    commit_file(repo, "old.env", f"MINDEE_API_KEY={old_key}\n", date="2023-01-01T00:00:00+00:00")
    commit_file(repo, "new.env", f"MINDEE_API_KEY={new_key}\n", date="2024-06-01T00:00:00+00:00")
    assert main(["git", str(repo), "--since", "2024-01-01", "-f", "json", "--show-secrets"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["secret"] for f in doc["findings"]] == [new_key]
    assert main(["git", str(repo), "--since", "2025-01-01", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    # A revision still works, and wins over a date-shaped name.
    first = git(repo, "rev-list", "--max-parents=0", "HEAD")
    git(repo, "tag", "2024-01-01", first)
    assert main(["git", str(repo), "--since", "2024-01-01", "-f", "json", "--show-secrets"]) == 1
    assert [f["secret"] for f in json.loads(capsys.readouterr().out)["findings"]] == [new_key]


def test_exclude_on_git_and_staged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "vendor/lib.env", f"MINDEE_API_KEY={v2_key()}\n")
    assert main(["git", str(repo), "-q"]) == 1
    assert main(["git", str(repo), "-q", "--exclude", "vendor/**"]) == 0
    (repo / "fixtures").mkdir()
    (repo / "fixtures" / "k.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "fixtures/k.env")
    monkeypatch.chdir(repo)
    assert main(["staged", "-q"]) == 1
    assert main(["staged", "-q", "--exclude", "fixtures/*"]) == 0


def test_dir_reads_standard_input(tmp_path: Path) -> None:
    key = v2_key()
    runner = CliRunner()
    res = runner.invoke(cli, ["dir", "-", "-f", "json"], input=f"diff\n+MINDEE_API_KEY={key}\n", standalone_mode=False)
    assert res.return_value == 1, res.output
    (finding,) = json.loads(res.stdout)["findings"]
    assert finding["path"] == "<stdin>" and finding["line"] == 2
    res = runner.invoke(cli, ["dir", "-", "--max-file-size", "10"], input="x" * 11, standalone_mode=False)
    assert res.return_value is None and "larger than the size cap" in str(res.exception)
    res = runner.invoke(cli, ["dir", "-", "."], input="", standalone_mode=False)
    assert "cannot be combined" in str(res.exception)


def test_version_command(capsys: pytest.CaptureFixture[str]) -> None:
    from scanner import __version__

    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith(f"mindee-scan {__version__} (Python ")
    assert main(["version", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["mindee_scan"] == __version__


def _commands(group: click.Group, ctx: click.Context, prefix: str) -> Iterator[tuple[str, click.Command]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, ctx, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", cmd


def test_short_options_mean_the_same_on_every_command() -> None:
    """-c is always --config, -f --format, -o --output, and each long option has its short form."""
    pairs = {"-c": "--config", "-f": "--format", "-o": "--output"}
    ctx = click.Context(cli)
    seen = 0
    for name, cmd in _commands(cli, ctx, "mindee-scan"):
        for param in cmd.params:
            if not isinstance(param, click.Option):
                continue
            for short, long in pairs.items():
                if short in param.opts or long in param.opts:
                    assert short in param.opts and long in param.opts, (name, param.opts)
                    seen += 1
    assert seen >= 20


def test_shell_completion(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["completion", "bash"]) == 0
    assert "_MINDEE_SCAN_COMPLETE=bash_complete" in capsys.readouterr().out
    monkeypatch.setenv("_MINDEE_SCAN_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "mindee-scan fin")
    monkeypatch.setenv("COMP_CWORD", "1")
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 0
    assert "plain,findings" in capsys.readouterr().out
