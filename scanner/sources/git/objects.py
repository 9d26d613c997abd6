"""Git objects as a source: which objects to read and their bytes, with no diffing of content.

- the listing: `cat-file --batch-all-objects --batch-check` for a whole history (every blob and commit
  in the object store), or `rev-list --objects` piped into `cat-file --batch-check` for a range; each
  object once, with its size (oversized blobs are skipped without reading them);
- the bytes: `cat-file --batch-command --buffer` (plain `--batch` on old gits), one long-lived
  process per worker, fed a chunk at a time;
- raw commit and tag objects parsed for what a finding reports (author, date, tagger, message)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, NamedTuple

from scanner.record import field, record
from scanner.sources.git.gitio import LISTING_CONFIG, LOW_MEMORY_CONFIG, STREAM_CONFIG, Git
from scanner.sources.git.refs import revs_text

LFS_MAGIC = b"version https://git-lfs.github.com/spec/v1"
MESSAGE_PATH = "<commit message>"
TAG_MESSAGE_PATH = "<tag message>"  # an annotated tag's message (not a file)


class GitObject(NamedTuple):
    """One object to read: a blob (with one of its paths), a commit or an annotated tag (for its message).

    A named tuple: a whole-history listing makes one per object (1.7 million on a large mirror),
    and a tuple is made three times faster than a frozen dataclass.
    """

    sha: str
    kind: str  # "blob" | "commit" | "tag"
    size: int
    path: str = ""


@record(slots=True)
class ObjectListing:
    objects: list[GitObject] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None


@record(frozen=True, slots=True)
class CommitMeta:
    author: str
    date: str


@record(frozen=True, slots=True)
class TagMeta:
    """An annotated tag: its name, the object it tags (and that object's type), its tagger and date."""

    name: str
    target: str
    target_type: str
    tagger: str
    date: str


def is_partial_clone(git: Git) -> bool:
    """A `--filter` clone: blobs it never downloaded are absent, and we never fetch them."""
    if git.out("config", "--get", "extensions.partialclone", check=False).strip():
        return True
    return bool(git.out("config", "--get-regexp", r"^remote\..*\.promisor$", check=False).strip())


def packs_without_index(git: Git) -> list[str]:
    """Pack files whose `.idx` is gone: git silently ignores them, so every object inside is invisible.

    A deleted or never-written index makes a repository look empty or short (refs point at "missing"
    objects); nothing git prints at listing time says why, so we look for the orphan packs ourselves.
    """
    objects = git.out("rev-parse", "--git-path", "objects", check=False).strip()
    if not objects:
        return []
    pack_dir = os.path.join(objects if os.path.isabs(objects) else os.path.join(git.repo, objects), "pack")
    try:
        names = set(os.listdir(pack_dir))
    except OSError:
        return []
    return sorted(n for n in names if n.endswith(".pack") and n[: -len(".pack")] + ".idx" not in names)


class StoreListing:
    """Every blob and commit in the object store, in pack order (fastest to read back), with sizes.

    For a whole-history scan this replaces the `rev-list --objects` walk, which parses every tree of
    every commit (minutes on a 250,000-commit mirror, against seconds here). It also covers objects no
    ref reaches; paths are not known yet and are resolved later, only for what needs reporting.
    git starts at once and writes to an unlinked temporary file, so it lists while the refs are read;
    `read` parses what it wrote.
    """

    def __init__(self, git: Git) -> None:
        import tempfile

        self._out = tempfile.TemporaryFile(prefix="mindee-scan-objects-")  # noqa: SIM115 - closed by read/cancel
        self._err = tempfile.TemporaryFile(prefix="mindee-scan-objects-")  # noqa: SIM115 - closed by read/cancel
        self._proc = git.popen(
            "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objecttype) %(objectname) %(objectsize)",
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err, config=LISTING_CONFIG,
        )  # fmt: skip

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._out.close()
        self._err.close()

    def read(self) -> ObjectListing:
        listing = ObjectListing()
        self._proc.wait()
        self._out.seek(0)
        self._err.seek(0)
        objects = listing.objects
        try:
            for raw in self._out:
                parts = raw.split()
                if len(parts) != 3:  # "<sha> missing" (damaged pack entry) or noise: report, never crash
                    if parts and parts[-1] == b"missing":
                        listing.missing.append(parts[0].decode("ascii", "replace"))
                    continue
                kind, sha, size = parts
                # Literal kinds: one shared string each, not one per object (half a million on a big mirror).
                if kind == b"blob":
                    objects.append(GitObject(sha.decode(), "blob", int(size)))
                elif kind == b"commit":
                    objects.append(GitObject(sha.decode(), "commit", int(size)))
                elif kind == b"tag":
                    objects.append(GitObject(sha.decode(), "tag", int(size)))
            err = self._err.read().decode("utf-8", "replace").strip()
        finally:
            self._out.close()
            self._err.close()
        if self._proc.returncode != 0:
            listing.error = f"listing the object store failed: {err[-300:]}"
        return listing


def list_objects(git: Git, revs: Sequence[str], exclude: Sequence[str]) -> ObjectListing:
    """Blobs and commits reachable from `revs` but not from `exclude`, with sizes, in rev-list order."""
    listing = ObjectListing()
    if not revs:
        return listing
    walker = git.popen("rev-list", "--objects", "--missing=print", "--stdin", config=LOW_MEMORY_CONFIG)
    _send_revs(walker, revs, exclude)
    check = git.popen(
        "cat-file",
        "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)",
        stdin=walker.stdout,
        config=LOW_MEMORY_CONFIG,
    )
    assert walker.stdout is not None and check.stdout is not None
    walker.stdout.close()  # the checker owns the pipe now
    for raw in check.stdout:
        line = raw.rstrip(b"\n").decode("utf-8", "surrogateescape")
        if line.endswith(" missing"):
            listing.missing.append(line.split(" ", 1)[0].lstrip("?"))
            continue
        kind, sha, size, *rest = line.split(" ", 3)
        if kind == "blob" or kind == "commit" or kind == "tag":
            listing.objects.append(GitObject(sha, kind, int(size), rest[0] if rest else ""))
    check.wait()
    walker.wait()
    assert walker.stderr is not None and check.stderr is not None
    err = walker.stderr.read().decode("utf-8", "replace").strip()
    check.stderr.read()
    if walker.returncode != 0:
        listing.error = f"history walk stopped early (objects after that were not listed): {err[-300:]}"
    return listing


def _send_revs(proc: Any, revs: Sequence[str], exclude: Sequence[str]) -> None:
    """Revisions on stdin, not argv: a mirror with 60,000 pull-request refs overflows the argument list.

    git reads all of stdin before it writes anything, so writing it all first cannot deadlock.
    """
    try:
        proc.stdin.write(revs_text(revs, exclude))
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # git died; its stderr says why


class BlobPieces:
    """A big blob's bytes, read from cat-file's output in pieces while it is scanned (never held whole).

    Iterate it once, before the next object; whatever is not read is skipped by `stream_runs`.
    """

    def __init__(self, out: Any, size: int, piece: int = 1 << 20) -> None:
        self._out = out
        self.size = size
        self.left = size
        self._piece = piece

    def __iter__(self) -> Iterator[bytes]:
        while self.left > 0:
            data = self._out.read(min(self.left, self._piece))
            if not data:
                return  # git died mid-object: `stream_runs` sees `left` and resumes
            self.left -= len(data)
            yield data

    def drain(self) -> None:
        for _ in self:
            pass


class ObjectRun(NamedTuple):
    """Whole objects read in a row: object i's bytes are `data[start:end]` of `objects[i]`.

    `data` is the reader's buffer, with cat-file's header lines between the objects: valid only until
    the next item is asked of `stream_runs`. Each object is followed by a newline (cat-file's) and
    preceded by one (its header's), so a pass over a stretch of `data` sees at each object's edges
    what a pass over that object alone sees.
    """

    data: bytearray
    objects: list[tuple[GitObject, int, int]]


# What the reader asks the pipe for at once; it grows only for an object bigger than this.
_READ_BUFFER = 4 * 1024 * 1024


class _Output:
    """cat-file's output read into one reused buffer, as much as the pipe holds at each read.

    One buffer for the whole stream: a fresh bytes object per object (what a buffered file's `read`
    gives) was a copy of every byte read, and the objects handed on are mostly never copied at all
    (`ObjectRun`): only those a scan must read alone are.
    """

    def __init__(self, stream: Any, size: int) -> None:
        self._fd = stream.fileno()
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.pos = 0  # next byte to parse
        self.end = 0  # end of what was read

    def fill(self) -> bool:
        """Read more at the end of what is held (moving the unparsed rest to the front, or growing the
        buffer, when it is full); False at the end of the output. Offsets before `pos` are stale after."""
        if self.pos == self.end:
            self.pos = self.end = 0
        elif self.end == len(self.buf):
            rest = self.end - self.pos
            if self.pos:
                self.buf[:rest] = self.buf[self.pos : self.end]  # same length: never resized
            else:
                bigger = bytearray(2 * len(self.buf))
                bigger[:rest] = self.view[: self.end]
                self.buf, self.view = bigger, memoryview(bigger)
            self.pos, self.end = 0, rest
        n = os.readv(self._fd, [self.view[self.end :]])
        self.end += n
        return n > 0

    def read(self, size: int) -> bytes:
        """Up to `size` bytes (fewer only at the end of the output), as bytes: `BlobPieces` reads here."""
        if self.pos == self.end and not self.fill():
            return b""
        n = min(size, self.end - self.pos)
        data = bytes(self.view[self.pos : self.pos + n])
        self.pos += n
        return data


def each_object(
    items: Iterable[ObjectRun | tuple[GitObject, BlobPieces]],
) -> Iterator[tuple[GitObject, bytes | BlobPieces]]:
    """`stream_runs`' items object by object, each run's objects copied out as bytes."""
    for item in items:
        if isinstance(item, ObjectRun):
            view = memoryview(item.data)
            for obj, start, end in item.objects:
                yield obj, bytes(view[start:end])
        else:
            yield item


def stream_runs(
    git: Git,
    chunks: Iterable[Sequence[GitObject]],
    on_error: Callable[[GitObject, str], None],
    lookahead: int = 2,
    stream_over: int | None = None,
    config: Sequence[tuple[str, str]] = STREAM_CONFIG,
    buffer_size: int | None = None,
) -> Iterator[ObjectRun | tuple[GitObject, BlobPieces]]:
    """Every object of each chunk, from one `cat-file` process: runs of whole objects as they lie in
    its output (`ObjectRun`, at most a chunk each), and a blob over `stream_over` bytes alone, as
    `BlobPieces`, read while it is scanned (memory stays bounded whatever the blob's size).

    A chunk is taken from `chunks` only when fewer than `lookahead` chunks are waiting to be read, so
    workers that take chunks from one shared source all finish at about the same time (inflating
    costs differ by chunk, so fixed shares would leave a core idle).
    A missing object is reported and skipped. If git dies on a corrupt object, that object is
    reported and a fresh process resumes with the next one, so one bad object never ends the scan.
    `config` sizes git's pack windows and delta-base cache.
    """
    source = iter(chunks)
    leftover: list[GitObject] = []
    batched = batch_command_supported(git)
    while True:
        feed = _Feed(chain([leftover], source) if leftover else source, lookahead, batched)
        if batched:
            # Buffered output, flushed once a chunk: on a VM every pipe write and wake-up is costly
            # (git writing object by object costs a third more CPU on both sides).
            proc = git.popen("cat-file", "--batch-command", "--buffer", config=config)
        else:
            proc = git.popen("cat-file", "--batch", config=config)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        _widen_pipe(proc.stdout)
        writer = threading.Thread(target=feed.run, args=(proc.stdin,), daemon=True)
        writer.start()
        out = _Output(proc.stdout, buffer_size or _READ_BUFFER)
        queue = feed.queue
        failed = False
        answered = 0
        run: list[tuple[GitObject, int, int]] = []
        try:
            # The parse loop keeps the buffer and its offsets in locals (it runs once an object) and
            # hands them back to `out` whenever it reads more.
            buf, pos, end = out.buf, 0, 0
            while True:
                newline = buf.find(b"\n", pos, end)
                if newline < 0:
                    if run:  # reading more may move what the run points at
                        yield ObjectRun(buf, run)
                        run = []
                    out.pos = pos
                    more = out.fill()
                    buf, pos, end = out.buf, out.pos, out.end
                    if more:
                        continue
                    # End of output: every chunk was read, or git died.
                    feed.stop()
                    writer.join()
                    failed = not feed.exhausted or bool(queue)
                    break
                word = buf[buf.rfind(b" ", pos, newline) + 1 : newline]  # "<id> <type> <size>" or "<id> missing"
                pos = newline + 1
                answered += 1
                obj, last = queue.popleft()
                if last:
                    feed.room.release()
                if word == b"missing":
                    on_error(obj, "missing object")
                    continue
                size = int(word)
                if stream_over is not None and size > stream_over and obj.kind == "blob":
                    if run:
                        yield ObjectRun(buf, run)
                        run = []
                    out.pos = pos
                    pieces = BlobPieces(out, size)
                    yield obj, pieces
                    pieces.drain()
                    if pieces.left:  # git died while streaming this object
                        queue.appendleft((obj, False))
                        failed = True
                        break
                    out.read(1)
                    buf, pos, end = out.buf, out.pos, out.end
                    continue
                if end - pos <= size:  # the object and its newline are not all read yet
                    if run:
                        yield ObjectRun(buf, run)
                        run = []
                    out.pos = pos
                    while out.end - out.pos <= size and out.fill():
                        pass
                    buf, pos, end = out.buf, out.pos, out.end
                    if end - pos < size:  # git died while streaming this object
                        queue.appendleft((obj, False))
                        failed = True
                        break
                run.append((obj, pos, pos + size))
                pos = min(pos + size + 1, end)
                if last:  # a run ends with its chunk (the feed already asked for the next one)
                    yield ObjectRun(buf, run)
                    run = []
            if run:
                yield ObjectRun(buf, run)
                run = []
        finally:
            feed.stop()
            if failed or writer.is_alive():
                proc.kill()
            proc.wait()
            writer.join(timeout=5)
            err = proc.stderr.read().decode("utf-8", "replace").strip()
            proc.stdout.close()
            proc.stderr.close()
        if not failed:
            return
        reason = f"unreadable object: {err[-200:] or 'git cat-file stopped'}"
        if batched and queue:
            # Buffered output died with git: which object killed it is unknown. Ask again object by
            # object (plain --batch flushes each one), which names it exactly.
            batched = False
            leftover = [obj for obj, _ in queue]
            continue
        if not queue:
            if answered:  # git died between chunks: carry on with a fresh one
                leftover = []
                continue
            # git dies before answering anything: the rest is reported unread, not retried forever.
            for chunk in source:
                for obj in chunk:
                    on_error(obj, reason)
            return
        bad, _ = queue.popleft()
        on_error(bad, reason)
        leftover = [obj for obj, _ in queue]


_BATCH_COMMAND: dict[str, bool] = {}


def batch_command_supported(git: Git) -> bool:
    """`cat-file --batch-command` with `flush` arrived in git 2.36; older gits get plain `--batch`.

    Asked once per process (call it before forking workers so they inherit the answer)."""
    if "ok" not in _BATCH_COMMAND:
        words = git.run("version", check=False).stdout.decode("ascii", "replace").split()
        numbers = words[2].split(".")[:2] if len(words) >= 3 else []
        try:
            _BATCH_COMMAND["ok"] = tuple(int(n) for n in numbers) >= (2, 36)
        except ValueError:
            _BATCH_COMMAND["ok"] = False
    return _BATCH_COMMAND["ok"]


def _widen_pipe(stream: Any, size: int = 1 << 20) -> None:
    """A 1 MB pipe instead of 64 kB: git and the reader wake each other less often. Linux only."""
    with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, size)


