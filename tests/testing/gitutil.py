"""Build real git repositories with the git CLI, hermetically (no user or system config)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERMETIC_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
    "LC_ALL": "C",
}


def git(repo: Path | str, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
    full_env = {**os.environ, **HERMETIC_ENV, **(env or {})}
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=full_env, input=input)
    return out.stdout.decode("utf-8", "replace").strip()


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    return path


def write_file(repo: Path, rel: str, content: str | bytes) -> None:
    """`content` at `rel` in the work tree, its folders made."""
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)


def stage_file(repo: Path, rel: str, content: str | bytes) -> None:
    write_file(repo, rel, content)
    git(repo, "add", "--", rel)


def commit_file(repo: Path, rel: str, content: str | bytes, message: str = "change", date: str | None = None) -> str:
    stage_file(repo, rel, content)
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD")


def snapshot_of_checkout(dest: Path, skip: tuple[str, ...] = ()) -> str:
    """This checkout's tracked and untracked-but-not-ignored files (less those under `skip`), committed as a
    new repository at `dest`, as a user would have them; its commit id."""
    from tests.testing.paths import ROOT

    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "-c", "-o", "--exclude-standard"], capture_output=True, check=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(skip):
            dst = dest / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    init_repo(dest)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD")
