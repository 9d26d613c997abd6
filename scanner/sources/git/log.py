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
    """

    def __init__(self, git: Git, revs: Sequence[str], exclude: Sequence[str]) -> None:
        import tempfile

        args = [
            "log",
            *LOG_SAFE,
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "--diff-merges=combined",
            "--root",
            "-z",
            "--format=%x01%H%x1f%ct%x1f%P%x1f%aN <%aE>%x1f%aI",
            "--stdin",
        ]
        # Output to a file opened twice: git appends through one handle while we read through the
        # other (each with its own offset), from the moment the scan ends, not after git.
        fd, self._name = tempfile.mkstemp(prefix="mindee-scan-log-")
        self._out: Any = None
        try:
            self._out = open(self._name, "rb")  # noqa: SIM115 - closed by cancel/introductions
            with contextlib.suppress(OSError):  # POSIX: gone from the folder at once, kept while open
                os.unlink(self._name)
            # Revisions from a file, not a pipe: thousands of refs are more than a pipe holds, and a
            # pipe's write end inherited by the forked scan workers would keep git waiting for its end.
            with tempfile.TemporaryFile(prefix="mindee-scan-revs-") as revs_file:
                revs_file.write(revs_text(revs, exclude))
                revs_file.seek(0)
                self._proc = git.popen(*args, stdin=revs_file, stdout=fd, stderr=subprocess.DEVNULL, config=LOG_CONFIG)
        except BaseException:
            self._close()
            raise
        finally:
            os.close(fd)

    def running(self) -> bool:
        return self._proc.poll() is None

    def cancel(self) -> None:
        """Nothing needs provenance: stop git and drop what it wrote."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._close()

    def _close(self) -> None:
        if self._out is not None:  # (None when opening it failed)
            self._out.close()
        with contextlib.suppress(OSError):  # already unlinked (POSIX), or removable now that it is closed
            os.unlink(self._name)

    def introductions(
        self, blobs: set[str], known: Iterable[str] | None = None, graph: dict[str, str] | None = None
    ) -> tuple[list[Introduction], dict[str, CommitMeta], dict[str, str]]:
        """Where each of `blobs` entered history, oldest first.

        Also returns blobs the history names that are not in `known` (missing objects), with a path,
        and fills `graph` (commit -> its parents, space-separated) for `reaching_refs`.
        """
        try:
            raw_found, metas, absent = _parse_log(Follow(self._out, self._proc), blobs, known, graph)
        finally:
            self._close()
        # git's default order is newest first; stable sort keeps parents before children on equal times.
        raw_found.reverse()
        raw_found.sort(key=lambda item: item[0])
        # A merge is credited only with blobs no ordinary commit introduced anywhere (content a conflict
        # resolution wrote that a commit elsewhere also wrote belongs to that commit). Several tips make
        # git's order non-topological, so this is decided on the whole set, not on who came first.
        plain = {intro.blob for _, merge, intro in raw_found if not merge}
        found = [intro for _, merge, intro in raw_found if not merge or intro.blob not in plain]
        return found, metas, absent


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
