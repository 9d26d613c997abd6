"""`mindee-scan dir`: scan files and folders, in parallel when it pays, serially otherwise.

The walk streams: batches of files go to forked workers while the walk goes on, so walking,
reading and matching overlap. Workers are forked after the detector is built and inherit it
compiled (rules, regexes, Hyperscan database); nothing is pickled but paths and findings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING

from scanner.app.cap import FindingsCap
from scanner.app.pool import usable_cpus
from scanner.app.request import DirOptions
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder, note_stream
from scanner.errors import SourceError
from scanner.model import Finding, ScanResult, ScanStats
from scanner.pathmatch import PathMatcher
from scanner.sources.files import FileItem, StreamIt, TooLarge, read_chunks, read_path, walk

if TYPE_CHECKING:
    from concurrent.futures import Future

# Below both, forking workers costs more than it saves, so the automatic mode stays serial: on a
# 2-core machine git/git's work tree (4,844 files, 48 MB) took 25% more CPU and no less wall time
# forked (docs/benchmarks.md, "dir: serial below 64 MB"). Looking ahead that far costs a stat a file.
_SERIAL_MAX_FILES = 8192
_SERIAL_MAX_BYTES = 64 * 1024 * 1024
# A forked scan's first files are scanned here before forking (rule regexes and the rest of the
# detector's state built once, then inherited by the workers).
_WARM_UP_FILES = 1024
_BATCH_FILES = 256
_BATCH_BYTES = 4 * 1024 * 1024  # for files whose size the walk knows (named on the command line)
# Files read are prefiltered together in groups of about this many bytes (see `_scan_items`).
_JOIN_BYTES = 1024 * 1024


def scan_paths(options: DirOptions) -> ScanResult:
    started = time.perf_counter()
    config = options.config
    for p in options.paths:
        if not os.path.lexists(p):
            raise SourceError(f"{p}: no such file or directory")
    builder = FindingBuilder(build_detector(config, options.use_hyperscan))
    max_size = options.max_file_size or config.max_file_size
    stats = ScanStats()
    exclude = PathMatcher(config.exclude)
    allow_paths = PathMatcher(config.allow_paths)
    items = _kept(walk(list(options.paths), stats, exclude, max_size, config.follow_symlinks), allow_paths, stats)

    jobs = usable_cpus() if options.jobs == 0 else options.jobs
    head: list[FileItem] = []
    if jobs > 1:
        # Automatic: look ahead; a scan of fewer files and bytes than the thresholds never pays for
        # forking (a hook, a few files, a mid-sized work tree). Jobs the user chose fork whatever the
        # size, after the same warm-up.
        automatic = options.jobs == 0
        look_ahead = _SERIAL_MAX_FILES if automatic else _WARM_UP_FILES
        for item in items:
            head.append(item)
            if len(head) >= look_ahead:
                break
        else:
            if automatic and _total_size(head, _SERIAL_MAX_BYTES) < _SERIAL_MAX_BYTES:
                jobs = 1
    kept = FindingsCap()
    if jobs > 1 and len(head) >= _WARM_UP_FILES:
        # A big tree: this process scans the first files itself before forking. Rule regexes and the
        # rest of the detector's state are built on first use, and workers forked after that inherit
        # them ready instead of each building them again (a fifth of a 60 MB tree's CPU).
        _scan_items(builder, head[:_WARM_UP_FILES], max_size, stats, kept)
        head = head[_WARM_UP_FILES:]
    if jobs <= 1:
        _scan_items(builder, [*head, *items], max_size, stats, kept)
    else:
        _scan_parallel(builder, head, items, max_size, stats, jobs, kept)
    findings = kept.take()
    kept.note(stats)
    if options.named_by_user:
        _account_for_targets(options.paths, stats)
    stats.duration_s = time.perf_counter() - started
    stats.engine = builder.detector.engine
    stats.jobs = jobs
    target = ", ".join(options.paths)
    result = ScanResult(findings=findings, stats=stats, target=target, source="dir")
    result.sort()
    return result


# Skips the user's own config asked for: not a failure to scan what was named.
_CHOSEN_SKIPS = ("excluded", "allowlisted path")


def _account_for_targets(paths: tuple[str, ...], stats: ScanStats) -> None:
    """Never "scanned 0 file(s)", exit 0, for something the user named and the scan could not read.

    A file named on the command line that was skipped (too large, a FIFO, a device, a link to one,
    unreadable) is an error (exit 2). So is a scan that read nothing at all while it skipped files for
    reasons other than the config's exclusions. An empty folder is not a failure: it is "nothing to
    scan", said in a note (exit 0), like a repository with no commits.
    """
    named = {}
    for p in paths:
        if not os.path.isdir(p):
            named[p] = p  # a special file is skipped under the name given
            named.setdefault(os.path.basename(p), p)  # a regular file under its base name
    for rel, reason in stats.skipped:
        if rel in named and reason not in _CHOSEN_SKIPS:
            stats.errors.append(f"{named[rel]}: named on the command line but not scanned: {reason}")
    if stats.files_scanned or stats.errors:
        return
    unscanned = [(rel, reason) for rel, reason in stats.skipped if reason not in _CHOSEN_SKIPS]
    where = ", ".join(paths)
    if unscanned:
        reasons = sorted({reason.split(":", 1)[0] for _, reason in unscanned})
        stats.errors.append(
            f"nothing was scanned in {where}: {len(unscanned)} file(s) skipped ({', '.join(reasons)}; `-v` lists them)"
        )
    elif stats.skipped:
        stats.notes.append(f"nothing to scan: every file in {where} is excluded or allowlisted by the config")
    else:
        stats.notes.append(f"nothing to scan: {where} holds no files")


def _kept(items: Iterable[FileItem], allow_paths: PathMatcher, stats: ScanStats) -> Iterator[FileItem]:
    if not allow_paths:
        yield from items
        return
    for item in items:
        if allow_paths.matches(item.rel):
            stats.skip(item.rel, "allowlisted path")
        else:
            yield item


def _total_size(items: list[FileItem], enough: int) -> int:
    """The files' size in bytes, counted until it reaches `enough` (the rest is not stat'ed)."""
    total = 0
    for item in items:
        if total >= enough:
            break
        if item.size >= 0:
            total += item.size
            continue
        try:
            total += os.stat(item.path).st_size
        except OSError:  # vanished since the walk: the reader will report it
            continue
    return total


# A file to scan: its path, its path in reports and its size (-1: not known); a FileItem is one too.
Row = tuple[str, str, int]


def _scan_items(
    builder: FindingBuilder, items: Iterable[Row], max_size: int, stats: ScanStats, out: FindingsCap
) -> None:
    """Files are read into groups of about `_JOIN_BYTES` and each group is prefiltered in one pass
    (`FindingBuilder.needing_scan`); only files with a hit are scanned one by one. Most files of a
    tree hold no hit, and a scan call per file cost more than reading the file."""
    pending: list[tuple[str, bytes]] = []
    pending_bytes = 0
    for path, rel, size in items:
        try:
            raw = read_path(path, size, max_size)
        except TooLarge as exc:
            stats.skip(rel, str(exc))
            continue
        except StreamIt:
            out.add(_scan_streamed(builder, FileItem(path, rel, size), max_size, stats))
            continue
        except OSError as exc:
            stats.skip(rel, f"unreadable: {exc.strerror or exc}")
            continue
        stats.files_scanned += 1
        stats.bytes_scanned += len(raw)
        pending.append((rel, raw))
        pending_bytes += len(raw)
        if pending_bytes >= _JOIN_BYTES:
            _scan_group(builder, pending, stats, out)
            pending, pending_bytes = [], 0
    if pending:
        _scan_group(builder, pending, stats, out)


def _scan_group(builder: FindingBuilder, group: list[tuple[str, bytes]], stats: ScanStats, out: FindingsCap) -> None:
    """Scan the files of `group` in which one prefilter pass over all of them found a hit (binary and
    UTF-16 files are always scanned: `prepare` changes them), with their share of that pass's hits
    where it is exact (most files with a hit only hold the generic rule's), else with a pass of their own."""
    from_bytes = builder.from_bytes
    for i, hits in builder.prefilter_group([raw for _, raw in group]):
        rel, raw = group[i]
        found, binary = from_bytes(raw, rel, hits)
        if binary:
            stats.binary_files += 1
        if found:
            out.add(found)


def _scan_streamed(builder: FindingBuilder, item: FileItem, max_size: int, stats: ScanStats) -> list[Finding]:
    """A file too big to scan whole is read in pieces and scanned in bounded windows; lines stay file-absolute."""
    try:
        scan = builder.scan_stream(read_chunks(item, max_size), item.rel)
    except TooLarge as exc:
        stats.skip(item.rel, str(exc))
        return []
    except OSError as exc:
        stats.skip(item.rel, f"unreadable: {exc.strerror or exc}")
        return []
    note_stream(scan, item.rel, stats)
    stats.files_scanned += 1
    stats.bytes_scanned += scan.size
    if scan.binary:
        stats.binary_files += 1
    return scan.findings


# --- parallel path: workers are forked after the detector is built, so they inherit it compiled ---


def _worker_scan(batch: list[Row], max_size: int) -> tuple[list[Finding], ScanStats, int]:
    """In a worker: `_scan_batch` with the detector the pool was forked with."""
    from scanner.app.pool import inherited

    builder: FindingBuilder = inherited()
    return _scan_batch(builder, batch, max_size)


def _scan_batch(builder: FindingBuilder, batch: list[Row], max_size: int) -> tuple[list[Finding], ScanStats, int]:
    """A batch's findings (at most the scan's cap, so a worker's memory is bounded too), stats, and how
    many findings it left out."""
    stats = ScanStats()
    kept = FindingsCap()
    _scan_items(builder, batch, max_size, stats, kept)
    return kept.take(), stats, kept.dropped


def _batches(items: Iterable[FileItem]) -> Iterator[list[Row]]:
    """Plain tuples: what goes to a worker is pickled, and a tuple of strings pickles fastest."""
    current: list[Row] = []
    size = 0
    for path, rel, known in items:
        current.append((path, rel, known))
        size += max(known, 0)
        if len(current) >= _BATCH_FILES or size >= _BATCH_BYTES:
            yield current
            current, size = [], 0
    if current:
        yield current


# Batches queued per worker before this process scans the next batch itself.
_QUEUED_PER_WORKER = 2


def _scan_parallel(
    builder: FindingBuilder,
    head: list[FileItem],
    rest: Iterator[FileItem],
    max_size: int,
    stats: ScanStats,
    jobs: int,
    out: FindingsCap,
) -> None:
    """`jobs - 1` forked workers and this process share the batches: the walk is a fifth of the work,
    so this process walks ahead, keeps each worker a few batches in hand and scans the next batch
    itself while they are busy (a third idle process cost a worker's start-up and warm-up for nothing).
    Results are merged in walk order, so skips and notes come out as a serial scan lists them."""
    from collections import deque
    from concurrent.futures import Future

    from scanner.app.pool import fallback_note, fork_context, forked, pool_failures

    items = chain(head, rest)
    ctx, why_not = fork_context()
    if ctx is None:  # the serial path is always correct
        stats.notes.append(why_not)
        _scan_items(builder, items, max_size, stats, out)
        return
    # Batches not merged yet, in walk order; a merged one is dropped with its future, which held its findings.
    pending: deque[tuple[list[Row], Future[tuple[list[Finding], ScanStats, int]]]] = deque()

    def merge_done() -> None:
        while pending and pending[0][1].done():
            found, part, dropped = pending.popleft()[1].result()
            out.add(found)
            out.count(dropped)
            stats.merge(part)

    workers = jobs - 1
    queued = workers * _QUEUED_PER_WORKER
    in_flight: list[Future[tuple[list[Finding], ScanStats, int]]] = []  # the workers' unfinished batches
    try:
        with forked(ctx, workers, builder) as pool:
            for batch in _batches(items):
                if len(pending) >= 4 * queued:  # a slow worker's batch holds the merge: wait for it
                    pending[0][1].result()
                merge_done()
                in_flight = [f for f in in_flight if not f.done()]
                if len(in_flight) < queued:
                    submitted = pool.submit(_worker_scan, batch, max_size)
                    in_flight.append(submitted)
                    pending.append((batch, submitted))
                    continue
                here: Future[tuple[list[Finding], ScanStats, int]] = Future()
                here.set_result(_scan_batch(builder, batch, max_size))
                pending.append((batch, here))
            while pending:
                pending[0][1].result()
                merge_done()
    except pool_failures() as exc:
        # Could not start or keep workers (limits, sandbox, a killed worker): finish here, serially.
        stats.notes.append(fallback_note(exc, "the rest was scanned in one process"))
        remaining = [i for batch, _ in pending for i in batch]
        _scan_items(builder, chain(remaining, items), max_size, stats, out)
