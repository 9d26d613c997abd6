"""Provenance: `git log --raw` (tree diffs only, no content) over the scanned commits, started once
something is found and run beside the scan: which commit introduced which (path, blob), so a finding
gets its first commit, author, date and other places."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterable, Sequence
from typing import Any

from scanner.record import record
from scanner.sources.git.gitio import LOG_CONFIG, LOG_SAFE, NULL_SHA, Git
from scanner.sources.git.objects import CommitMeta
from scanner.sources.git.refs import revs_text


@record(frozen=True, slots=True)
class Introduction:
    """A commit that put `blob` at `path` (its tree differs from every parent there)."""

    commit: str
    path: str
    blob: str


_FORMAT = "--format=%x01%H%x1f%ct%x1f%P%x1f%aN <%aE>%x1f%aI"


class HistoryLog:
    """Where blobs entered history: `git log --raw` (tree diffs only, no content) over the scanned
    commits, started once something needs it and read from the moment the scan ends.

    git writes to an unlinked temporary file, not a pipe, so it never waits for a reader; `cancel`
    stops it for good. Streamed in git's default
    order (no --reverse or --date-order, which make git hold every commit of a 250,000-commit mirror
    in memory) and sorted here, for the wanted blobs only. A merge shows only the paths where its
    result differs from every parent (git's combined diff): a conflict resolution or an edit made in
    the merge, not what it brings along from a branch (and much cheaper than diffing merges against
    their first parent: docs/git.md).

    `merges=False` leaves the merges' combined diffs out of this walk (a third of its CPU on git/git:
    56,000 merges): a merge is credited only with blobs no ordinary commit introduced, so
    `introductions` walks the merges alone afterwards, and only when some wanted blob has no ordinary
    commit introducing it. Such a walk cannot name missing objects (a blob only a merge's combined
    diff names would be left out), so it takes no `known`.
    """

    def __init__(self, git: Git, revs: Sequence[str], exclude: Sequence[str], merges: bool = True) -> None:
        self._git = git
        self._revs = revs_text(revs, exclude)
        self._merges = merges
        diff_merges = "--diff-merges=combined" if merges else "--diff-merges=off"
        self._proc, self._out, self._name = _start(git, self._revs, diff_merges)
        self.merges_walked = False  # (whether `introductions` had to walk the merges afterwards)

    def running(self) -> bool:
        return self._proc.poll() is None

    def cancel(self) -> None:
        """Nothing needs provenance: stop git and drop what it wrote."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        _close(self._out, self._name)

    def introductions(
        self, blobs: set[str], known: Iterable[str] | None = None, graph: dict[str, str] | None = None
    ) -> tuple[list[Introduction], dict[str, CommitMeta], dict[str, str]]:
        """Where each of `blobs` entered history, oldest first.

        Also returns blobs the history names that are not in `known` (missing objects), with a path,
        and fills `graph` (commit -> its parents, space-separated) for `reaching_refs`.
        """
        if known is not None and not self._merges:
            raise ValueError("naming missing objects needs the merges' combined diffs in the walk")
        commits: dict[str, str] = {} if graph is None else graph
        try:
            raw_found, metas, absent = _parse_log(Follow(self._out, self._proc), blobs, known, commits)
        finally:
            _close(self._out, self._name)
        # A merge is credited only with blobs no ordinary commit introduced anywhere (content a conflict
        # resolution wrote that a commit elsewhere also wrote belongs to that commit). Several tips make
        # git's order non-topological, so this is decided on the whole set, not on who came first.
        plain = {intro.blob for _, merge, intro in raw_found if not merge}
        if not self._merges and blobs - plain:
            raw_found = self._with_merges(raw_found, blobs - plain, metas, commits)
        # git's default order is newest first; stable sort keeps parents before children on equal times.
        raw_found.reverse()
        raw_found.sort(key=lambda item: item[0])
        found = [intro for _, merge, intro in raw_found if not merge or intro.blob not in plain]
        return found, metas, absent

    def _with_merges(
        self,
        raw_found: list[tuple[int, bool, Introduction]],
        blobs: set[str],
        metas: dict[str, CommitMeta],
        commits: dict[str, str],
    ) -> list[tuple[int, bool, Introduction]]:
        """`raw_found` with what the merges' combined diffs say of `blobs`, in the order one walk of
        both would have listed them (git's order of commits, which the first walk listed in `commits`)."""
        self.merges_walked = True
        proc, out, name = _start(self._git, self._revs, "--diff-merges=combined", "--merges")
        try:
            merged, merge_metas, _ = _parse_log(Follow(out, proc), blobs, None, {})
        finally:
            proc.wait()
            _close(out, name)
        if not merged:
            return raw_found
        metas.update(merge_metas)
        position = {sha: i for i, sha in enumerate(commits)}
        together = raw_found + merged
        together.sort(key=lambda item: position.get(item[2].commit, len(position)))  # stable: a commit's own order
        return together


