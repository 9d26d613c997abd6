"""`mindee-scan git`: every unique blob and commit message of a repository's history, scanned once.

Speed comes from reading each object once (however many commits and paths hold it) through one
streaming `cat-file --batch` per worker, skipping oversized blobs by their size alone, and taking
provenance from a tree-diff walk that runs beside the scan once something is found, read only for the
few blobs that had findings. Two workers, each with its own cat-file, use both cores.
"""

from __future__ import annotations

import gc
import re
import time

from scanner.app.cap import MAX_FINDINGS_PER_SCAN, FindingsCap, note_dropped_places
from scanner.app.detector import history_detector
from scanner.app.objectscan import ShareResult, scan_objects
from scanner.app.provenance import LogStarter, provenance
from scanner.app.request import GitScanOptions
from scanner.detect.findings import FindingBuilder
from scanner.errors import UsageError
from scanner.model import HistoryStats, ScanResult, ScanStats
from scanner.sources.git.gitio import Git, repo_toplevel
from scanner.sources.git.objects import (
    GitObject,
    ObjectListing,
    StoreListing,
    is_partial_clone,
    list_objects,
    packs_without_index,
)
from scanner.sources.git.refs import is_shallow, read_refs, resolve_commit, stash_entries

_PARALLEL_MIN_BYTES = 8 * 1024 * 1024


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
    store = StoreListing(git) if whole else None
    log = LogStarter(git)
    stats = ScanStats()
    try:
        # A whole-history scan needs no refs to read the object store, but reading them costs nothing
        # while git lists it (read while the workers scanned, they competed with them for the cores).
        refs, log.revs, log.exclude, tag_objects = _history(git, options, stats)
        # Annotated tags carry messages: a walk from the peeled tips never meets them, so name them too.
        listing = store.read() if store is not None else list_objects(git, log.revs + tag_objects, log.exclude)
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
    kept = FindingsCap()
    known_ids = (known.split("\n") if known else []) if whole else None
    known = ""
    kept.add(provenance(git, options, log, refs, part, unread, stats, known_ids))
    findings = kept.take()
    note_dropped_places(part.dropped, MAX_FINDINGS_PER_SCAN, stats)
    kept.note(stats)
    _unread_objects_are_errors(git, stats)
    stats.duration_s = time.perf_counter() - started
    stats.engine = engine
    stats.jobs = part.workers
    stats.history = HistoryStats(
        refs=dict(sorted(refs.items())),
        objects_scanned=stats.files_scanned + part.commits,  # tag messages: tags_scanned
        blobs_scanned=stats.files_scanned,
        commits_scanned=part.commits,
        tags_scanned=part.tags,
        shallow=any(n.startswith("shallow clone") for n in stats.notes),
    )
    result = ScanResult(findings=findings, stats=stats, target=top, source="git")
    result.sort()
    return result


def _history(
    git: Git, options: GitScanOptions, stats: ScanStats
) -> tuple[dict[str, str], list[str], list[str], list[str]]:
    """The refs, the commits to scan (include, exclude), the annotated tag objects whose messages to scan
    (every tag's, unless the scan is limited to a branch or range), and notes on what this clone lacks."""
    _, refs, tags, broken = read_refs(git)
    for ref in broken:
        stats.skip(ref, "broken ref: points to a missing or damaged object")
    if broken:
        stats.errors.append(
            f"{len(broken)} ref(s) point to a missing or damaged object ({', '.join(broken[:3])}"
            f"{', ...' if len(broken) > 3 else ''}): the repository is damaged and what they hold was not "
            "scanned; `git fsck` names the damage"
        )
    for pack in packs_without_index(git):
        stats.errors.append(
            f"pack {pack} has no .idx: git cannot read any object in it, so none was scanned "
            "(rebuild the index with `git index-pack` on the pack, then scan again)"
        )
    revs, exclude = _selection(git, options, refs)
    if is_shallow(git):
        stats.notes.append(
            "shallow clone: history before the shallow boundary is not in this repository "
            "and was not scanned (fetch with --unshallow for a full audit)"
        )
    if refs and is_partial_clone(git):
        stats.notes.append(
            "partial clone: blobs that were never downloaded are not scanned (mindee-scan never fetches); "
            "clone without --filter for a full audit"
        )
    limited = options.since or options.range or options.branch or options.revs
    return refs, revs, exclude, [] if limited else sorted(set(tags.values()))