class _Feed:
    """Writes object ids to cat-file, a chunk at a time, recording each in `queue` before git can answer.

    In `--batch-command --buffer` mode git runs the commands of a chunk when it reads `flush`, and
    flushes its output then, so the reader always gets a chunk's last object (which frees room for the
    next chunk) without waiting for more input: the two never wait for each other.
    """

    def __init__(self, chunks: Iterator[Sequence[GitObject]], lookahead: int, batched: bool) -> None:
        self.chunks = chunks
        self.batched = batched
        self.queue: deque[tuple[GitObject, bool]] = deque()  # (object, last of its chunk)
        self.room = threading.Semaphore(lookahead)
        self.exhausted = False  # every chunk was written and stdin closed
        self._stopped = False

    def run(self, stdin: Any) -> None:
        try:
            while True:
                self.room.acquire()
                if self._stopped:
                    break
                chunk = next(self.chunks, None)
                if chunk is None:
                    self.exhausted = True
                    break
                if not chunk:
                    self.room.release()
                    continue
                objects = list(chunk)  # once: a packed chunk rebuilds each object as it is read
                self.queue.extend([(obj, False) for obj in objects[:-1]])
                self.queue.append((objects[-1], True))
                ids = [obj.sha for obj in objects]
                if self.batched:
                    stdin.write(("contents " + "\ncontents ".join(ids) + "\nflush\n").encode())
                else:
                    stdin.write(("\n".join(ids) + "\n").encode())
                stdin.flush()
            stdin.close()  # git answers what it was asked, then ends its output
        except (BrokenPipeError, OSError, ValueError):
            pass  # the reader saw git die and reports it

    def stop(self) -> None:
        """Let a feeder waiting for room finish (the reader is gone)."""
        self._stopped = True
        self.room.release()


