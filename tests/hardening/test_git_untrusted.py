"""Scanning a hostile repository runs nothing it names: config, attributes and hooks are inert.

The repository below names one marker-writing program in every place git could run one from. A
control run of plain git proves the trap works; then every mindee-scan git command must leave no marker.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo
from tests.testing.keys import v2_key


def _trap(tmp_path: Path) -> tuple[Path, Path, str]:
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/$(basename "$0")-$1-$$"\nexit 0\n')
    evil.chmod(0o755)
    repo = init_repo(tmp_path / "hostile")
    key = v2_key()
    commit_file(repo, "a.txt", "hello\n")
    commit_file(repo, "a.txt", f"hello\nMINDEE_API_KEY={key}\n", message="second")
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "checkout", "-q", "main")
    # staged content for `mindee-scan staged`, written before the trap is set
    blob = git(repo, "hash-object", "-w", "--stdin", input=f"token={key}\n".encode())
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},b.txt")
    hooks = repo / "evil-hooks"
    hooks.mkdir()
    for name in ("pre-commit", "pre-push", "post-checkout", "post-index-change", "reference-transaction",
                 "fsmonitor-watchman", "pre-auto-gc"):  # fmt: skip
        (hooks / name).write_text(f'#!/bin/sh\n"{evil}" hook-{name}\n')
        (hooks / name).chmod(0o755)
        (repo / ".git" / "hooks" / name).write_text(f'#!/bin/sh\n"{evil}" githook-{name}\n')
        (repo / ".git" / "hooks" / name).chmod(0o755)
    settings = {
        "core.fsmonitor": f"{evil} fsmonitor",
        "core.pager": f"{evil} pager",
        "core.sshCommand": f"{evil} ssh",
        "core.hooksPath": str(hooks),
        "core.editor": f"{evil} editor",
        "core.askPass": f"{evil} askpass",
        "core.alternateRefsCommand": f"{evil} altrefs",
        "diff.external": f"{evil} external",
        "diff.evil.textconv": f"{evil} textconv",
        "diff.evil.command": f"{evil} diffcmd",
        "filter.evil.clean": f"{evil} clean",
        "filter.evil.smudge": f"{evil} smudge",
        "filter.evil.process": f"{evil} process",
        "filter.evil.required": "true",
        "log.showSignature": "true",
        "gpg.program": f"{evil} gpg",
        "gpg.format": "openpgp",
        "pager.log": f"{evil} pagerlog",
        "pager.diff": f"{evil} pagerdiff",
        "credential.helper": f"!{evil} credential",
        "uploadpack.packObjectsHook": f"{evil} packhook",
        "color.ui": "always",
        "diff.relative": "true",
    }
    for k, v in settings.items():
        git(repo, "config", k, v)
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    return repo, markers, key


def _markers(markers: Path) -> list[str]:
    return sorted(os.listdir(markers))


def test_the_trap_fires_for_plain_git(tmp_path: Path) -> None:
    repo, markers, _ = _trap(tmp_path)
    env = {**os.environ, **HERMETIC_ENV}
    subprocess.run(["git", "-C", str(repo), "diff", "HEAD~1", "HEAD"], env=env, capture_output=True)
    subprocess.run(["git", "-C", str(repo), "status"], env=env, capture_output=True)
    fired = _markers(markers)
    assert any("fsmonitor" in m for m in fired), fired
    assert any("process" in m for m in fired), fired  # the required filter, before diff.external


@pytest.mark.parametrize(
    "argv",
    [
        ("git", "{repo}"),
        ("git", "{repo}", "--branch", "topic"),
        ("git", "{repo}", "--since", "HEAD~1"),
        ("staged",),
        ("staged", "--all-lines", "a.txt", "b.txt"),
        ("pre-push", "origin", "file:///nowhere"),
    ],
)
def test_mindee_scan_runs_nothing_from_the_repository(tmp_path: Path, argv: tuple[str, ...]) -> None:
    repo, markers, key = _trap(tmp_path)
    args = [a.format(repo=repo) for a in argv]
    head = git(repo, "rev-parse", "HEAD")
    stdin = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n".encode()
    proc = run(*args, "--format", "json", "--show-secrets", cwd=repo, input=stdin)
    assert proc.returncode == 1, proc.stderr
    assert key in proc.stdout
    assert _markers(markers) == []


def test_lean_hook_entry_runs_nothing_from_the_repository(tmp_path: Path) -> None:
    import sys

    repo, markers, _ = _trap(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "scanner.hookrun", "pre-commit"], cwd=repo, capture_output=True,
                          text=True)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "b.txt:1" in proc.stdout
    assert _markers(markers) == []


def test_git_environment_of_the_caller_is_not_inherited(tmp_path: Path) -> None:
    """A GIT_DIR left by a calling hook must not redirect `mindee-scan git OTHER_REPO`."""
    decoy = init_repo(tmp_path / "decoy")
    decoy_key = v2_key()
    commit_file(decoy, "k.env", f"MINDEE_API_KEY={decoy_key}\n")
    target = init_repo(tmp_path / "target")
    commit_file(target, "a.txt", "clean\n")
    proc = run("git", str(target), "--show-secrets", env={"GIT_DIR": str(decoy / ".git"), "GIT_EXTERNAL_DIFF": "x"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert decoy_key not in proc.stdout
