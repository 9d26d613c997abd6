"""Files read on a repository's say-so: regular files inside it, size-capped, never quoted in errors.

Issue 13: a committed `.mindee-scan-ignore -> /proc/self/environ` made `dir` and `git` print the CI
runner's whole environment, because the ignore file's parse error quoted the offending text.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.errors import ConfigError
from scanner.trust import read_repo_file
from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo

CANARY = "CANARY_TOKEN_f00dfacecafe1234"


def _env() -> dict[str, str]:
    return {"CI_DEPLOY_TOKEN": CANARY}


def _refused_without_quoting(target: Path, *said: str) -> None:
    """`dir target` fails (exit 2), its message says each of `said`, and nothing it prints holds the canary."""
    proc = run("dir", str(target))
    assert proc.returncode == 2
    for words in said:
        assert words in proc.stderr
    assert CANARY not in proc.stderr + proc.stdout


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["dir", "git"])
def test_ignore_symlink_to_environ_never_prints_the_environment(tmp_path: Path, command: str) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "app.py", "print('hello')\n")
    os.symlink("/proc/self/environ", repo / ".mindee-scan-ignore")
    git(repo, "add", ".mindee-scan-ignore")
    git(repo, "commit", "-q", "-m", "ignore")
    proc = run(command, str(repo), env=_env())
    assert CANARY not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert ".mindee-scan-ignore" in proc.stderr and "outside the scanned repository" in proc.stderr


@pytest.mark.timeout(60)
def test_bad_ignore_line_names_file_and_line_not_its_text(tmp_path: Path) -> None:
    (tmp_path / ".mindee-scan-ignore").write_text(f"# ok\n{CANARY} reason=x\n")
    (tmp_path / "a.txt").write_text("nothing\n")
    _refused_without_quoting(tmp_path, ".mindee-scan-ignore:2:")


@pytest.mark.timeout(30)
def test_fifo_and_device_are_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(ConfigError, match="not a regular file"):
        read_repo_file(str(tmp_path / "fifo"), str(tmp_path), "ignore file")
    os.symlink("/dev/zero", tmp_path / "zero")
    with pytest.raises(ConfigError, match="outside the scanned repository"):
        read_repo_file(str(tmp_path / "zero"), str(tmp_path), "baseline")


@pytest.mark.timeout(30)
def test_size_cap_and_undecodable_bytes(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(ConfigError, match="larger than 1024 bytes"):
        read_repo_file(str(big), str(tmp_path), "ignore file", max_bytes=1024)
    bad = tmp_path / "bad"
    bad.write_bytes(b"fine\n" + CANARY.encode() + b"\xff\n")
    with pytest.raises(ConfigError, match=r"bad:2: the config is not UTF-8") as info:
        read_repo_file(str(bad), str(tmp_path), "config")
    assert CANARY not in str(info.value)


@pytest.mark.timeout(60)
def test_config_symlink_outside_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"exclude: ['{CANARY}']\nmax_file_size: x{CANARY}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("nothing\n")
    os.symlink(outside, repo / ".mindee-scan.yaml")
    _refused_without_quoting(repo, "outside the scanned repository")


@pytest.mark.timeout(60)
def test_yaml_error_does_not_quote_the_config(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing\n")
    (tmp_path / ".mindee-scan.yaml").write_text(f"exclude: !{CANARY} [a]\n")
    _refused_without_quoting(tmp_path, ".mindee-scan.yaml:1: invalid YAML")
