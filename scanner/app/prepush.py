"""`mindee-scan pre-push`: the commits a push would send, read from git's pre-push input (or the
pre-commit framework's variables), scanned as a limited history scan.

A new branch is scanned only for commits that no remote-tracking ref already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

from scanner.config import Config
from scanner.model import ScanResult, ScanStats
from scanner.sources.git.gitio import NULL_SHA, Git


def push_updates(env: Mapping[str, str], stdin: IO[str] | None) -> list[tuple[str, str]]:
    """(local sha, remote sha) pairs from pre-commit's variables or, without them, git's pre-push stdin lines."""
    if env.get("PRE_COMMIT_TO_REF"):
        return [(env["PRE_COMMIT_TO_REF"], env.get("PRE_COMMIT_FROM_REF") or NULL_SHA)]
    out: list[tuple[str, str]] = []
    if stdin is None or stdin.isatty():
        return out
    for line in stdin.read().splitlines():
        parts = line.split()
        if len(parts) == 4:
            out.append((parts[1], parts[3]))
    return out


def scan_push(top: str, config: Config, updates: list[tuple[str, str]], remote: str | None) -> ScanResult:
    """Scan what `updates` add to the remote: each pushed tip, minus what the remote already has."""
    from scanner.app.history import GitScanOptions, scan_repository

    git = Git(top)
    include: list[str] = []
    exclude: list[str] = []
    remotes: list[str] | None = None
    for local_sha, remote_sha in updates:
        if local_sha == NULL_SHA:
            continue  # a deletion pushes no content
        include.append(local_sha)
        if remote_sha != NULL_SHA and git.ok("cat-file", "-e", f"{remote_sha}^{{commit}}"):
            exclude.append(remote_sha)
        else:
            if remotes is None:
                remotes = _remote_tips(git, remote)
            exclude.extend(remotes)
    if not include:
        return ScanResult(findings=[], stats=ScanStats(), target=top, source="pre-push")
    return scan_repository(
        GitScanOptions(
            repo=top, config=config, revs=tuple(dict.fromkeys(include)), exclude_revs=tuple(dict.fromkeys(exclude))
        )
    )


def _remote_tips(git: Git, remote: str | None) -> list[str]:
    """Every remote-tracking tip (of `remote` when known): a new branch excludes what they have."""
    pattern = f"refs/remotes/{remote}/" if remote and "/" not in remote and ":" not in remote else "refs/remotes/"
    out = git.out("for-each-ref", "--format=%(objectname)", pattern)
    tips = out.split()
    if not tips and pattern != "refs/remotes/":
        tips = git.out("for-each-ref", "--format=%(objectname)", "refs/remotes/").split()
    return tips