def _start(git: Git, revs: bytes, *diff_merges: str) -> tuple[subprocess.Popen[bytes], Any, str]:
    """git's walk writing to a file opened twice: git appends through one handle while we read through
    the other (each with its own offset), from the moment the scan ends, not after git."""
    import tempfile

    args = ["log", *LOG_SAFE, "--raw", "--no-renames", "--no-abbrev", *diff_merges, "--root", "-z", _FORMAT, "--stdin"]
    fd, name = tempfile.mkstemp(prefix="mindee-scan-log-")
    out: Any = None
    try:
        out = open(name, "rb")  # noqa: SIM115 - closed by cancel/introductions
        with contextlib.suppress(OSError):  # POSIX: gone from the folder at once, kept while open
            os.unlink(name)
        # Revisions from a file, not a pipe: thousands of refs are more than a pipe holds, and a
        # pipe's write end inherited by the forked scan workers would keep git waiting for its end.
        with tempfile.TemporaryFile(prefix="mindee-scan-revs-") as revs_file:
            revs_file.write(revs)
            revs_file.seek(0)
            proc = git.popen(*args, stdin=revs_file, stdout=fd, stderr=subprocess.DEVNULL, config=LOG_CONFIG)
    except BaseException:
        _close(out, name)
        raise
    finally:
        os.close(fd)
    return proc, out, name


def _close(out: Any, name: str) -> None:
    if out is not None:  # (None when opening it failed)
        out.close()
    with contextlib.suppress(OSError):  # already unlinked (POSIX), or removable now that it is closed
        os.unlink(name)


class Follow:
    """A file read as its writer appends to it, to the writer's end."""

    def __init__(self, stream: Any, writer: subprocess.Popen[bytes]) -> None:
        self._stream = stream
        self._writer = writer

    def read(self, size: int) -> bytes:
        while True:
            chunk = self._stream.read(size)
            if chunk:
                return bytes(chunk)
            if self._writer.poll() is None:
                time.sleep(0.005)  # the end of what git wrote so far
                continue
            return bytes(self._stream.read(size))  # written between the last read and the writer's exit


def _parse_log(
    stream: Any,
    blobs: set[str],
    known: Iterable[str] | None,
    graph: dict[str, str] | None,
) -> tuple[list[tuple[int, bool, Introduction]], dict[str, CommitMeta], dict[str, str]]:
    """The -z log: a header token per commit, then per changed path a raw line token and a path token.

    Object ids are compared as bytes and decoded only for the wanted few: this loop sees every
    changed path of the history.
    """
    wanted = {b.encode() for b in blobs}
    present = {k.encode() for k in known} if known is not None else None
    raw_found: list[tuple[int, bool, Introduction]] = []
    metas: dict[str, CommitMeta] = {}
    commit = ""
    when = 0
    is_merge = False
    meta: CommitMeta | None = None
    want_path: bytes | None = None  # after a raw line: the blob whose path is the next token (b"": none)
    absent: dict[str, str] = {}  # blobs the history names but the object store lacks -> a path
    absent_seen: set[bytes] = set()
    pending_absent = b""
    null = NULL_SHA.encode()
    rest = b""
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop()
        for tok in tokens:
            if want_path is not None:
                if pending_absent:
                    absent[pending_absent.decode()] = tok.decode("utf-8", "surrogateescape")
                    pending_absent = b""
                if want_path:
                    path = tok.decode("utf-8", "surrogateescape")
                    raw_found.append((when, is_merge, Introduction(commit, path, want_path.decode())))
                    if meta is not None:
                        metas[commit] = meta
                want_path = None
                continue
            if tok[:1] == b"\n":
                tok = tok.lstrip(b"\n")
            first = tok[:1]
            if first == b":":
                # ":<old mode> <new mode> <old id> <new id> <status>"; a merge's combined diff has a
                # colon, a mode and an id per parent: "::<mode1> <mode2> <mode> <id1> <id2> <id> <status>"
                fields = tok.split(b" ")
                new_sha = fields[-2]
                want_path = new_sha if new_sha in wanted and not fields[-1].startswith(b"D") else b""
                if present is not None and new_sha not in present and new_sha not in absent_seen:
                    new_mode = fields[len(fields) // 2 - 1]
                    if new_mode != b"160000" and new_mode != b"000000" and new_sha != null:
                        absent_seen.add(new_sha)
                        pending_absent = new_sha  # its path is the next token
            elif first == b"\x01":
                sha, ct, parents, author, date = tok[1:].decode("utf-8", "replace").split("\x1f")
                commit, when, is_merge, meta = sha, int(ct or 0), " " in parents, CommitMeta(author, date)
                if graph is not None:
                    graph[sha] = parents
    return raw_found, metas, absent
