"""A bare "remote", a developer's clone that pushes to it, and CI checkouts made the way CI makes them.

`checkout()` repeats what actions/checkout does (init, add the remote, fetch branches and tags, or
only the one ref with `--depth=1`), so the action's script meets the same refs and shallow files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.testing.gitutil import git, init_repo


def remote_and_dev(tmp_path: Path) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    dev = init_repo(tmp_path / "dev")
    git(dev, "remote", "add", "origin", remote.as_uri())
    return remote, dev


def checkout(remote: Path, dest: Path, ref: str, sha: str, depth: int = 0) -> Path:
    """actions/checkout@v4: fetch-depth 0 fetches every branch and tag; 1 (its default) only `ref`, shallow."""
    init_repo(dest)
    git(dest, "remote", "add", "origin", remote.as_uri())
    if depth:
        target = f"refs/remotes/pull/{ref.split('/')[2]}/merge" if ref.startswith("refs/pull/") else _tracking(ref)
        git(dest, "fetch", "-q", "--no-tags", f"--depth={depth}", "origin", f"+{sha}:{target}")
    else:
        git(dest, "fetch", "-q", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        if ref.startswith("refs/pull/"):
            git(dest, "fetch", "-q", "origin", f"+{ref}:refs/remotes/pull/{ref.split('/')[2]}/merge")
    if ref.startswith("refs/heads/"):
        git(dest, "checkout", "-q", "--force", "-B", ref.removeprefix("refs/heads/"), sha)
    else:
        git(dest, "checkout", "-q", "--detach", sha)
    return dest


def _tracking(ref: str) -> str:
    if ref.startswith("refs/heads/"):
        return "refs/remotes/origin/" + ref.removeprefix("refs/heads/")
    return ref


def objects(repo: Path, *revs: str, kinds: tuple[str, ...] = ("blob", "commit")) -> int:
    """Blobs and commits (or `kinds`) `rev-list --objects REVS` reaches: what a scan of them must read."""
    listed = git(repo, "rev-list", "--objects", *revs).split("\n")
    shas = "\n".join(line.split(" ", 1)[0] for line in listed if line.strip()) + "\n"
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-check=%(objecttype)"],
        input=shas.encode(), capture_output=True, check=True,
    ).stdout.decode().split()  # fmt: skip
    return sum(1 for kind in out if kind in kinds)
