"""One repository scan as a picklable task: runs in a local worker process or on a Dask worker.

The task fetches (for clone URLs), decides whether the refs moved, and scans only what is new; it never
touches the store, so the client alone writes and a killed worker can lose nothing recorded.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING

from scanner.model import Finding
from scanner.record import field, record

if TYPE_CHECKING:
    from scanner.audit.orgs import CloneAuth
    from scanner.config import Config
    from scanner.model import ScanResult


@record(frozen=True)
class RepoTask:
    """What a worker needs to scan one repository; `known_refs` are the tips recorded by the last scan."""

    key: str
    location: str
    kind: str  # "path" or "url"
    cache_dir: str | None = None
    config: Config | None = None  # loaded by the client: a Dask worker may not have the user's file
    known_refs: dict[str, str] = field(default_factory=dict)
    full: bool = False  # ignore known_refs: rescan the whole history
    error: str | None = None  # resolution already failed (missing path...): report it, scan nothing
    # (secret hash, path) of keys recorded as present at HEAD: an incremental scan re-checks them.
    head_paths: tuple[tuple[str, str], ...] = ()
    scan_jobs: int = 0  # processes inside one repository scan: 1 when the pool already uses every core
    auth: CloneAuth | None = None  # where a clone finds its token (the token itself never travels in a task)


@record
class RepoOutcome:
    """What came back from one repository: findings and the ref tips they were computed at, or an error."""

    key: str
    location: str
    kind: str
    status: str  # "full", "incremental", "unchanged", "empty" (no commits) or "error"
    refs: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    excluded_revs: tuple[str, ...] = ()
    objects_scanned: int = 0
    bytes_scanned: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    git_dir: str | None = None  # where the scanned objects live (mirror cache for URLs)
    gone_from_head: tuple[str, ...] = ()  # secret hashes recorded at HEAD that the new HEAD no longer has
    started_at: float = 0.0
    duration_s: float = 0.0
    worker: str = ""


def scan_task(task: RepoTask) -> RepoOutcome:
    """Scan one repository; every failure becomes an `error` outcome so one repository never stops an audit."""
    from scanner.audit.gitops import git_cause
    from scanner.errors import ScanError

    started = time.time()
    t0 = time.perf_counter()
    outcome = RepoOutcome(
        key=task.key,
        location=task.location,
        kind=task.kind,
        status="error",
        started_at=started,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    try:
        if task.error:
            raise ScanError(task.error)
        _run(task, outcome)
    except ScanError as exc:
        outcome.status, outcome.error = "error", git_cause(str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        # A corrupt repository surfaces from git plumbing in many shapes; report it, keep auditing.
        outcome.status, outcome.error = "error", f"{type(exc).__name__}: {git_cause(str(exc))}"
    outcome.duration_s = time.perf_counter() - t0
    return _without_credentials(outcome)


def _without_credentials(outcome: RepoOutcome) -> RepoOutcome:
    """What leaves the task is printed and stored: no `user:token@` of a clone URL anywhere in it."""
    from scanner.audit.gitops import without_credentials

    outcome.key = without_credentials(outcome.key)
    outcome.location = without_credentials(outcome.location)
    if outcome.error:
        outcome.error = without_credentials(outcome.error)
    outcome.notes = [without_credentials(n) for n in outcome.notes]
    return outcome


def _run(task: RepoTask, outcome: RepoOutcome) -> None:
    from scanner.audit import gitops
    from scanner.config import Config
    from scanner.errors import SourceError

    git_dir = gitops.mirror(task.location, task.cache_dir, task.auth) if task.kind == "url" else task.location
    outcome.git_dir = git_dir
    refs = gitops.refs_at(git_dir)
    outcome.refs = refs
    if not task.full and task.known_refs and refs == task.known_refs:
        outcome.status = "unchanged"
        return
    if not refs:
        # Legitimately empty (no commits yet): said so, never counted as a scan of anything. Damage that
        # hides every ref (a lost pack index still lists its refs) does not reach here: the scan below fails.
        outcome.status = "empty"
        outcome.notes.append("repository has no commits yet: nothing to scan")
        return
    excluded: tuple[str, ...] = ()
    if not task.full and task.known_refs:
        # Only tips still present can be excluded: a force-pushed-away tip may be gone from a mirror.
        excluded = gitops.existing_commits(git_dir, sorted(set(task.known_refs.values())))
    # An auditor does not trust the audited repository: only the config the user passed applies,
    # never a .mindee-scan.yaml inside the repository (it could allowlist its own leaks).
    config = task.config or Config()
    result = _scan_repository(git_dir, config, excluded, task.scan_jobs)
    if result.failed:
        # A repository git cannot fully read is an error: never recorded as scanned (its ref tips are not
        # stored), so the next audit scans it again instead of skipping it as unchanged.
        raise SourceError("; ".join(result.stats.errors) or "repository could not be scanned")
    # Record the tips read before the scan (same reading as the next run's comparison), not the scanner's.
    outcome.refs = refs
    outcome.findings = list(result.findings)
    outcome.excluded_revs = excluded
    outcome.objects_scanned = (
        result.stats.history.objects_scanned if result.stats.history else result.stats.files_scanned
    )
    outcome.bytes_scanned = result.stats.bytes_scanned
    outcome.notes.extend(result.stats.errors)
    outcome.notes.extend(result.stats.notes)
    outcome.status = "incremental" if excluded else "full"
    if excluded and task.head_paths:
        outcome.gone_from_head = _gone_from_head(git_dir, config, task.head_paths)


def _gone_from_head(git_dir: str, config: Config, head_paths: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Which keys recorded at HEAD are not at the new HEAD: an incremental scan reads only new objects,
    so it cannot tell on its own that an old key was deleted since."""
    from scanner.app.detector import finding_builder
    from scanner.audit.gitops import read_blob
    from scanner.errors import SourceError

    builder = finding_builder(config)
    still: set[str] = set()
    for path in sorted({p for _, p in head_paths}):
        try:
            raw = read_blob(git_dir, "HEAD", path)
        except SourceError:
            continue  # the file is gone from HEAD
        found, _binary = builder.from_bytes(raw, path)
        still.update(f.secret.hash for f in found)
    return tuple(sorted({h for h, _ in head_paths} - still))


def _scan_repository(git_dir: str, config: Config, excluded: tuple[str, ...], jobs: int) -> ScanResult:
    from scanner.app.request import GitScanOptions
    from scanner.app.run import run

    # No on_progress: the audit draws one status line for all repositories; workers stay silent.
    options = GitScanOptions(repo=git_dir, config=config, exclude_revs=excluded, jobs=jobs)
    return run(options)
