"""The one wrapper that runs git: nothing from a scanned repository's config may execute a program.

A security team scans repositories it does not trust. A repository's `.git/config` can name programs
(core.fsmonitor, core.pager, diff.external, gpg.program with log.showSignature, filters and textconv
drivers via .gitattributes, core.sshCommand, hooks...). Every git call goes through `Git`, which:
- starts from a scrubbed environment (no inherited GIT_* variables unless asked for, no system config,
  C locale, no pager, no terminal prompts, no lazy fetch, no protocol allowed),
- overrides every config key known to run a program with `-c` (command line config wins over the repo's),
- and callers use only plumbing plus `--no-ext-diff --no-textconv --no-show-signature` (see the
  `DIFF_SAFE` and `LOG_SAFE` flags), never commands that run filters (checkout, add, status, diff of the
  working tree).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from typing import Any

from scanner.errors import SourceError
from scanner.record import field, record

# Re-exported: git's callers import these from here.
from scanner.sources.git.gitenv import DIFF_SAFE as DIFF_SAFE
from scanner.sources.git.gitenv import HOOK_ENV as HOOK_ENV
from scanner.sources.git.gitenv import LOG_SAFE as LOG_SAFE
from scanner.sources.git.gitenv import NULL_SHA as NULL_SHA
from scanner.sources.git.gitenv import SAFE_CONFIG as SAFE_CONFIG
from scanner.sources.git.gitenv import git_argv, scrubbed_env


# Pack windows and delta-base caches are sized per job; the measurements behind each size are in
# docs/git.md ("Why the git settings are what they are").
def _pack_settings(limit: str, window: str, delta_base_cache: str) -> tuple[tuple[str, str], ...]:
    """git's three pack-memory settings, named once: how much pack to map, in what windows, and how many
    delta bases to keep."""
    return (
        ("core.packedGitLimit", limit),
        ("core.packedGitWindowSize", window),
        ("core.deltaBaseCacheLimit", delta_base_cache),
    )


# Bounded memory for long object streams: git otherwise maps whole packs (RSS the size of the pack).
LOW_MEMORY_CONFIG = _pack_settings("32m", "8m", "32m")
# The scan's cat-file streams read a run of neighbouring objects each, so a bigger delta-base cache keeps
# more bases for the deltas that follow; small windows cost little in pack order (the tree's memory).
STREAM_CONFIG = _pack_settings("16m", "4m", "48m")
# The one stream that reads while the provenance walk runs: the walk holds 150 MB and more itself.
STREAM_BESIDE_WALK_CONFIG = LOW_MEMORY_CONFIG
# Listing every object's type and size follows each delta to its base, all over the pack: with small
# windows git spends its time mapping and unmapping them.
LISTING_CONFIG = _pack_settings("176m", "16m", "8m")
# The provenance walk diffs the trees of consecutive commits all over the pack; fewer than eight windows
# thrash, and a smaller delta-base cache costs a quarter more CPU. Eight 4 MB windows cost no more CPU
# than eight of 8 MB and keep ansible's tree ~10 MB further under 400 MB (docs/git.md).
LOG_CONFIG = _pack_settings("32m", "4m", "32m")


class GitError(SourceError):
    """A git command failed; the message carries git's own words."""


@record
class Git:
    """Run git in one repository, safely. `keep_env` names GIT_* variables a hook needs (GIT_INDEX_FILE)."""

    repo: str
    keep_env: tuple[str, ...] = ()
    _env: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._env = scrubbed_env(self.keep_env)

    @property
    def env(self) -> dict[str, str]:
        return self._env

    def argv(self, args: Sequence[str], config: Sequence[tuple[str, str]] = ()) -> list[str]:
        return git_argv(self.repo, args, config)

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        config: Sequence[tuple[str, str]] = (),
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            proc = subprocess.run(
                self.argv(args, config),
                input=input,
                capture_output=True,
                env=self._env,
                stdin=None if input else subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None
        if check and proc.returncode != 0:
            raise self.failure(args[0], proc.stderr)
        return proc

    def failure(self, command: str, stderr: bytes) -> GitError:
        """The error for a git command that failed here, ending with what git said."""
        return GitError(f"git {command} failed in {self.repo}: {_tail(stderr)}")

    def out(self, *args: str, check: bool = True) -> str:
        """stdout as text (surrogateescape keeps odd bytes in paths round-trippable)."""
        return self.run(*args, check=check).stdout.decode("utf-8", "surrogateescape")

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def popen(
        self,
        *args: str,
        stdin: Any = subprocess.PIPE,
        stdout: Any = subprocess.PIPE,
        stderr: Any = subprocess.PIPE,
        bufsize: int = 1 << 20,
        config: Sequence[tuple[str, str]] = (),
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv(args, config),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=self._env,
            bufsize=bufsize,
        )


def _tail(stderr: bytes, limit: int = 400) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "no message"


def repo_toplevel(path: str) -> tuple[str, bool]:
    """(git dir or work tree to use with -C, is_bare); a clear error when `path` is not a repository."""
    if not os.path.isdir(path):
        raise SourceError(f"{path}: no such directory")
    git = Git(path)
    # --show-toplevel fails in a bare repository, so ask for the git dir too and pick.
    proc = git.run("rev-parse", "--is-bare-repository", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        msg = _tail(proc.stderr)
        if "dubious ownership" in msg:
            raise SourceError(
                f"{path}: git refuses to read a repository owned by another user ({msg.splitlines()[0]}). "
                "Clone it, or add it to safe.directory in your own git config if you trust its owner."
            )
        raise SourceError(f"{path}: not a git repository ({msg})")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    bare = bool(lines) and lines[0].strip() == "true"
    if bare:
        return lines[1] if len(lines) > 1 else path, True
    top = git.run("rev-parse", "--show-toplevel", check=False).stdout.decode("utf-8", "surrogateescape").strip()
    return top or path, False
