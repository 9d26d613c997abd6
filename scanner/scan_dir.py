"""`mindee-scan dir`: scan files and folders, in parallel when it pays, serially otherwise."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.config import Config
from scanner.engine import FindingBuilder, build_detector
from scanner.errors import SourceError
from scanner.model import Finding, ScanResult, ScanStats
from scanner.pathmatch import PathMatcher
from scanner.sources.files import FileItem, read_file, walk

# Below these, forking workers costs more than it saves (the pre-commit path stays serial).
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024
_PARALLEL_MIN_FILES = 64
_BATCH_BYTES = 2 * 1024 * 1024
_BATCH_FILES = 256


@dataclass(frozen=True)
class DirOptions:
    paths: tuple[str, ...]
    config: Config
    jobs: int = 0  # 0: automatic
    max_file_size: int | None = None
    use_hyperscan: bool = True


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
    items = list(walk(list(options.paths), stats, exclude, max_size, config.follow_symlinks))
    allow_paths = PathMatcher(config.allow_paths)
    if allow_paths:
        kept = []
        for item in items:
            if allow_paths.matches(item.rel):
                stats.skip(item.rel, "allowlisted path")
            else:
                kept.append(item)
        items = kept

    jobs = _effective_jobs(options.jobs, items)
    findings: list[Finding] = []
    if jobs <= 1:
        findings.extend(_scan_items(builder, items, max_size, stats))
    else:
        findings.extend(_scan_parallel(builder, items, max_size, stats, jobs))
    stats.duration_s = time.perf_counter() - started
    stats.extra["engine"] = builder.detector.engine
    stats.extra["jobs"] = jobs
    target = ", ".join(options.paths)
    result = ScanResult(findings=findings, stats=stats, target=target, source="dir")
    result.sort()
    return result


def _effective_jobs(requested: int, items: list[FileItem]) -> int:
    if requested == 1:
        return 1
    total = sum(i.size for i in items)
    if requested == 0 and (total < _PARALLEL_MIN_BYTES or len(items) < _PARALLEL_MIN_FILES):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, requested or cpus)


def _scan_items(builder: FindingBuilder, items: Iterable[FileItem], max_size: int, stats: ScanStats) -> list[Finding]:
    out: list[Finding] = []
    for item in items:
        try:
            raw = read_file(item, max_size)
        except OSError as exc:
            stats.skip(item.rel, f"unreadable: {exc.strerror or exc}")
            continue
        if len(raw) > max_size:
            stats.skip(item.rel, f"too large: grew past {max_size} bytes during the scan")
            continue
        found, binary = builder.from_bytes(raw, item.rel)
        stats.files_scanned += 1
        stats.bytes_scanned += len(raw)
        if binary:
            stats.binary_files += 1
        out.extend(found)
    return out


# --- parallel path: workers are forked after the detector is built, so they inherit it compiled ---

_WORKER_BUILDER: FindingBuilder | None = None


def _worker_scan(batch: list[FileItem], max_size: int) -> tuple[list[Finding], ScanStats]:
    assert _WORKER_BUILDER is not None
    stats = ScanStats()
    found = _scan_items(_WORKER_BUILDER, batch, max_size, stats)
    return found, stats


def _batches(items: list[FileItem]) -> list[list[FileItem]]:
    batches: list[list[FileItem]] = []
    current: list[FileItem] = []
    size = 0
    for item in items:
        current.append(item)
        size += item.size
        if size >= _BATCH_BYTES or len(current) >= _BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def _scan_parallel(
    builder: FindingBuilder, items: list[FileItem], max_size: int, stats: ScanStats, jobs: int
) -> list[Finding]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER_BUILDER
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: the serial path is always correct
        return _scan_items(builder, items, max_size, stats)
    _WORKER_BUILDER = builder
    out: list[Finding] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for found, part in pool.map(_worker_scan, _batches(items), [max_size] * len(items)):
                out.extend(found)
                stats.merge(part)
    except OSError:
        # Could not start workers (limits, sandbox): fall back to scanning here.
        return _scan_items(builder, items, max_size, stats)
    finally:
        _WORKER_BUILDER = None
    return out
