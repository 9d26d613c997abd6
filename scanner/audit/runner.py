"""Run repository scans on a local process pool or a Dask cluster, and record each result as it lands.

Both go through the `concurrent.futures` interface (Dask's `Client.get_executor()`), so the scale-out
path is the local path with another executor. Only this client writes the store, one transaction per
repository, in completion order: a killed audit keeps every repository already recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future, as_completed
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scanner.audit.store import Store
from scanner.audit.targets import Target
from scanner.audit.task import RepoOutcome, RepoTask, scan_task
from scanner.errors import ScanError
from scanner.model import Finding
from scanner.record import field, record, replace

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from scanner.verify import Verifier


@record(frozen=True)
class AuditOptions:
    targets: tuple[Target, ...]
    cache_dir: str | None = None  # None: each worker's own default cache
    config_path: str | None = None
    jobs: int = 0  # 0: one per CPU; 1: serial, in this process
    dask_address: str | None = None
    dask_timeout: float = 30.0
    full: bool = False
    store_secrets: bool = False
    verify: bool = False
    v2_url: str | None = None
    v1_url: str | None = None


@record
class AuditSummary:
    audit_id: int
    executor: str
    workers: int
    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (repository, message)
    findings: int = 0
    objects_scanned: int = 0
    duration_s: float = 0.0


def default_jobs() -> int:
    from scanner.app.pool import usable_cpus

    return usable_cpus()


def run_audit(
    options: AuditOptions,
    store: Store,
    on_start: Callable[[str, int, list[str]], None] | None = None,
    on_outcome: Callable[[RepoOutcome], None] | None = None,
) -> AuditSummary:
    """Scan every target, record each outcome in its own transaction, and summarise."""
    from scanner.config import load_config

    started = time.perf_counter()
    config = load_config(options.config_path, None)  # a bad config stops the audit before any scan
    tasks = [
        RepoTask(
            key=t.key,
            location=t.location,
            kind=t.kind,
            cache_dir=options.cache_dir,
            config=config,
            known_refs=store.known_refs(t.key),
            full=options.full,
            error=t.error,
            head_paths=store.head_paths(t.key),
            auth=t.auth,
        )
        for t in options.targets
    ]
    verifier = _verifier(options) if options.verify else None
    with _executor(options) as (executor, label, workers):
        if executor is not None:
            # Parallel across repositories already: one process per repository scan, no nested pools.
            tasks = [replace(t, scan_jobs=1) for t in tasks]
        audit_id = store.begin_audit(label, workers, len(tasks))
        summary = AuditSummary(audit_id=audit_id, executor=label, workers=workers, total=len(tasks))
        if on_start:
            on_start(label, workers, [t.key for t in tasks])
        for outcome in _outcomes(executor, tasks, workers):
            if verifier is not None and outcome.findings:
                outcome.findings = _verify(outcome, verifier)
            store.record_outcome(audit_id, outcome, store_secrets=options.store_secrets)
            summary.by_status[outcome.status] = summary.by_status.get(outcome.status, 0) + 1
            summary.findings += len(outcome.findings)
            summary.objects_scanned += outcome.objects_scanned
            if outcome.error:
                summary.errors.append((outcome.key, outcome.error))
            if on_outcome:
                on_outcome(outcome)
        store.finish_audit(audit_id)
    summary.duration_s = time.perf_counter() - started
    return summary


def _outcomes(executor: Executor | None, tasks: list[RepoTask], workers: int) -> Iterator[RepoOutcome]:
    """Outcomes in completion order; a task that dies (worker lost, pool broken, a scanner bug on one odd
    repository) is that repository's error outcome, never the audit's end."""
    if executor is None:
        for task in tasks:
            try:
                outcome = scan_task(task)
            except Exception as exc:
                outcome = _failed(task, exc)
            yield outcome
        return
    lost = yield from _drain(executor, tasks)
    if not lost:
        return
    # A worker process died (killed, out of memory) and broke the pool for every repository queued on it.
    # Retry those on a fresh pool, then one process each, so only the repository that kills its worker fails.
    with _local_pool(min(workers, len(lost))) as pool:
        lost = yield from _drain(pool, lost)
    for task in lost:
        with _local_pool(1) as pool:
            gone = yield from _drain(pool, [task])
        for task in gone:
            yield _failed(task, RuntimeError("the worker process died scanning it (killed, or out of memory?)"))


def _drain(executor: Executor, tasks: list[RepoTask]) -> Generator[RepoOutcome, None, list[RepoTask]]:
    """Yield each outcome as it completes; return the tasks lost to a broken process pool."""
    from concurrent.futures.process import BrokenProcessPool

    futures: dict[Future[RepoOutcome], RepoTask] = {executor.submit(scan_task, task): task for task in tasks}
    lost: list[RepoTask] = []
    for future in as_completed(futures):
        try:
            outcome = future.result()
        except BrokenProcessPool:
            lost.append(futures[future])
            continue
        except Exception as exc:
            outcome = _failed(futures[future], exc)
        yield outcome
    return lost


def _failed(task: RepoTask, exc: Exception) -> RepoOutcome:
    from scanner.audit.gitops import without_credentials

    return RepoOutcome(
        key=without_credentials(task.key),
        location=without_credentials(task.location),
        kind=task.kind,
        status="error",
        error=without_credentials(f"scan crashed: {type(exc).__name__}: {exc}"),
        started_at=time.time(),
    )


@contextmanager
def _executor(options: AuditOptions) -> Iterator[tuple[Executor | None, str, int]]:
    if options.dask_address:
        with _dask_executor(options.dask_address, options.dask_timeout) as (executor, workers):
            yield executor, f"dask {options.dask_address}", workers
        return
    jobs = options.jobs or default_jobs()
    if jobs <= 1 or len(options.targets) <= 1:
        yield None, "serial", 1
        return
    with _local_pool(min(jobs, len(options.targets))) as pool:
        yield pool, "local pool", min(jobs, len(options.targets))


def _local_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that die with this one: a SIGKILLed audit leaves no worker (nor its git) behind."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from scanner.app.pool import die_with_parent

    return ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))


@contextmanager
def _dask_executor(address: str, timeout: float) -> Iterator[tuple[Executor, int]]:
    try:
        from distributed import Client
    except ImportError:
        raise ScanError("--dask needs the Dask extra: pip install 'mindee-scan[dask]'") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ScanError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        workers = sum(int(w.get("nthreads", 1)) for w in client.scheduler_info().get("workers", {}).values())
        executor = client.get_executor(pure=False)
        yield executor, max(workers, 1)
    finally:
        client.close()


def _verifier(options: AuditOptions) -> Verifier:
    from scanner.verify import Verifier

    # One verifier for the whole audit: a key leaked in ten repositories is sent to Mindee once.
    return Verifier.from_urls(options.v2_url, options.v1_url)


def _verify(outcome: RepoOutcome, verifier: Verifier) -> list[Finding]:
    from scanner.app.postprocess import PostOptions, postprocess
    from scanner.model import ScanResult, ScanStats

    # The audit records every finding (triage is its suppression): verification only.
    result = postprocess(
        ScanResult(findings=list(outcome.findings), stats=ScanStats()),
        PostOptions(suppress=False, verify=True),
        verifier=verifier,
    )
    return result.findings
