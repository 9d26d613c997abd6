"""Parse `git diff -U0 -M --full-index` output into per-file changes with the line numbers they add.

Only hunk headers and the first byte of each hunk line are read: the content itself is read from the
blob, so a finding's line is its line in the new file and legacy-key context outside the hunk counts.
"""

from __future__ import annotations

from scanner.lazyre import lazy_compile
from scanner.record import field, record
from scanner.sources.git.gitenv import NULL_SHA

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# Limits of a staged scan, shared by both readers of the index (staged.py, and wholediff.py for the hook's
# fast path). Blobs over STREAM_OVER are streamed when scanned, never held whole; git's diff treats them
# as binary (no content lines: `core.bigFileThreshold`), so whether a key is new is told by the previous
# version, as for binary files.
STREAM_OVER = 2 * 1024 * 1024
# What one staged scan holds at once, whatever the commit adds: staged blob bytes, and numbers of added
# lines (about 60 bytes each in a set). Past them, files are streamed one at a time like big ones.
HOLD_BYTES = 64 * 1024 * 1024
HOLD_LINES = 1_000_000

_HUNK = lazy_compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
GITLINK_MODE = "160000"


@record(slots=True)
class FileChange:
    """One file in a diff; `added` holds 1-based line numbers in the new file."""

    path: str
    old_path: str | None = None
    status: str = "M"  # A(dded) M(odified) D(eleted) R(enamed) C(opied) U(nmerged)
    old_sha: str | None = None
    new_sha: str | None = None
    mode: str = ""
    binary: bool = False
    added: set[int] = field(default_factory=set)
    # The diff added more lines than a scan holds numbers for (see `parse_diff_lines`): `added` is
    # incomplete, so whether a key is new must be told another way (the previous version of the file).
    lines_dropped: bool = False

    @property
    def is_submodule(self) -> bool:
        return self.mode == GITLINK_MODE


def unquote(raw: bytes) -> str:
    """git's C-style quoting of unusual paths ("a\\tb", octal escapes) back to the path."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw.decode("utf-8", "surrogateescape")
    body = raw[1:-1]
    out = bytearray()
    i = 0
    simple = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8, ord("f"): 12,
              ord("r"): 13, ord("v"): 11}  # fmt: skip
    while i < len(body):
        c = body[i]
        if c == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            digits = body[i + 1 : i + 4]
            # git writes each byte as exactly three octal digits; anything else is taken as it stands.
            if len(digits) == 3 and all(48 <= d <= 55 for d in digits) and int(digits, 8) <= 255:
                out.append(int(digits, 8))
                i += 4
                continue
            out.append(simple.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _header_path(line: bytes) -> str:
    """'diff --git a/P b/P' -> P (both sides equal unless renamed; renames are read from later lines)."""
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"'):
        end = rest.index(b'" ', 1) + 1
        return _strip_prefix(unquote(rest[:end]), "a/")
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[:half].decode("utf-8", "surrogateescape"), "a/")


def parse_diff(output: bytes) -> list[FileChange]:
    return parse_diff_lines(output.split(b"\n"))


def parse_diff_lines(lines: Iterable[bytes], max_added: int | None = None) -> list[FileChange]:
    """The diff's files, read line by line (a streamed diff is never held whole). Past `max_added` added
    lines in all, a file keeps no more line numbers and is marked `lines_dropped`: memory stays bounded
    whatever the commit adds."""
    changes: list[FileChange] = []
    cur: FileChange | None = None
    next_line = 0
    in_hunk = False
    budget = max_added if max_added is not None else -1
    for raw in lines:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if in_hunk and cur is not None:
            first = line[:1]
            if first == b"+":
                if budget == 0 or cur.lines_dropped:
                    cur.lines_dropped = True
                else:
                    cur.added.add(next_line)
                    budget -= 1
                next_line += 1
                continue
            if first in (b"-", b"\\"):
                continue
            in_hunk = False
        if line.startswith(b"diff --git "):
            cur = FileChange(path=_header_path(line))
            changes.append(cur)
        elif line.startswith(b"* Unmerged path "):
            changes.append(FileChange(path=unquote(line[len(b"* Unmerged path ") :]), status="U"))
            cur = None
        elif cur is None:
            continue
        elif line.startswith(b"@@"):
            m = _HUNK.match(line)
            if m:
                next_line = int(m.group(1))
                in_hunk = True
        elif line.startswith(b"index "):
            shas, _, mode = line[6:].decode().partition(" ")
            old, _, new = shas.partition("..")
            cur.old_sha = None if old == NULL_SHA else old
            cur.new_sha = None if new == NULL_SHA else new
            if mode:
                cur.mode = mode
        elif line.startswith(b"new file mode "):
            cur.status, cur.mode = "A", line[14:].decode()
        elif line.startswith(b"deleted file mode "):
            cur.status, cur.mode = "D", line[18:].decode()
        elif line.startswith(b"new mode "):
            cur.mode = line[9:].decode()
        elif line.startswith((b"rename from ", b"copy from ")):
            cur.old_path = unquote(line.split(b" from ", 1)[1])
        elif line.startswith((b"rename to ", b"copy to ")):
            cur.status = "R" if line.startswith(b"rename") else "C"
            cur.path = unquote(line.split(b" to ", 1)[1])
        elif line.startswith(b"+++ "):
            target = line[4:].rstrip(b"\t")  # git adds a tab after names with spaces
            if target != b"/dev/null":
                cur.path = _strip_prefix(unquote(target), "b/")
        elif line.startswith(b"Binary files "):
            cur.binary = True
    return changes
