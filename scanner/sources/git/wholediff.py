"""The staged text files, whole, from one `git diff --cached` with whole-file context: the pre-commit
fast path's source (scanner/app/quickstaged.py).

The full staged reader (staged.py) needs two git processes: `diff --cached -U0` for the added lines and
`cat-file --batch` for the blobs. With more context lines than a file can have, each changed file's
diff is one hunk that holds all of its new side, so one process gives both. Whatever this reader cannot
rebuild exactly (a binary or unmerged entry, a second hunk, a hunk that does not start at
line 1, a blank line git wrote without its space, more than the full reader holds) raises `Undecided`:
the caller then leaves the commit to the full reader. Git is started with `os.posix_spawn`, the same
command line and environment as `Git` gives it (scanner.sources.git.gitenv), without `subprocess`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from scanner.sources.git.diffparse import HOLD_BYTES, HOLD_LINES, STREAM_OVER, FileChange, parse_diff_lines
from scanner.sources.git.gitenv import DIFF_SAFE, git_argv

# Context lines asked for: more than a text file under STREAM_OVER can have (bigger ones are binary to diff).
CONTEXT = 1 << 30
# The blob of an empty file: a new empty file's diff has no hunk.
_EMPTY_BLOBS = frozenset(
    {"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"}
)


class Undecided(Exception):
    """This reader cannot give the staged content exactly: the full reader must."""


def diff_argv(top: str) -> list[str]:
    """The full reader's `diff --cached` (same renames, same binary threshold), with whole-file context.
    `diff.suppressBlankEmpty` would write an empty context line without its leading space."""
    config = (("core.bigFileThreshold", str(STREAM_OVER)), ("diff.suppressBlankEmpty", "false"))
    args = ("diff", "--cached", *DIFF_SAFE, f"-U{CONTEXT}", "-M", "--full-index", "--ignore-submodules=none")
    return git_argv(top, args, config)


def _executable(name: str, env: dict[str, str]) -> str | None:
    """`name` looked up on the PATH of `env`, as subprocess does."""
    for folder in os.get_exec_path(env):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


def staged_files(top: str, env: dict[str, str]) -> Iterator[tuple[FileChange, bytes | None]]:
    """Every path the index changes, with its new content (None: nothing of it is scanned, e.g. deleted).

    Memory is one file at a time (at most STREAM_OVER bytes of it); past the full reader's HOLD_BYTES or
    HOLD_LINES it raises Undecided, since the full reader then streams. Git's stderr is not read: a
    failing git raises Undecided and the full reader reports it."""
    exe = _executable("git", env)
    if exe is None:
        raise Undecided("git not found")
    read_fd, write_fd = os.pipe()
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, write_fd, 1),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ]
        pid = os.posix_spawn(exe, diff_argv(top), env, file_actions=actions)
    except OSError:
        os.close(read_fd)
        raise Undecided("git did not start") from None
    finally:
        os.close(write_fd)
    stream = open(read_fd, "rb", buffering=1 << 16)  # noqa: SIM115 - closed below, before git is waited for
    ended = False
    try:
        yield from _files(stream)
        ended = True
    finally:
        stream.close()
        if not ended:  # left early: git need not finish a diff nobody reads
            import signal

            os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
    if ended and os.waitstatus_to_exitcode(status) != 0:
        raise Undecided("git diff failed")


def skipped_submodule(change: FileChange, data: bytes | None) -> bool:
    """Is this entry one the full reader lists as skipped, "submodule: not followed" (a submodule the
    index adds or moves to another commit; a deleted one is passed over silently)?"""
    return data is None and change.is_submodule and change.status != "D" and change.new_sha is not None


def _files(stream: Iterator[bytes]) -> Iterator[tuple[FileChange, bytes | None]]:
    header: list[bytes] = []
    content = bytearray()
    hunks = 0
    old_left = new_left = 0  # lines of the current hunk still to come, per side
    last = b""  # kind of the last hunk line (b" ", b"+", b"-"): what "\ No newline" refers to
    tail = 0  # context lines at the end of the hunk so far
    held = added = 0
    for line in stream:
        if old_left or new_left:
            kind = line[:1]
            if kind == b" ":
                old_left -= 1
                new_left -= 1
                tail += 1
                content += memoryview(line)[1:]
            elif kind == b"+":
                new_left -= 1
                added += 1
                tail = 0
                content += memoryview(line)[1:]
            elif kind == b"-":
                old_left -= 1
                tail = 0
            elif kind != b"\\":
                raise Undecided("unexpected line in a hunk")
            if kind != b"\\":
                last = kind
            elif last in (b" ", b"+"):
                _drop_newline(content)
            if old_left < 0 or new_left < 0:
                raise Undecided("hunk longer than its header says")
            if len(content) > STREAM_OVER:  # the full reader streams it (git had it as text all the same)
                raise Undecided("a big file")
            continue
        if line.startswith(b"\\"):  # after a hunk's last line: that line has no newline
            if last in (b" ", b"+"):
                _drop_newline(content)
            last = b""
            continue
        if line.startswith((b"diff --git ", b"* Unmerged path ")):
            if header:
                held += len(content)
                yield _file(header, hunks, content, tail)
            header, content, hunks, last, tail = [line], bytearray(), 0, b"", 0
            if added > HOLD_LINES or held > HOLD_BYTES:
                raise Undecided("more than a staged scan holds")
        elif line.startswith(b"@@"):
            hunks += 1
            new_start, old_left, new_left = _hunk_header(line)
            if hunks > 1 or (new_left and new_start != 1):
                raise Undecided("the diff does not hold the whole file")
            last = b""
        elif header:
            header.append(line)
        else:
            raise Undecided("unexpected diff output")
    if header:
        held += len(content)
        if added > HOLD_LINES or held > HOLD_BYTES:
            raise Undecided("more than a staged scan holds")
        yield _file(header, hunks, content, tail)


def _drop_newline(content: bytearray) -> None:
    if not content.endswith(b"\n"):
        raise Undecided("two lines without a newline")
    del content[-1]


def _hunk_header(line: bytes) -> tuple[int, int, int]:
    """`@@ -a,b +c,d @@` -> (c, b, d); a missing count is 1."""
    parts = line.rstrip(b"\n").split(b" ", 4)
    if len(parts) < 4 or parts[3] != b"@@" or not parts[1].startswith(b"-") or not parts[2].startswith(b"+"):
        raise Undecided("unexpected hunk header")
    try:
        _, old_count = _range(parts[1][1:])
        new_start, new_count = _range(parts[2][1:])
    except ValueError:
        raise Undecided("unexpected hunk header") from None
    return new_start, old_count, new_count


def _range(text: bytes) -> tuple[int, int]:
    start, _, count = text.partition(b",")
    return int(start), int(count) if count else 1


def _file(header: list[bytes], hunks: int, content: bytearray, tail: int) -> tuple[FileChange, bytes | None]:
    """The header parsed by the full reader's own parser, and the new side of the file when it is scanned."""
    changes = parse_diff_lines(header)
    if len(changes) != 1:
        raise Undecided("unexpected diff header")
    change = changes[0]
    # In the order of staged.read_staged, which decides what the full reader does with each entry.
    if change.status == "U":
        raise Undecided("unmerged entry")
    if change.status == "D" or change.new_sha is None:
        return change, None  # the full reader scans nothing of it either (a deleted binary or submodule too)
    if change.is_submodule:
        return change, None  # the full reader lists it as skipped: see `skipped_submodule`
    if change.binary:
        raise Undecided("binary entry")
    if tail >= CONTEXT:
        raise Undecided("the file may go on past the hunk")
    if hunks == 0:
        if change.new_sha not in _EMPTY_BLOBS:
            raise Undecided("a changed file without a hunk")
        return change, b""
    return change, bytes(content)