def message_start(data: bytes | bytearray, start: int, end: int) -> int:
    """Where the message of the raw commit or tag object `data[start:end]` begins (its headers end at the
    first blank line); `end` when it has none."""
    blank = data.find(b"\n\n", start, end)
    return end if blank < 0 else blank + 2


def tag_meta(data: bytes) -> TagMeta:
    """Name, target and tagger of a raw annotated tag object; parsed only for tags with findings."""
    fields: dict[bytes, bytes] = {}
    for line in data.partition(b"\n\n")[0].split(b"\n"):
        key, _, value = line.partition(b" ")
        fields.setdefault(key, value)
    tagger, date = _ident(fields[b"tagger"]) if b"tagger" in fields else ("", "")
    return TagMeta(
        name=fields.get(b"tag", b"").decode("utf-8", "replace"),
        target=fields.get(b"object", b"").decode("ascii", "replace"),
        target_type=fields.get(b"type", b"").decode("ascii", "replace"),
        tagger=tagger,
        date=date,
    )


def commit_meta(data: bytes) -> CommitMeta:
    """Author and ISO date of a raw commit object; parsed only for commits with findings."""
    head = data.partition(b"\n\n")[0]
    for line in head.split(b"\n"):
        if line.startswith(b"author "):
            return CommitMeta(*_ident(line[7:]))
    return CommitMeta("", "")


