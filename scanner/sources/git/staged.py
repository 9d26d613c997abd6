"""What is staged for the next commit: the index (or $GIT_INDEX_FILE), never the working tree.

Two git calls, whatever the commit's size: one `diff --cached -U0` (which files, which lines they
add) and one `cat-file --batch` for the staged blobs. This is the pre-commit hook path: it imports
nothing heavy and never GitPython.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from typing import Any

from scanner.record import field, record
from scanner.sources.git.diffparse import HOLD_BYTES, HOLD_LINES, STREAM_OVER, FileChange, parse_diff_lines
from scanner.sources.git.gitio import DIFF_SAFE, HOOK_ENV, Git, GitError


@record(slots=True)
class StagedFile:
    change: FileChange
    data: bytes
    # The same path in the other side of a merge in progress: what it brings is not this commit's doing.
    merge_other: bytes | None = None
    old_data: bytes | None = None  # the previous version of a binary file (binary files have no lines)


@record(slots=True)
class Staged:
    files: list[StagedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)  # every path the index changes, scanned or not
    # Files over STREAM_OVER: not read here, streamed through the detector by `blob_pieces` (bounded memory).
    big: list[FileChange] = field(default_factory=list)


def staged_git(repo: str = ".") -> Git:
    """A Git for the repository a hook runs in: GIT_INDEX_FILE and friends set by git are honoured."""
    return Git(repo, keep_env=HOOK_ENV)


@record(frozen=True, slots=True)
class RepoInfo:
    top: str  # work tree top (where .mindee-scan.yaml lives); the git dir for a bare repository
    git_dir: str

    @property
    def merging(self) -> bool:
        return os.path.exists(os.path.join(self.git_dir, "MERGE_HEAD"))


def repo_info(git: Git) -> RepoInfo:
    """One git call for what the hook needs to know about the repository it runs in."""
    from scanner.errors import SourceError

    here = os.path.abspath(git.repo)
    if "GIT_DIR" not in git.env and os.path.isdir(os.path.join(here, ".git", "objects")):
        # Hooks run at the top of the work tree: no need to spend a git process to learn that.
        return RepoInfo(top=here, git_dir=os.path.join(here, ".git"))
    proc = git.run("rev-parse", "--absolute-git-dir", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise SourceError(f"not inside a git repository: {proc.stderr.decode('utf-8', 'replace').strip()}")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    return RepoInfo(top=lines[1] if len(lines) > 1 else lines[0], git_dir=lines[0])


def read_staged(git: Git, info: RepoInfo, max_size: int) -> Staged:
    out = Staged()
    # With no commit yet, `diff --cached` compares the index with the empty tree: every file is added.
    # Files over the size cap are "binary" to diff (no content lines: a 1 GB staged text file would
    # otherwise be a 1 GB diff held here); they are then skipped by size, unread.
    changes = _staged_changes(git, max_size)
    merging = info.merging
    specs: list[tuple[str, str]] = []
    wanted: list[FileChange] = []
    for ch in changes:
        out.paths.add(ch.path)
        if ch.status == "U":
            out.skipped.append((ch.path, "unmerged (resolve the conflict and stage the file)"))
            continue
        if ch.status == "D" or ch.new_sha is None:
            continue
        if ch.is_submodule:
            out.skipped.append((ch.path, "submodule: not followed"))
            continue
        if ch.lines_dropped:
            out.big.append(ch)  # streamed; its new keys told by the previous version
            continue
        wanted.append(ch)
        specs.append((ch.new_sha, ch.path))
        if ch.binary and ch.old_sha:
            specs.append((ch.old_sha, ""))
        if merging:
            specs.append((f"MERGE_HEAD:{ch.path}", ""))
    big: set[str] = set()
    blobs = _cat(git, specs, max_size, out, big)
    for ch in wanted:
        data = blobs.get(ch.new_sha or "")
        if data is None:
            if ch.new_sha in big:
                out.big.append(ch)
            continue
        old = blobs.get(ch.old_sha) if ch.binary and ch.old_sha else None
        other = blobs.get(f"MERGE_HEAD:{ch.path}") if merging else None
        out.files.append(StagedFile(ch, data, other, old))
    if merging:
        out.notes.append("merge in progress: content that the merged branch already had is not reported")
    return out


def _staged_changes(git: Git, max_size: int) -> list[FileChange]:
    """`diff --cached -U0`, parsed as git writes it: the diff is never held whole (a commit may add
    gigabytes of text), and at most HOLD_LINES added-line numbers are kept."""
    import threading

    proc = git.popen(
        "diff", "--cached", *DIFF_SAFE, "-U0", "-M", "--full-index", "--ignore-submodules=none",
        stdin=subprocess.DEVNULL, bufsize=1 << 16,
        config=(("core.bigFileThreshold", str(min(max_size, STREAM_OVER))),),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    err = bytearray()

    def drain(stream: Any) -> None:  # git's complaints are read beside its diff: no pipe fills and stalls
        while piece := stream.read(1 << 16):
            if len(err) < 1 << 16:
                err.extend(piece)

    reader = threading.Thread(target=drain, args=(proc.stderr,), daemon=True)
    reader.start()
    try:
        changes = parse_diff_lines(proc.stdout, HOLD_LINES)
    finally:
        proc.stdout.close()
        reader.join()
        proc.stderr.close()
        proc.wait()
    if proc.returncode != 0:
        raise git.failure("diff", bytes(err))
    return changes


def _cat(git: Git, specs: list[tuple[str, str]], max_size: int, out: Staged, big: set[str]) -> dict[str, bytes]:
    """Read several objects (spec, path to report) in one streamed cat-file call. An oversized one is
    skipped by its size, a big one (over STREAM_OVER) is named in `big`; both are read past in 1 MB
    pieces, never held whole. Past HOLD_BYTES held in all, a file's blob is named in `big` too (its
    previous version, or the other side of a merge, is then read when it is streamed)."""
    if not specs:
        return {}
    import threading

    request = "".join(s + "\n" for s, _ in specs).encode("utf-8", "surrogateescape")
    proc = git.popen("cat-file", "--batch", bufsize=1 << 16)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    def feed(stdin: Any) -> None:  # a thread: many specs fill the pipe while git's answers wait to be read
        with contextlib.suppress(OSError):
            stdin.write(request)
            stdin.close()

    writer = threading.Thread(target=feed, args=(proc.stdin,), daemon=True)
    writer.start()
    blobs: dict[str, bytes] = {}
    held = 0
    file_held = False  # the file whose previous version (or merge side) these path-less specs are
    try:
        for spec, path in specs:
            header = proc.stdout.readline().split()
            if not header:
                break  # git ended early: its error is below
            if len(header) < 3:  # "<spec> missing": e.g. the file is new in this merge
                file_held = file_held and not path
                continue
            size = int(header[2])
            small = size <= min(max_size, STREAM_OVER)
            keep = small and held + size <= HOLD_BYTES if path else small and file_held
            if path:
                file_held = keep
            if keep:
                blobs[spec] = proc.stdout.read(size)
                held += size
            else:
                left = size
                while left > 0 and (piece := proc.stdout.read(min(left, 1 << 20))):
                    left -= len(piece)
                if size <= max_size:
                    big.add(spec)
                elif path:
                    out.skipped.append((path, f"too large: {size} bytes"))
            proc.stdout.read(1)  # the newline after the content
    finally:
        proc.stdout.close()
        writer.join()
        err = proc.stderr.read()
        proc.stderr.close()
        proc.wait()
    if proc.returncode != 0:
        raise git.failure("cat-file", err)
    return blobs


def blob_pieces(git: Git, spec: str, piece: int = 1 << 20) -> Iterator[bytes]:
    """A blob's bytes in pieces from `git cat-file blob`, for a streamed scan (never held whole)."""
    proc = git.popen("cat-file", "blob", spec, bufsize=1 << 16)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while data := proc.stdout.read(piece):
            yield data
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        proc.wait()
    if proc.returncode != 0:
        raise git.failure("cat-file", err)


def blob_holds(git: Git, spec: str, needles: set[bytes]) -> set[bytes]:
    """Which of `needles` a (big) blob holds, read in pieces; a missing blob holds none."""
    if not needles:
        return set()
    keep = max(len(n) for n in needles) - 1
    found: set[bytes] = set()
    tail = b""
    with contextlib.suppress(GitError):  # a missing version (the other side of a merge) holds nothing
        for data in blob_pieces(git, spec):
            window = tail + data
            found.update(n for n in needles - found if n in window)
            tail = window[-keep:] if keep else b""
    return found
