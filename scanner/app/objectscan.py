"""Every listed git object scanned once: chunks of neighbouring objects claimed by forked workers
(each with its own `cat-file --batch`), or scanned here when the work is small."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from scanner.app.cap import DistinctFindings
from scanner.app.pool import fallback_note, fork_context, forked, pool_failures
from scanner.app.progress import OnProgress, Progress
from scanner.detect.findings import STREAM_WINDOW, FindingBuilder, note_stream
from scanner.detect.prefilter import Hits
from scanner.detect.textio import plain_text_at
from scanner.model import Finding, ScanStats
from scanner.record import field, record
from scanner.sources.git.gitio import STREAM_BESIDE_WALK_CONFIG, Git
from scanner.sources.git.objects import (
    LFS_MAGIC,
    MESSAGE_PATH,
    TAG_MESSAGE_PATH,
    BlobPieces,
    CommitMeta,
    GitObject,
    ObjectRun,
    TagMeta,
    batch_command_supported,
    commit_meta,
    message_start,
    stream_runs,
    tag_meta,
)

_CHUNK_BYTES = 2 * 1024 * 1024
_CHUNK_OBJECTS = 2048
# Objects up to this size are prefiltered in batches (one Hyperscan call each, not one per object):
# 85% of ansible/ansible's 537k commits and blobs, of which fewer than one in ten has a hit.
_JOIN_MAX_BYTES = 32 * 1024
_JOIN_BATCH_BYTES = 512 * 1024
_JOIN_BATCH_OBJECTS = 1024


@record
class ShareResult:
    """What one worker found: findings keyed by object, with placeholder paths filled in later."""

    blob_hits: dict[str, list[Finding]] = field(default_factory=dict)
    message_hits: dict[str, tuple[list[Finding], CommitMeta]] = field(default_factory=dict)
    tag_hits: dict[str, tuple[list[Finding], TagMeta]] = field(default_factory=dict)
    unread: list[tuple[GitObject, str]] = field(default_factory=list)  # blobs not scanned, and why
    stats: ScanStats = field(default_factory=ScanStats)
    commits: int = 0
    tags: int = 0  # annotated tag messages read
    workers: int = 1
    dropped: int = 0  # findings over the distinct-findings budget (scanner.app.cap): counted, not kept


def _chunks(work: Sequence[GitObject]) -> list[Sequence[GitObject]]:
    """Runs of neighbouring objects (pack locality: a delta's base is usually close by), small enough
    that workers claiming them as they need them (`_ChunkClaims`) end within a chunk of each other."""
    chunks: list[Sequence[GitObject]] = []
    current: list[GitObject] = []
    size = 0
    for obj in work:
        current.append(obj)
        size += obj.size + 256
        if size >= _CHUNK_BYTES or len(current) >= _CHUNK_OBJECTS:
            chunks.append(_pack(current))
            current = []
            size = 0
    if current:
        chunks.append(_pack(current))
    return chunks


_KINDS = ("blob", "commit", "tag")
_KIND_CODES = {kind: i for i, kind in enumerate(_KINDS)}


def _pack(objects: list[GitObject]) -> Sequence[GitObject]:
    """A chunk as `PackedChunk`, or as the list itself where it cannot be packed (ids of mixed lengths)."""
    width = len(objects[0].sha)
    if any(len(o.sha) != width or o.kind not in _KIND_CODES for o in objects):
        return objects
    return PackedChunk(objects, width)


class PackedChunk(Sequence[GitObject]):
    """A chunk's objects in three flat buffers (ids, sizes, kinds; paths only when some are known),
    each object rebuilt when it is read.

    The forked workers inherit the chunks. Held as tuples, every object a worker read had its
    reference count written, so the worker got its own copy of each page of the listing it touched:
    the listing paid for twice, 100 MB and more on a large mirror. Flat buffers are never written.
    """

    __slots__ = ("_kinds", "_paths", "_shas", "_sizes", "_width")

    def __init__(self, objects: list[GitObject], width: int) -> None:
        from array import array

        self._width = width
        self._shas = "".join([o.sha for o in objects])
        self._sizes = array("q", [o.size for o in objects])
        self._kinds = bytes([_KIND_CODES[o.kind] for o in objects])
        paths = [o.path for o in objects]
        self._paths: tuple[str, ...] | None = tuple(paths) if any(paths) else None

    def __len__(self) -> int:
        return len(self._kinds)

    def _object(self, i: int) -> GitObject:
        w = self._width
        path = self._paths[i] if self._paths is not None else ""
        return GitObject(self._shas[i * w : (i + 1) * w], _KINDS[self._kinds[i]], self._sizes[i], path)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._object(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("chunk index out of range")
        return self._object(index)

    def __iter__(self) -> Iterator[GitObject]:
        # Built in one comprehension: the reader's feed rebuilds every object of every chunk.
        w, shas, sizes, paths = self._width, self._shas, self._sizes, self._paths
        if paths is None:
            return iter([GitObject(shas[i * w : i * w + w], _KINDS[k], sizes[i]) for i, k in enumerate(self._kinds)])
        return iter(
            [GitObject(shas[i * w : i * w + w], _KINDS[k], sizes[i], paths[i]) for i, k in enumerate(self._kinds)]
        )


class _ChunkClaims:
    """Hands out each chunk index once across workers: even workers take chunks from the front, odd ones
    from the back, so each reads a run of neighbouring chunks (delta bases in its own cache) and they
    meet wherever their speeds put them. Taking chunks in turn cost 10% more cat-file CPU on ansible.
    """

    def __init__(self, total: int, ctx: Any = None) -> None:
        # Next index from the front, next from the back: in shared memory when the workers are forked.
        self._ends: Any = [0, total - 1]
        self._lock: Any = contextlib.nullcontext()
        if ctx is not None:
            self._ends = ctx.Array("q", self._ends)
            self._lock = self._ends.get_lock()

    def take(self, worker: int) -> int | None:
        with self._lock:
            front, back = self._ends[0], self._ends[1]
            if front > back:
                return None
            if worker % 2:
                self._ends[1] = back - 1
                return int(back)
            self._ends[0] = front + 1
            return int(front)

    def left(self) -> bool:
        """Are chunks left to claim?"""
        with self._lock:
            return bool(self._ends[0] <= self._ends[1])

    def claimed(
        self, chunks: list[Sequence[GitObject]], worker: int, stop: Callable[[], bool] | None = None
    ) -> Iterator[Sequence[GitObject]]:
        """The chunks `worker` claims, one at a time, as it needs them (none more once `stop()` says so)."""
        while not (stop is not None and stop()) and (index := self.take(worker)) is not None:
            yield chunks[index]


# --- scanning ----------------------------------------------------------------------------------


@record
class _Shared:
    """What every worker needs, inherited through the fork (the compiled detector is not picklable)."""

    git: Git
    builder: FindingBuilder
    chunks: list[Sequence[GitObject]]
    claims: _ChunkClaims
    counters: list[Any]
    found: Any  # a shared flag: set once a blob has a finding or could not be read
    walking: Any  # a shared flag: set while the provenance walk runs (workers but the first stand aside)


def _scan_share(index: int, shared: _Shared | None = None) -> ShareResult:
    """Worker `index` scans the chunks it claims; in a forked worker, `shared` is what its pool inherited."""
    if shared is None:
        from scanner.app.pool import inherited

        shared = inherited()
        assert shared is not None
    builder = shared.builder
    counter = shared.counters[index]
    out = ShareResult()
    stats = out.stats
    found_flag = shared.found
    held = DistinctFindings()

    def on_error(obj: GitObject, reason: str) -> None:
        if obj.kind == "blob":
            out.unread.append((obj, reason))  # reported with a path once provenance knows it
            found_flag.value = 1
        else:
            stats.skip(f"{obj.kind} {obj.sha[:12]}", reason)

    def message_findings(text: bytes, path: str, hits: Hits | None) -> list[Finding]:
        """A commit's or tag's message, scanned as the file `path` names."""
        found, _ = builder.from_bytes(text, path, hits)
        return held.keep(found)

    def scan_one(obj: GitObject, text: bytes, data: bytes, hits: Hits | None = None) -> None:
        """`hits`: the text's prefilter hits from the group's joined pass, when they are exact."""
        if obj.kind == "commit":
            if found := message_findings(text, MESSAGE_PATH, hits):
                out.message_hits[obj.sha] = (found, commit_meta(data))
            return
        if obj.kind == "tag":
            if found := message_findings(text, TAG_MESSAGE_PATH, hits):
                out.tag_hits[obj.sha] = (found, tag_meta(data))
            return
        found, binary = builder.from_bytes(text, obj.path, hits)
        if binary:
            stats.binary_files += 1
        found = held.keep(found)
        if found:
            out.blob_hits[obj.sha] = found
            found_flag.value = 1

    done_objects = 0
    done_bytes = 0
    for item in _objects(shared, index, on_error):
        if isinstance(item, ObjectRun):
            done_objects += len(item.objects)
            unread = len(out.unread)
            done_bytes += _scan_run(item, builder, out, scan_one)
            if len(out.unread) > unread:  # git-lfs pointers
                found_flag.value = 1
            counter[0], counter[1] = done_objects, done_bytes
            continue
        obj, pieces = item  # a big blob: scanned in bounded windows as it is read
        done_objects += 1
        done_bytes += pieces.size
        scan = builder.scan_stream(pieces, obj.path)
        note_stream(scan, obj.path, stats)
        stats.files_scanned += 1
        stats.bytes_scanned += scan.size
        stats.binary_files += int(scan.binary)
        found = held.keep(scan.findings)
        if found:
            out.blob_hits[obj.sha] = found
            found_flag.value = 1
    counter[0], counter[1] = done_objects, done_bytes
    out.dropped = held.dropped
    return out


def _scan_run(
    run: ObjectRun,
    builder: FindingBuilder,
    out: ShareResult,
    scan_one: Callable[[GitObject, bytes, bytes, Hits | None], None],
) -> int:
    """Scan a run of whole objects where they lie in the reader's buffer; the bytes read.

    The texts (blobs, and the messages of commits and tags) are prefiltered in one pass over the run,
    cat-file's header lines and the commits' headers included (a hit there belongs to no text; one
    across a text's edge only makes it read alone). Only the texts with a hit, and those that are not
    plain text (binary, UTF-16), are copied out and scanned one by one, in the order they came.
    """
    data = run.data
    stats = out.stats
    starts: list[int] = []
    ends: list[int] = []
    plain: list[int] = []  # object index of each text in starts
    alone: dict[int, Hits | None] = {}  # object index -> the hits to scan it with
    texts: dict[int, int] = {}  # object index -> where its text starts
    read = 0
    for i, (obj, start, end) in enumerate(run.objects):
        read += end - start
        kind = obj.kind
        if kind == "blob":
            stats.files_scanned += 1
            stats.bytes_scanned += end - start
            if end - start < 1024 and data.startswith(LFS_MAGIC, start, end):
                out.unread.append((obj, "git-lfs pointer: content is stored outside the repository"))
                continue
            text = start
        else:
            if kind == "commit":
                out.commits += 1
            else:
                out.tags += 1
            text = message_start(data, start, end)
        if text == end:
            continue  # nothing to scan (an empty blob)
        texts[i] = text
        if plain_text_at(data, text, end):
            starts.append(text)
            ends.append(end)
            plain.append(i)
        else:
            alone[i] = None
    if starts:
        alone.update(_prefilter_run(builder, data, starts, ends, plain))
    if alone:
        view = memoryview(data)
        for i in sorted(alone):
            obj, start, end = run.objects[i]
            scan_one(obj, bytes(view[texts[i] : end]), bytes(view[start:end]), alone[i])
    return read


def _prefilter_run(
    builder: FindingBuilder, data: bytearray, starts: list[int], ends: list[int], owners: list[int]
) -> Iterator[tuple[int, Hits | None]]:
    """(object index, hits) for each plain text of a run that needs a scan of its own.

    A first pass without start tracking over each stretch of the run says which texts may hold a hit;
    those go to `FindingBuilder.prefilter_group`, which places their hits. Where that pass cannot tell
    (too many hits, no Hyperscan), every text of the stretch goes there, copied out in groups as before,
    and `prefilter_group` tries its own first pass over them (without the headers between them).
    """
    view = memoryview(data)
    flagged: list[int] = []  # texts a first pass over their stretch found a hit in
    untold: list[int] = []  # texts of stretches that pass could not tell about
    if builder.detector.joinable:
        first = 0
        while first < len(starts):
            # A stretch of the run per pass, as big as the groups joined before: the headers between
            # the texts hit too (a Mindee commit's author is at mindee.co), and a pass with too many
            # hits tells nothing.
            last, size = first, 0
            while last < len(starts) and size < _JOIN_BATCH_BYTES and last - first < _JOIN_BATCH_OBJECTS:
                size += ends[last] - starts[last]
                last += 1
            low = starts[first]
            # Hyperscan reads any buffer: the stretch is scanned where it lies, never copied.
            stretch = cast(bytes, view[low : ends[last - 1]])
            hit = builder.detector.texts_hit(stretch, [s - low for s in starts[first:last]])
            if hit is None:
                untold.extend(range(first, last))
            else:
                flagged.extend(sorted(k + first for k in hit))
            first = last
    else:
        untold = list(range(len(starts)))
    yield from _placed(builder, view, starts, ends, owners, flagged, first_pass=False)
    yield from _placed(builder, view, starts, ends, owners, untold, first_pass=True)


def _placed(
    builder: FindingBuilder,
    view: memoryview,
    starts: list[int],
    ends: list[int],
    owners: list[int],
    chosen: list[int],
    first_pass: bool,
) -> Iterator[tuple[int, Hits | None]]:
    """`prefilter_group` over the `chosen` texts, copied out in groups of the joined size."""
    group: list[int] = []
    size = 0
    for n, k in enumerate(chosen):
        group.append(k)
        size += ends[k] - starts[k]
        if size >= _JOIN_BATCH_BYTES or len(group) >= _JOIN_BATCH_OBJECTS or n == len(chosen) - 1:
            texts = [bytes(view[starts[j] : ends[j]]) for j in group]
            for i, hits in builder.prefilter_group(texts, first_pass):
                yield owners[group[i]], hits
            group, size = [], 0


def _objects(
    shared: _Shared, index: int, on_error: Callable[[GitObject, str], None]
) -> Iterator[ObjectRun | tuple[GitObject, BlobPieces]]:
    """What worker `index` reads: the chunks it claims, through its own `cat-file`.

    While the provenance walk runs, every worker but the first ends its `cat-file` after the chunks
    it holds and waits, and the first reads through a `cat-file` with small pack windows and cache: the
    walk and one stream use the two cores anyway, and each stream holds 100-200 MB of pack windows and
    delta bases (git/git: the walk beside two streams was 700 MB of PSS; ansible: beside one full-size
    stream, 427 MB).
    """
    claims, chunks, walking = shared.claims, shared.chunks, shared.walking

    def walk_started() -> bool:
        return bool(walking.value)

    def walk_ended() -> bool:
        return not walking.value

    while claims.left():
        if not walking.value:
            share = claims.claimed(chunks, index, walk_started)
            yield from stream_runs(shared.git, share, on_error, stream_over=STREAM_WINDOW)
        elif index == 0:
            share = claims.claimed(chunks, index, walk_ended)
            yield from stream_runs(
                shared.git, share, on_error, stream_over=STREAM_WINDOW, config=STREAM_BESIDE_WALK_CONFIG
            )
        else:
            while walking.value and claims.left():
                time.sleep(_WALK_POLL_S)


# How often a worker standing aside checks whether the walk has ended.
_WALK_POLL_S = 0.05


def scan_objects(
    git: Git,
    builder: FindingBuilder,
    work: list[GitObject],
    jobs: int,
    total_bytes: int,
    progress: OnProgress | None,
    on_found: Callable[[], None],
    walking: Callable[[], bool] = lambda: False,
) -> ShareResult:
    """Scan `work` in forked workers (or here, when small); `on_found` is called soon after the first
    blob finding or unread blob, while the workers go on, and `walking` says whether the provenance walk
    is running (only the first worker reads meanwhile). `work` is emptied: its objects are packed into
    the chunks (`PackedChunk`) before the workers fork."""
    import multiprocessing

    chunks = _chunks(work)
    objects = len(work)
    work.clear()
    fallback = ""
    batch_command_supported(git)  # asked once, before the workers fork
    workers = max(1, min(jobs, len(chunks)))
    ctx = None
    if workers > 1:
        ctx, why_not = fork_context()
        if ctx is None:  # one worker is always correct
            fallback = why_not
            workers = 1
    mp: Any = ctx or multiprocessing
    counters = [mp.Array("q", 2, lock=False) for _ in range(workers)]
    claims = _ChunkClaims(len(chunks), ctx)
    found = mp.Value("b", 0, lock=False)
    walk = mp.Value("b", int(walking()), lock=False)
    shared = _Shared(
        git=git, builder=builder, chunks=chunks, claims=claims, counters=counters, found=found, walking=walk
    )
    reporter = Progress(objects, total_bytes, counters, progress) if progress is not None else None
    if reporter is not None:
        reporter.show()
    try:
        if ctx is None:
            parts = _serial(shared, reporter)
        else:

            def poll() -> None:
                if found.value:
                    on_found()
                walk.value = int(walking())

            try:
                parts = _parallel(ctx, workers, shared, reporter, poll)
            except pool_failures() as exc:
                # Workers could not start (process limits, a sandbox) or one died (killed for memory):
                # what the others did is dropped, and every chunk is scanned again here, in one process.
                fallback = fallback_note(exc)
                ctx = None
                shared.claims = _ChunkClaims(len(chunks))
                for counter in counters:
                    counter[0] = counter[1] = 0
                parts = _serial(shared, reporter)
    finally:
        if reporter is not None:
            reporter.show()
            reporter.close()
    merged = ShareResult(workers=len(parts) if ctx is not None else 1)
    if fallback:
        merged.stats.notes.append(fallback)
    for part in parts:
        merged.blob_hits.update(part.blob_hits)
        merged.message_hits.update(part.message_hits)
        merged.tag_hits.update(part.tag_hits)
        merged.unread.extend(part.unread)
        merged.stats.merge(part.stats)
        merged.commits += part.commits
        merged.tags += part.tags
        merged.dropped += part.dropped
    return merged


def _serial(shared: _Shared, reporter: Progress | None) -> list[ShareResult]:
    """Every chunk scanned here, in this process (with progress reported as it goes)."""
    if reporter is None:
        return [_scan_share(0, shared)]
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=reporter.loop, args=(stop,), daemon=True)
    thread.start()
    try:
        return [_scan_share(0, shared)]
    finally:
        stop.set()
        thread.join()


def _parallel(
    ctx: Any, workers: int, shared: _Shared, reporter: Progress | None, poll: Callable[[], None]
) -> list[ShareResult]:
    from concurrent.futures import FIRST_EXCEPTION, wait

    with forked(ctx, workers, shared, niceness=_WORKER_NICENESS) as pool:
        futures = [pool.submit(_scan_share, i) for i in range(workers)]
        shown = time.perf_counter()
        while True:
            done, pending = wait(futures, timeout=0.05, return_when=FIRST_EXCEPTION)
            poll()
            if reporter is not None and time.perf_counter() - shown >= 0.25:
                reporter.show()
                shown = time.perf_counter()
            if not pending or any(f.exception() for f in done):
                break
        return [f.result() for f in futures]


# Scan workers (and the cat-file each starts) yield to the provenance walk: one git process that, given a
# whole core, is done mid-scan instead of walking alone after it (on ansible/ansible it ends at about
# two thirds of the scan). With nothing else running, niceness changes nothing.
_WORKER_NICENESS = 10