def _ident(raw: bytes) -> tuple[str, str]:
    """'Name <mail> 1700000000 +0100' -> ('Name <mail>', ISO 8601 date)."""
    from datetime import datetime, timedelta, timezone

    text = raw.decode("utf-8", "replace")
    who, _, when = text.rpartition("> ")
    try:
        ts_text, tz_text = when.split()
        sign = -1 if tz_text.startswith("-") else 1
        offset = timedelta(hours=int(tz_text[1:3]), minutes=int(tz_text[3:5])) * sign
        date = datetime.fromtimestamp(int(ts_text), timezone(offset)).isoformat()
    except (ValueError, IndexError):
        date = ""
    return who + ">", date


def blobs_at(git: Git, commit: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Blob ids in `commit`'s tree, and its gitlinks (submodule path, pinned commit)."""
    proc = git.run("ls-tree", "-r", "-z", "--full-tree", commit, check=False)
    blobs: set[str] = set()
    links: list[tuple[str, str]] = []
    if proc.returncode != 0:
        return blobs, links
    for entry in proc.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        _mode, kind, sha = meta.decode().split(" ")
        if kind == "blob":
            blobs.add(sha)
        elif kind == "commit":
            links.append((path.decode("utf-8", "surrogateescape"), sha))
    return blobs, links


def tree_blobs(git: Git, tree: str) -> list[tuple[str, str]]:
    """(path, blob id) of every blob under `tree` (a ref may point at a tree rather than a commit)."""
    proc = git.run("ls-tree", "-r", "-z", "--full-tree", tree, check=False)
    out: list[tuple[str, str]] = []
    for entry in proc.stdout.split(b"\0") if proc.returncode == 0 else []:
        meta, _, path = entry.partition(b"\t")
        parts = meta.decode("ascii", "replace").split(" ")
        if len(parts) == 3 and parts[1] == "blob":
            out.append((path.decode("utf-8", "surrogateescape"), parts[2]))
    return out
