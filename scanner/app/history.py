"""`mindee-scan git`: every unique blob and commit message of a repository's history, scanned once.

Speed comes from reading each object once (however many commits and paths hold it) through one
streaming `cat-file --batch` per worker, skipping oversized blobs by their size alone, and taking
provenance from a tree-diff walk that runs beside the scan once something is found, read only for the
few blobs that had findings. Two workers, each with its own cat-file, use both cores.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from scanner.config import Config
from scanner.engine import STREAM_WINDOW, FindingBuilder, build_detector, note_stream
from scanner.errors import UsageError
from scanner.gitio import Git, repo_toplevel
from scanner.model import Finding, Occurrence, ScanResult, ScanStats
from scanner.pathmatch import PathMatcher
from scanner.record import field, record
from scanner.sources import git_history as gh

_PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 2 * 1024 * 1024
_CHUNK_OBJECTS = 2048
_MAX_REF_LOOKUPS = 200
# Objects up to this size are prefiltered in batches (one Hyperscan call each, not one per object):
# 85% of ansible/ansible's 537k commits and blobs, of which fewer than one in ten has a hit.
_JOIN_MAX_BYTES = 32 * 1024
_JOIN_BATCH_BYTES = 512 * 1024
_JOIN_BATCH_OBJECTS = 1024
# With nothing found, the tree-diff pass runs only to name the paths of unread blobs, and only where cheap.
_PATH_LOOKUP_MAX_COMMITS = 50_000


@record(frozen=True)
class GitScanOptions:
    """What to scan. `exclude_revs`: commits whose ancestry was already scanned (incremental re-scans)."""

    repo: str
    config: Config = field(default_factory=Config)
    since: str | None = None
    range: str | None = None  # "A..B"
    branch: str | None = None
    exclude_revs: tuple[str, ...] = ()
    revs: tuple[str, ...] = ()  # explicit tips (pre-push); default: every ref and stash entry
    jobs: int = 0  # 0: automatic
    max_file_size: int | None = None
    use_hyperscan: bool = True
    scan_messages: bool = True
    progress: bool | None = None  # None: only when stderr is a terminal


@record
class _ShareResult:
    """What one worker found: findings keyed by object, with placeholder paths filled in later."""

    blob_hits: dict[str, list[Finding]] = field(default_factory=dict)
    message_hits: dict[str, tuple[list[Finding], gh.CommitMeta]] = field(default_factory=dict)
    tag_hits: dict[str, tuple[list[Finding], gh.TagMeta]] = field(default_factory=dict)
    unread: list[tuple[gh.GitObject, str]] = field(default_factory=list)  # blobs not scanned, and why
    stats: ScanStats = field(default_factory=ScanStats)
    commits: int = 0
    tags: int = 0  # annotated tag messages read
    workers: int = 1


def scan_repository(options: GitScanOptions) -> ScanResult:
    # Half a million small records and no reference cycles: the cyclic collector only costs time here
    # (it kept re-walking the object listing), in this process and in the forked workers.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan_repository(options)
    finally:
        if collecting:
            gc.enable()


def _scan_repository(options: GitScanOptions) -> ScanResult:
    started = time.perf_counter()
    top, _bare = repo_toplevel(options.repo)
    git = Git(top)
    whole = not (options.since or options.range or options.branch or options.revs or options.exclude_revs)
    store = gh.StoreListing(git) if whole else None
    log = _LogStarter(git)
    stats = ScanStats()
    try:
        # A whole-history scan needs no refs to read the object store, but reading them costs nothing
        # while git lists it (read while the workers scanned, they competed with them for the cores).
        refs, log.revs, log.exclude, tag_objects = _history(git, options, stats)
        log.early()
        # Annotated tags carry messages: a walk from the peeled tips never meets them, so name them too.
        listing = store.read() if store is not None else gh.list_objects(git, log.revs + tag_objects, log.exclude)
        store = None
        part, unread, known, engine = _scan_listing(git, options, listing, stats, log)
    except BaseException:
        if store is not None:
            store.cancel()
        log.cancel()
        raise
    damaged = bool(stats.errors)
    if not refs and not damaged:
        scanned = stats.files_scanned or part.commits
        stats.notes.append(
            "no branch, tag or other ref: the objects left in the object store were scanned"
            if scanned
            else "repository has no commits yet: nothing to scan"
        )
    findings = _provenance(git, options, log, refs, part, unread, stats, known if whole else None)
    _unread_objects_are_errors(git, stats)
    stats.duration_s = time.perf_counter() - started
    stats.extra.update(
        {
            "engine": engine,
            "jobs": part.workers,
            "refs": {k: v for k, v in sorted(refs.items())},
            "objects_scanned": stats.files_scanned + part.commits,  # tag messages: tags_scanned
            "blobs_scanned": stats.files_scanned,
            "commits_scanned": part.commits,
            "tags_scanned": part.tags,
            "shallow": any(n.startswith("shallow clone") for n in stats.notes),
        }
    )
    result = ScanResult(findings=findings, stats=stats, target=top, source="git")
    result.sort()
    return result


def _history(
    git: Git, options: GitScanOptions, stats: ScanStats
) -> tuple[dict[str, str], list[str], list[str], list[str]]:
    """The refs, the commits to scan (include, exclude), the annotated tag objects whose messages to scan
    (every tag's, unless the scan is limited to a branch or range), and notes on what this clone lacks."""
    broken: list[str] = []
    tags: dict[str, str] = {}
    refs = gh.list_refs(git, broken, tags)
    for ref in broken:
        stats.skip(ref, "broken ref: points to a missing or damaged object")
    if broken:
        stats.errors.append(
            f"{len(broken)} ref(s) point to a missing or damaged object ({', '.join(broken[:3])}"
            f"{', ...' if len(broken) > 3 else ''}): the repository is damaged and what they hold was not "
            "scanned; `git fsck` names the damage"
        )
    for pack in gh.packs_without_index(git):
        stats.errors.append(
            f"pack {pack} has no .idx: git cannot read any object in it, so none was scanned "
            "(rebuild the index with `git index-pack` on the pack, then scan again)"
        )
    revs, exclude = _selection(git, options, refs)
    if gh.is_shallow(git):
        stats.notes.append(
            "shallow clone: history before the shallow boundary is not in this repository "
            "and was not scanned (fetch with --unshallow for a full audit)"
        )
    if refs and gh.is_partial_clone(git):
        stats.notes.append(
            "partial clone: blobs that were never downloaded are not scanned (mindee-scan never fetches); "
            "clone without --filter for a full audit"
        )
    limited = options.since or options.range or options.branch or options.revs
    return refs, revs, exclude, [] if limited else sorted(set(tags.values()))


class _LogStarter:
    """The provenance walk (`git log --raw`) over the scanned commits. It starts as soon as the refs
    are known, on the core the object-store listing leaves idle; from the scan's start it is held until
    a blob has a finding (or will need a path), then walks while the rest is scanned. On a repository
    with findings it is mostly done when the scan is; on a clean one it costs only that idle core."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self.revs: list[str] = []
        self.exclude: list[str] = []
        self.commits = 0  # in the listing
        self.log: gh.HistoryLog | None = None
        self.wanted = False

    def paths_affordable(self) -> bool:
        """With nothing found, the walk runs only to name the paths of unread blobs, where it is cheap."""
        return self.commits <= _PATH_LOOKUP_MAX_COMMITS

    def early(self) -> None:
        if self.log is None:
            self._open()

    def hold(self) -> None:
        """The scan starts: the walk waits unless something already needs it."""
        if self.log is not None and not self.wanted:
            self.log.pause()

    def start(self) -> None:
        """Something needs provenance: run the walk (called again on every poll once it is wanted)."""
        if self.wanted and self.log is not None:
            return
        self.wanted = True
        if self.log is None:
            self._open()
        else:
            self.log.resume()

    def _open(self) -> None:
        if self.revs:
            self.log = gh.HistoryLog(self.git, self.revs, self.exclude)

    def cancel(self) -> None:
        if self.log is not None:
            self.log.cancel()
            self.log = None


def _scan_listing(
    git: Git,
    options: GitScanOptions,
    listing: gh.ObjectListing,
    stats: ScanStats,
    log: _LogStarter,
) -> tuple[_ShareResult, list[tuple[gh.GitObject, str]], set[str], str]:
    """Scan every listed object once: (what was found, blobs not read and why, ids of every listed blob, engine)."""
    if listing.error:
        stats.errors.append(listing.error)
    for sha in listing.missing:
        stats.skip(f"object {sha}", "missing object")
    max_size = options.max_file_size or options.config.max_file_size
    work: list[gh.GitObject] = []
    unread: list[tuple[gh.GitObject, str]] = []  # reported once their paths are known
    known: set[str] = set()
    total_bytes = 0
    for obj in listing.objects:  # one pass: a big mirror lists half a million objects
        if obj.kind == "commit" or obj.kind == "tag":
            log.commits += obj.kind == "commit"
            if not options.scan_messages:
                continue
        else:
            known.add(obj.sha)
            if obj.size > max_size:
                unread.append((obj, f"too large: {obj.size} bytes"))
                continue
        work.append(obj)
        total_bytes += obj.size

    if unread and log.paths_affordable():
        log.start()  # oversized blobs are reported with a path

    builder = FindingBuilder(build_detector(options.config, options.use_hyperscan))
    log.hold()
    jobs = _effective_jobs(options.jobs, total_bytes)
    show_progress = options.progress if options.progress is not None else _stderr_tty()
    part = _run(git, builder, work, jobs, total_bytes, show_progress, log.start)
    stats.merge(part.stats)
    unread.extend(part.unread)
    # Half a million object records are not needed any more: free them before the provenance pass,
    # which builds the commit graph (peak memory is the sum of the two otherwise).
    listing.objects.clear()
    work.clear()
    return part, unread, known, builder.detector.engine


# --- what to scan ------------------------------------------------------------------------------


def _selection(git: Git, options: GitScanOptions, refs: dict[str, str]) -> tuple[list[str], list[str]]:
    """rev-list arguments: (include, exclude) as commit ids; every ref and every stash entry by default."""
    chosen = [x for x in (options.since, options.range, options.branch) if x]
    if options.since and options.range:
        raise UsageError("use either --since or --range, not both")
    exclude = [gh.resolve_commit(git, r) for r in options.exclude_revs]
    if options.revs:
        return [gh.resolve_commit(git, r) for r in options.revs], exclude
    if options.range:
        if ".." not in options.range or "..." in options.range:
            raise UsageError(f"--range wants A..B, got {options.range!r}")
        a, b = options.range.split("..", 1)
        return [gh.resolve_commit(git, b or "HEAD")], [*exclude, gh.resolve_commit(git, a)]
    if chosen:
        tip = gh.resolve_commit(git, options.branch or "HEAD")
        if options.since:
            exclude.extend(_since(git, options.since, tip))
        return [tip], exclude
    if not refs:
        return [], exclude
    revs = sorted(set(refs.values()) | set(gh.stash_entries(git)))
    return revs, exclude


_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d+ (?:second|minute|hour|day|week|month|year)s? ago"
)


def _since(git: Git, since: str, tip: str) -> list[str]:
    """`--since REV` excludes REV; `--since DATE` excludes the parents of the commits made after DATE that
    are not themselves after it (or the tip when none is), so exactly what those commits introduce is scanned."""
    if not _DATE.fullmatch(since) or git.ok("rev-parse", "--verify", "-q", "--end-of-options", f"{since}^{{commit}}"):
        return [gh.resolve_commit(git, since)]
    lines = git.out("rev-list", "--parents", f"--since={since}", tip, "--").split("\n")
    newer: set[str] = set()
    parents: set[str] = set()
    for line in filter(None, lines):
        sha, *rest = line.split()
        newer.add(sha)
        parents.update(rest)
    return sorted(parents - newer) if newer else [tip]


def _effective_jobs(requested: int, total_bytes: int) -> int:
    if requested == 1 or (requested == 0 and total_bytes < _PARALLEL_MIN_BYTES):
        return 1
    from scanner.app.pool import usable_cpus

    return max(1, requested or usable_cpus())


def _chunks(work: Sequence[gh.GitObject]) -> list[list[gh.GitObject]]:
    """Runs of neighbouring objects (pack locality: a delta's base is usually close by), small enough
    that workers claiming them as they need them (`_ChunkClaims`) end within a chunk of each other."""
    chunks: list[list[gh.GitObject]] = []
    current: list[gh.GitObject] = []
    size = 0
    for obj in work:
        current.append(obj)
        size += obj.size + 256
        if size >= _CHUNK_BYTES or len(current) >= _CHUNK_OBJECTS:
            chunks.append(current)
            current = []
            size = 0
    if current:
        chunks.append(current)
    return chunks


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

    def claimed(self, chunks: list[list[gh.GitObject]], worker: int) -> Iterator[list[gh.GitObject]]:
        """The chunks `worker` claims, one at a time, as it needs them."""
        while (index := self.take(worker)) is not None:
            yield chunks[index]


# --- scanning ----------------------------------------------------------------------------------

# Set before forking, inherited by the workers (the compiled detector is not picklable).
_WORKER: dict[str, Any] = {}


def _scan_share(index: int) -> _ShareResult:
    git: Git = _WORKER["git"]
    builder: FindingBuilder = _WORKER["builder"]
    share = _WORKER["claims"].claimed(_WORKER["chunks"], index)
    counter = _WORKER["counters"][index]
    out = _ShareResult()
    stats = out.stats
    found_flag = _WORKER["found"]

    def on_error(obj: gh.GitObject, reason: str) -> None:
        if obj.kind == "blob":
            out.unread.append((obj, reason))  # reported with a path once provenance knows it
            found_flag.value = 1
        else:
            stats.skip(f"{obj.kind} {obj.sha[:12]}", reason)

    def scan_one(obj: gh.GitObject, text: bytes, data: bytes) -> None:
        if obj.kind == "commit":
            found, _ = builder.from_bytes(text, gh.MESSAGE_PATH)
            if found:
                out.message_hits[obj.sha] = (found, gh.commit_meta(data))
            return
        if obj.kind == "tag":
            found, _ = builder.from_bytes(text, gh.TAG_MESSAGE_PATH)
            if found:
                out.tag_hits[obj.sha] = (found, gh.tag_meta(data))
            return
        found, binary = builder.from_bytes(text, obj.path)
        if binary:
            stats.binary_files += 1
        if found:
            out.blob_hits[obj.sha] = found
            found_flag.value = 1

    # Commit messages and small blobs wait here and are prefiltered together; only those with a hit
    # are scanned one by one.
    pending: list[tuple[gh.GitObject, bytes, bytes]] = []  # (object, text to scan, its raw bytes)
    pending_bytes = 0

    def flush() -> None:
        nonlocal pending_bytes
        for i in builder.needing_scan([text for _, text, _ in pending]):
            scan_one(*pending[i])
        pending.clear()
        pending_bytes = 0

    done_objects = 0
    done_bytes = 0
    for obj, data in gh.stream_objects(git, share, on_error, stream_over=STREAM_WINDOW):
        done_objects += 1
        if isinstance(data, gh.BlobPieces):  # a big blob: scanned in bounded windows as it is read
            done_bytes += data.size
            scan = builder.scan_stream(data, obj.path)
            note_stream(scan, obj.path, stats)
            stats.files_scanned += 1
            stats.bytes_scanned += scan.size
            stats.binary_files += int(scan.binary)
            if scan.findings:
                out.blob_hits[obj.sha] = scan.findings
                found_flag.value = 1
            continue
        done_bytes += len(data)
        if done_objects & 63 == 0:
            counter[0], counter[1] = done_objects, done_bytes
        if obj.kind == "commit" or obj.kind == "tag":
            if obj.kind == "commit":
                out.commits += 1
            else:
                out.tags += 1
            text = gh.commit_message(data)  # a tag's headers end at the first blank line too
            if not text:
                continue
        else:
            stats.files_scanned += 1
            stats.bytes_scanned += len(data)
            if len(data) < 1024 and data.startswith(gh.LFS_MAGIC):
                out.unread.append((obj, "git-lfs pointer: content is stored outside the repository"))
                found_flag.value = 1
                continue
            text = data
        if len(text) > _JOIN_MAX_BYTES:
            scan_one(obj, text, data)
            continue
        pending.append((obj, text, data))
        pending_bytes += len(text)
        if pending_bytes >= _JOIN_BATCH_BYTES or len(pending) >= _JOIN_BATCH_OBJECTS:
            flush()
    flush()
    counter[0], counter[1] = done_objects, done_bytes
    return out


def _run(
    git: Git,
    builder: FindingBuilder,
    work: list[gh.GitObject],
    jobs: int,
    total_bytes: int,
    progress: bool,
    on_found: Callable[[], None],
) -> _ShareResult:
    """Scan `work` in forked workers (or here, when small); `on_found` is called soon after the first
    blob finding or unread blob, while the workers go on."""
    import multiprocessing

    chunks = _chunks(work)
    fallback = ""
    gh.batch_command_supported(git)  # asked once, before the workers fork
    workers = max(1, min(jobs, len(chunks)))
    ctx = None
    if workers > 1:
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # no fork here: one worker is always correct
            workers = 1
    mp: Any = ctx or multiprocessing
    counters = [mp.Array("q", 2, lock=False) for _ in range(workers)]
    claims = _ChunkClaims(len(chunks), ctx)
    found = mp.Value("b", 0, lock=False)
    _WORKER.update(git=git, builder=builder, chunks=chunks, claims=claims, counters=counters, found=found)
    reporter = _Progress(len(work), total_bytes, counters) if progress else None
    if reporter is not None:
        reporter.show()
    try:
        if ctx is None:
            parts = _serial(reporter)
        else:

            def poll() -> None:
                if found.value:
                    on_found()

            from concurrent.futures.process import BrokenProcessPool

            try:
                parts = _parallel(ctx, workers, reporter, poll)
            except (OSError, BrokenProcessPool) as exc:
                # Workers could not start (process limits, a sandbox) or one died (killed for memory):
                # what the others did is dropped, and every chunk is scanned again here, in one process.
                fallback = f"scan workers failed ({type(exc).__name__}: {exc}): scanned in one process instead"
                ctx = None
                _WORKER["claims"] = _ChunkClaims(len(chunks))
                for counter in counters:
                    counter[0] = counter[1] = 0
                parts = _serial(reporter)
    finally:
        _WORKER.clear()
        if reporter is not None:
            reporter.show()
            reporter.close()
    merged = _ShareResult(workers=len(parts) if ctx is not None else 1)
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
    return merged


def _serial(reporter: _Progress | None) -> list[_ShareResult]:
    """Every chunk scanned here, in this process (with the progress line kept fresh on a terminal)."""
    if reporter is None:
        return [_scan_share(0)]
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=reporter.loop, args=(stop,), daemon=True)
    thread.start()
    try:
        return [_scan_share(0)]
    finally:
        stop.set()
        thread.join()


def _parallel(ctx: Any, workers: int, reporter: _Progress | None, poll: Callable[[], None]) -> list[_ShareResult]:
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    from scanner.app.pool import quiet_worker, stop_pool

    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=quiet_worker, initargs=(_WORKER_NICENESS,)
    ) as pool:
        try:
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
        except KeyboardInterrupt:
            stop_pool(pool)
            raise


# Scan workers (and the cat-file each starts) yield to the provenance walk: one git process that, given a
# whole core, is done mid-scan instead of walking alone after it (on ansible/ansible it ends at about
# two thirds of the scan). With nothing else running, niceness changes nothing.
_WORKER_NICENESS = 10


class _Progress:
    """objects/total and MiB/s on stderr, rewritten in place; only ever used on a terminal."""

    def __init__(self, total: int, total_bytes: int, counters: list[Any]) -> None:
        self.total = total
        self.total_bytes = total_bytes
        self.counters = counters
        self.started = time.perf_counter()
        self.shown = False

    def show(self) -> None:
        objects = sum(c[0] for c in self.counters)
        done = sum(c[1] for c in self.counters)
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        rate = done / elapsed / (1024 * 1024)
        pct = 100.0 * done / self.total_bytes if self.total_bytes else 100.0
        sys.stderr.write(f"\rscanning objects: {objects}/{self.total} ({pct:.0f}%), {rate:.1f} MiB/s ")
        sys.stderr.flush()
        self.shown = True

    def loop(self, stop: Any) -> None:
        while not stop.wait(0.25):
            self.show()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# --- provenance --------------------------------------------------------------------------------


@record
class _Place:
    commit: str | None
    path: str
    finding: Finding
    author: str | None = None
    date: str | None = None
    refs: tuple[str, ...] = ()  # refs known to hold it without a walk (an annotated tag's own ref)
    note: str = ""  # said on the finding (how an object outside every ref's history is still reached)


def _provenance(
    git: Git,
    options: GitScanOptions,
    log: _LogStarter,
    refs: dict[str, str],
    part: _ShareResult,
    unread: list[tuple[gh.GitObject, str]],
    stats: ScanStats,
    known: set[str] | None,
) -> list[Finding]:
    """Fold every (commit, path, line) of the same secret into one finding, oldest place first.

    The tree-diff pass that finds where blobs entered history (`_LogStarter`) is resumed, or started,
    here if the scan did not already; it also names the paths of blobs that were not read (too large,
    LFS pointers).
    """
    head = refs.get("HEAD")
    head_blobs: set[str] = set()
    if head:
        head_blobs, links = gh.blobs_at(git, head)
        for path, sha in links:
            stats.skip(path, f"submodule (pinned at {sha[:12]}): not followed, scan it separately")
    places: dict[tuple[str, str], list[_Place]] = {}
    order: list[tuple[str, str]] = []

    def add(place: _Place) -> None:
        key = (place.finding.rule_id, place.finding.secret)
        if key not in places:
            places[key] = []
            order.append(key)
        places[key].append(place)

    at_head: set[tuple[str, str]] = set()
    paths: dict[str, str] = {o.sha: o.path for o, _ in unread if o.path}
    graph: dict[str, str] = {}
    if part.blob_hits or (unread and log.paths_affordable()):
        log.start()  # when the scan ran here, not in workers, nothing started it yet
    else:
        log.cancel()
    if log.log is not None:
        wanted = set(part.blob_hits) | {o.sha for o, _ in unread}
        intros, metas, absent = log.log.introductions(wanted, known, graph)
        for sha, path in absent.items():
            # The whole-history listing reads the object store; the history names these and it lacks them.
            stats.skip(f"{path} ({sha[:12]})", "missing object")
        introduced: set[str] = set()
        for intro in intros:
            paths.setdefault(intro.blob, intro.path)
            if intro.blob not in part.blob_hits:
                continue
            introduced.add(intro.blob)
            meta = metas.get(intro.commit)
            for f in part.blob_hits[intro.blob]:
                add(_Place(intro.commit, intro.path, f, meta.author if meta else None, meta.date if meta else None))
        limited = bool(log.exclude) or options.branch is not None or bool(options.revs)
        for sha, found in part.blob_hits.items():
            if sha in head_blobs:
                at_head.update((f.rule_id, f.secret) for f in found)
        outside = [sha for sha in part.blob_hits if sha not in introduced and not limited]
        if outside:
            # In the object store but in no commit's history from the refs: say what still reaches it
            # (a ref naming the blob or a tree holding it, a reflog entry), or that nothing does.
            for spot in _locate_outside(git, refs, outside, stats):
                for f in part.blob_hits[spot.blob]:
                    add(_Place(spot.commit, spot.path, f, spot.author, spot.date, spot.refs, spot.note))
    for obj, reason in unread:
        where = paths.get(obj.sha)
        stats.skip(f"{where} ({obj.sha[:12]})" if where else f"blob {obj.sha}", reason)
    for commit, (found, meta) in part.message_hits.items():
        for f in found:
            add(_Place(commit, gh.MESSAGE_PATH, f, meta.author, meta.date))
    for _sha, (found, tag) in part.tag_hits.items():
        # Placed at the commit it tags (a tag of a tree or another tag has none); reached by its own ref.
        tagged = tag.target if tag.target_type == "commit" else None
        own = (f"refs/tags/{tag.name}",) if tag.name and f"refs/tags/{tag.name}" in refs else ()
        for f in found:
            add(_Place(tagged, gh.TAG_MESSAGE_PATH, f, tag.tagger, tag.date, own))

    skip_paths = PathMatcher(options.config.allow_paths + options.config.exclude)
    kept_places: list[tuple[tuple[str, str], list[_Place]]] = []
    for key in order:
        kept = [p for p in places[key] if p.path in _MESSAGES or not skip_paths.matches(p.path)]
        if kept:
            kept_places.append((key, kept))
    targets = [p.commit for _, kept in kept_places for p in kept if p.commit]
    reach_of = _reaching(git, graph, refs, targets)
    out: list[Finding] = []
    for key, kept in kept_places:
        first = kept[0]
        occurrences = tuple(
            dict.fromkeys(
                Occurrence(path=p.path, line=p.finding.line, commit=p.commit, column=p.finding.column) for p in kept
            )
        )
        reach: set[str] = {r for p in kept for r in p.refs}
        for commit in dict.fromkeys(p.commit for p in kept if p.commit):
            reach.update(reach_of.get(commit, ()))
        notes = [n for n in dict.fromkeys([first.finding.note, *(p.note for p in kept if p is first)]) if n]
        out.append(
            first.finding.with_changes(
                note="; ".join(notes),
                path=first.path,
                commit=first.commit,
                author=first.author,
                date=first.date,
                occurrences=occurrences,
                present_at_head=key in at_head,
                refs=tuple(sorted(reach)),
            )
        )
    return out


def _unread_objects_are_errors(git: Git, stats: ScanStats) -> None:
    """Objects git could not read are a damaged repository, not a clean one: one error names how many.

    A partial clone lacks blobs by design (already said in a note), so its missing objects stay skips.
    """
    unreadable = sum(1 for _, r in stats.skipped if r.startswith("unreadable object"))
    missing = sum(1 for _, r in stats.skipped if r == "missing object")
    if missing and gh.is_partial_clone(git):
        missing = 0
    if unreadable or missing:
        stats.errors.append(
            f"{unreadable + missing} object(s) could not be read (missing or damaged, listed as skipped): "
            "the repository is damaged and they were not scanned; `git fsck` names the damage"
        )


@record(frozen=True)
class _Outside:
    """Where a blob outside every ref's commit history is found: by a ref, in a reflog, or nowhere."""

    blob: str
    path: str
    commit: str | None = None
    refs: tuple[str, ...] = ()
    note: str = ""
    author: str | None = None
    date: str | None = None


_REVOKE_FIRST = (
    "revoke the key first: pruning the object (`git gc --prune`) only destroys the evidence in this clone, "
    "while every other clone, fork and pull-request ref keeps it"
)


def _locate_outside(git: Git, refs: dict[str, str], blobs: list[str], stats: ScanStats) -> list[_Outside]:
    """Name what reaches each blob no commit of the refs' histories holds (a tag or other ref pointing at the
    blob itself or at a tree holding it; a reflog entry), else call it unreachable, and advise revocation
    before anything that deletes it. Runs only for blobs with findings, so its few git calls are rare."""
    out: list[_Outside] = []
    todo = set(blobs)
    by_ref = {name: sha for name, sha in refs.items() if name != "HEAD"}
    for name, sha in sorted(by_ref.items()):
        if sha in todo:
            out.append(_Outside(sha, f"blob {sha}", refs=(name,), note=f"the ref {name} points at this blob itself"))
            todo.discard(sha)
    if todo:
        for name, tree in _tree_refs(git, by_ref):
            for path, sha in gh.tree_blobs(git, tree):
                if sha in todo:
                    out.append(_Outside(sha, path, refs=(name,), note=f"in the tree the ref {name} points at"))
                    todo.discard(sha)
    if todo:
        intros, metas = _reflog_introductions(git, refs, todo)
        reflog_note = f"reachable only from a reflog entry (an amended, reset or deleted branch); {_REVOKE_FIRST}"
        for intro in intros:
            if intro.blob in todo:
                meta = metas.get(intro.commit)
                author, date = (meta.author, meta.date) if meta else (None, None)
                out.append(_Outside(intro.blob, intro.path, intro.commit, (), reflog_note, author, date))
                todo.discard(intro.blob)
    for sha in blobs:
        if sha in todo:
            out.append(_Outside(sha, f"blob {sha}", note="unreachable: no ref or reflog reaches it; " + _REVOKE_FIRST))
    unreachable = len(todo)
    in_reflog = sum(1 for o in out if o.commit and not o.refs)
    if unreachable or in_reflog:
        stats.notes.append(
            f"{unreachable + in_reflog} blob(s) with findings are in no ref's history ({in_reflog} only in "
            f"reflogs, {unreachable} unreachable from any ref or reflog); {_REVOKE_FIRST}"
        )
    return out


def _tree_refs(git: Git, refs: dict[str, str]) -> list[tuple[str, str]]:
    """(ref, tree) for refs that point at a tree (peeled), not a commit: one batch query of every ref's type."""
    shas = sorted(set(refs.values()))
    query = "".join(f"{sha}\n" for sha in shas).encode()
    answer = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)", input=query, check=False)
    trees = {
        line.split(" ")[0] for line in answer.stdout.decode("ascii", "replace").splitlines() if line.endswith(" tree")
    }
    return [(name, sha) for name, sha in sorted(refs.items()) if sha in trees]


def _reflog_introductions(
    git: Git, refs: dict[str, str], blobs: set[str]
) -> tuple[list[gh.Introduction], dict[str, gh.CommitMeta]]:
    """Where `blobs` entered the history of commits only reflogs still name (amended, reset, deleted)."""
    proc = git.run("rev-list", "--reflog", "--no-walk=unsorted", check=False)
    commits = sorted(set(proc.stdout.decode("ascii", "replace").split()))
    if proc.returncode != 0 or not commits:
        return [], {}
    walk = gh.HistoryLog(git, commits, sorted(set(refs.values())))
    intros, metas, _absent = walk.introductions(blobs)
    return intros, metas


_MESSAGES = (gh.MESSAGE_PATH, gh.TAG_MESSAGE_PATH)  # not files: path allowlists and excludes do not apply


def _reaching(git: Git, graph: dict[str, str], refs: dict[str, str], targets: list[str]) -> dict[str, set[str]]:
    """target commit -> refs reaching it: from the commit graph the provenance pass already read, or,
    without one, by asking git a bounded number of times."""
    if not targets:
        return {}
    commits = list(dict.fromkeys(targets))
    if graph and all(c in graph for c in commits):
        return gh.reaching_refs(graph, {k: v for k, v in refs.items() if k != "HEAD"}, commits)
    # Commit messages without a provenance pass, or a limited scan: ask git, a bounded number of times.
    return {c: set(gh.refs_containing(git, c)) for c in commits[:_MAX_REF_LOOKUPS]}


# --- staged (pre-commit) -----------------------------------------------------------------------
