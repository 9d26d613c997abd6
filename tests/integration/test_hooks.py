"""The hooks as users run them: through the real pre-commit framework, and as plain git hooks.

The framework test installs this checkout (as it is now, committed or not) into a throw-away
pre-commit home once per module, so it costs one environment build (~20 s, needs PyPI or a pip cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testing import paths
from tests.testing.cli import run
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo, snapshot_of_checkout
from tests.testing.keys import v2_key

PROJECT = paths.ROOT
BIN = Path(sys.executable).parent


def sh(repo: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command (git, pre-commit) as a user would, hooks and all."""
    full = {**os.environ, **HERMETIC_ENV, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    return subprocess.run(list(argv), cwd=repo, env=full, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """A snapshot of this checkout as a git repo (pre-commit installs hooks from a repo + rev)."""
    root = tmp_path_factory.mktemp("hooksrc")
    snap = root / "mindee-scan"
    rev = snapshot_of_checkout(snap, skip=("bench/", "tests/data/"))
    yield snap, rev, root / "pre-commit-home"


def _framework_repo(tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> tuple[Path, dict[str, str]]:
    snap, rev, home = hook_repo
    repo = init_repo(tmp_path / "work")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snap}\n    rev: {rev}\n    hooks:\n"
        "      - id: mindee-scan\n      - id: mindee-scan-pre-push\n"
    )
    env = {"PRE_COMMIT_HOME": str(home)}
    proc = sh(repo, "pre-commit", "install", "-t", "pre-commit", "-t", "pre-push", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(repo, "add", ".pre-commit-config.yaml")
    proc = sh(repo, "git", "commit", "-q", "-m", "add pre-commit config", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo, env


@pytest.mark.slow  # the pre-commit framework builds its own environment
def test_pre_commit_framework_blocks_a_key_and_passes_clean_commits(
    tmp_path: Path, hook_repo: tuple[Path, str, Path]
) -> None:
    repo, env = _framework_repo(tmp_path, hook_repo)
    head = git(repo, "rev-parse", "HEAD")
    key = v2_key()
    (repo / "settings.py").write_text(f"DEBUG = False\nMINDEE_API_KEY = '{key}'\n")
    git(repo, "add", "settings.py")
    blocked = sh(repo, "git", "commit", "-m", "add settings", env=env)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    out = blocked.stdout + blocked.stderr
    assert "settings.py:2:" in out and "Three ways forward" in out and "revoke" in out
    assert key not in out
    assert git(repo, "rev-parse", "HEAD") == head

    (repo / "settings.py").write_text("DEBUG = False\nMINDEE_API_KEY = os.environ['MINDEE_API_KEY']\n")
    git(repo, "add", "settings.py")
    clean = sh(repo, "git", "commit", "-m", "add settings", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert git(repo, "rev-parse", "HEAD") != head

    # `pre-commit run --all-files` scans committed files whole instead of passing with nothing staged
    (repo / "legacy.env").write_text(f"MINDEE_API_KEY={key}\n")
    git(repo, "add", "legacy.env")
    git(repo, "commit", "-q", "--no-verify", "-m", "committed past the hook")
    all_files = sh(repo, "pre-commit", "run", "mindee-scan", "--all-files", env=env)
    assert all_files.returncode == 1, all_files.stdout + all_files.stderr
    assert "legacy.env:1:" in all_files.stdout


@pytest.mark.slow
def test_pre_commit_framework_pre_push(tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> None:
    repo, env = _framework_repo(tmp_path, hook_repo)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    old = v2_key()
    (repo / "old.env").write_text(f"MINDEE_API_KEY={old}\n")
    git(repo, "add", "old.env")
    git(repo, "commit", "-q", "--no-verify", "-m", "old key, pushed long ago")
    assert sh(repo, "git", "push", "-q", "--no-verify", "origin", "main", env=env).returncode == 0

    git(repo, "checkout", "-q", "-b", "feature")
    commit_file(repo, "feature.txt", "clean work\n")
    pushed = sh(repo, "git", "push", "-q", "origin", "feature", env=env)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr  # the remote already has old.env

    (repo / "new.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "new.env")
    git(repo, "commit", "-q", "--no-verify", "-m", "new key")
    blocked = sh(repo, "git", "push", "origin", "feature", env=env)
    assert blocked.returncode != 0
    out = blocked.stdout + blocked.stderr
    assert "new.env:1:" in out and "old.env" not in out
    assert "pre-push hook blocked the push" in out


def test_install_hook_writes_a_plain_git_hook(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    proc = run("install-hook", str(repo))
    assert proc.returncode == 0, proc.stderr
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert hook.stat().st_mode & 0o111
    key = v2_key()
    (repo / "k.py").write_text(f"MINDEE_API_KEY = '{key}'\n")
    git(repo, "add", "k.py")
    blocked = sh(repo, "git", "commit", "-m", "k")
    assert blocked.returncode == 1 and "k.py:1:" in blocked.stdout + blocked.stderr, blocked.stderr
    (repo / "k.py").write_text("MINDEE_API_KEY = None\n")
    git(repo, "add", "k.py")
    assert sh(repo, "git", "commit", "-q", "-m", "k").returncode == 0
    # re-installing our own hook is fine; a foreign hook is never clobbered without --force
    assert run("install-hook", str(repo)).returncode == 0
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = run("install-hook", str(repo))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert run("install-hook", "--force", str(repo)).returncode == 0


def test_install_hook_pre_push_reads_git_stdin(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    commit_file(repo, "a.txt", "a\n")
    assert run("install-hook", "--hook", "pre-push", str(repo)).returncode == 0
    assert sh(repo, "git", "push", "-q", "origin", "main").returncode == 0
    commit_file(repo, "k.env", f"MINDEE_API_KEY={v2_key()}\n")
    blocked = sh(repo, "git", "push", "-q", "origin", "main")
    assert blocked.returncode != 0 and "k.env:1:" in blocked.stdout + blocked.stderr, blocked.stderr


def test_pre_push_command_inputs(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    old, new = v2_key(), v2_key()
    base = commit_file(repo, "old.env", f"MINDEE_API_KEY={old}\n")
    git(repo, "update-ref", "refs/remotes/origin/main", base)
    tip = commit_file(repo, "new.env", f"MINDEE_API_KEY={new}\n")
    zero = "0" * 40
    cases = {
        "existing branch": dict(input=f"refs/heads/main {tip} refs/heads/main {base}\n".encode()),
        "new branch": dict(input=f"refs/heads/x {tip} refs/heads/x {zero}\n".encode()),
        "pre-commit env": dict(env={"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}),
    }
    for name, kwargs in cases.items():
        proc = run("pre-push", "origin", "url", "--show-secrets", cwd=repo, **kwargs)  # type: ignore[arg-type]
        assert proc.returncode == 1, (name, proc.stderr)
        assert new in proc.stdout and old not in proc.stdout, name
    deletion = run("pre-push", "origin", "url", cwd=repo, input=f"(delete) {zero} refs/heads/x {tip}\n".encode())
    assert deletion.returncode == 0, deletion.stdout + deletion.stderr


def test_install_hook_survives_a_moved_virtual_environment(tmp_path: Path) -> None:
    """The hook records this venv's Python; once it is gone, the hook finds mindee-scan another way
    (on PATH, then a python3 that imports it) or fails saying what to do, never `exec: ... not found`."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    assert run("install-hook", str(repo)).returncode == 0
    hook = repo / ".git" / "hooks" / "pre-commit"
    recorded = str(Path(sys.executable).absolute())
    text = hook.read_text()
    assert recorded in text
    hook.write_text(text.replace(recorded, str(tmp_path / "moved-away" / "bin" / "python")))
    (repo / "k.py").write_text(f"MINDEE_API_KEY = '{v2_key()}'\n")
    git(repo, "add", "k.py")
    system_path = "/usr/bin:/bin"

    via_path = sh(repo, "git", "commit", "-m", "k")  # `mindee-scan` of this venv is on PATH (sh puts it first)
    assert via_path.returncode == 1 and "k.py:1:" in via_path.stdout + via_path.stderr, via_path.stderr

    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')  # imports scanner; no script
    (shim / "python3").chmod(0o755)
    via_python = sh(repo, "git", "commit", "-m", "k", env={"PATH": f"{shim}{os.pathsep}{system_path}"})
    assert via_python.returncode == 1 and "k.py:1:" in via_python.stdout + via_python.stderr, via_python.stderr

    nowhere = sh(repo, "git", "commit", "-m", "k", env={"PATH": system_path})
    assert nowhere.returncode == 1, nowhere.stdout + nowhere.stderr
    assert "moved-away" in nowhere.stderr and "install-hook --hook pre-commit --force" in nowhere.stderr
    assert "not found" not in nowhere.stderr