def _scan_listing(
    git: Git,
    options: GitScanOptions,
    listing: ObjectListing,
    stats: ScanStats,
    log: LogStarter,
) -> tuple[ShareResult, list[tuple[GitObject, str]], str, str]:
    """Scan every listed object once: (what was found, blobs not read and why, ids of every listed blob
    one a line, engine).

    The ids are one string, not a set: a set kept every blob id of the listing alive among its freed
    objects, so none of the memory they took went back to the system, and the forked workers ran beside
    it (70 MB and more on ansible/ansible). The set is built from this string once the scan is over.
    """
    if listing.error:
        stats.errors.append(listing.error)
    for sha in listing.missing:
        stats.skip(f"object {sha}", "missing object")
    max_size = options.max_file_size or options.config.max_file_size
    work: list[GitObject] = []
    unread: list[tuple[GitObject, str]] = []  # reported once their paths are known
    blob_ids: list[str] = []
    total_bytes = 0
    for obj in listing.objects:  # one pass: a big mirror lists half a million objects
        if obj.kind == "commit" or obj.kind == "tag":
            log.commits += obj.kind == "commit"
            if not options.scan_messages:
                continue
        else:
            blob_ids.append(obj.sha)
            if obj.size > max_size:
                unread.append((obj, f"too large: {obj.size} bytes"))
                continue
        work.append(obj)
        total_bytes += obj.size

    # The scan reads `work`, packed into chunks: the listing's half a million tuples go now, before
    # the workers fork (each would otherwise copy the pages of those it reads).
    known = "\n".join(blob_ids)
    blob_ids.clear()
    listing.objects.clear()
    if unread and log.paths_affordable():
        log.start()  # oversized blobs are reported with a path

    builder = FindingBuilder(history_detector(options.config, options.use_hyperscan))
    jobs = _effective_jobs(options.jobs, total_bytes)
    part = scan_objects(git, builder, work, jobs, total_bytes, options.on_progress, log.start, log.running)
    stats.merge(part.stats)
    unread.extend(part.unread)
    work.clear()  # emptied by scan_objects already: the chunks held the objects, packed
    return part, unread, known, builder.detector.engine


# --- what to scan ------------------------------------------------------------------------------


def _selection(git: Git, options: GitScanOptions, refs: dict[str, str]) -> tuple[list[str], list[str]]:
    """rev-list arguments: (include, exclude) as commit ids; every ref and every stash entry by default."""
    chosen = [x for x in (options.since, options.range, options.branch) if x]
    if options.since and options.range:
        raise UsageError("use either --since or --range, not both")
    exclude = [resolve_commit(git, r) for r in options.exclude_revs]
    if options.revs:
        return [resolve_commit(git, r) for r in options.revs], exclude
    if options.range:
        if ".." not in options.range or "..." in options.range:
            raise UsageError(f"--range wants A..B, got {options.range!r}")
        a, b = options.range.split("..", 1)
        return [resolve_commit(git, b or "HEAD")], [*exclude, resolve_commit(git, a)]
    if chosen:
        tip = resolve_commit(git, options.branch or "HEAD")
        if options.since:
            exclude.extend(_since(git, options.since, tip))
        return [tip], exclude
    if not refs:
        return [], exclude
    revs = sorted(set(refs.values()) | set(stash_entries(git)))
    return revs, exclude


_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d+ (?:second|minute|hour|day|week|month|year)s? ago"
)


def _since(git: Git, since: str, tip: str) -> list[str]:
    """`--since REV` excludes REV; `--since DATE` excludes the parents of the commits made after DATE that
    are not themselves after it (or the tip when none is), so exactly what those commits introduce is scanned."""
    if not _DATE.fullmatch(since) or git.ok("rev-parse", "--verify", "-q", "--end-of-options", f"{since}^{{commit}}"):
        return [resolve_commit(git, since)]
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


def _unread_objects_are_errors(git: Git, stats: ScanStats) -> None:
    """Objects git could not read are a damaged repository, not a clean one: one error names how many.

    A partial clone lacks blobs by design (already said in a note), so its missing objects stay skips.
    """
    unreadable = sum(1 for _, r in stats.skipped if r.startswith("unreadable object"))
    missing = sum(1 for _, r in stats.skipped if r == "missing object")
    if missing and is_partial_clone(git):
        missing = 0
    if unreadable or missing:
        stats.errors.append(
            f"{unreadable + missing} object(s) could not be read (missing or damaged, listed as skipped): "
            "the repository is damaged and they were not scanned; `git fsck` names the damage"
        )
