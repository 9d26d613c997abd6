"""The one fork pool of every scan (dir and history), with a serial fallback that always says why, and
worker processes that stop quietly: Ctrl-C is the parent's to report, not a traceback per worker."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any


def quiet_worker(niceness: int = 0) -> None:
    """Pool initializer: a terminal's Ctrl-C reaches the whole process group; only the parent acts on it.

    `niceness` lowers the worker's priority (and its children's) where the system allows it. The worker
    also dies with its parent (`die_with_parent`)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(os.getppid())
    if niceness and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(niceness)


# How often a worker checks that its parent is still there when the kernel cannot tell it (not Linux).
_PARENT_POLL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: a worker never outlives the process that started it.

    A pool's workers wait for work on a pipe their parent writes to; with the parent SIGKILLed they
    waited forever (an `audit -j 2` killed by a CI timeout left both workers and their git processes
    behind). On Linux the kernel sends the worker SIGTERM when its parent dies (PR_SET_PDEATHSIG); a
    thread that polls the parent's pid covers other systems and a parent that died before the call.
    Either way the worker kills the git processes it started, then exits.
    """
    import signal
    import threading

    signal.signal(signal.SIGTERM, _end_worker)
    _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked to tell us
        _end_worker()
    watch = threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True)
    watch.start()


def _set_parent_death_signal(signum: int) -> None:
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signum, 0, 0, 0)


def _watch_parent(parent_pid: int) -> None:
    import time

    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    _end_worker()


def _end_worker(*_: Any) -> None:
    """Kill every process this worker started (git and the helpers git starts, `git remote-http`), then
    exit at once (no cleanup that could block). The tree is first frozen (SIGSTOP) until a listing finds
    nothing new: a git still running could start a helper after it was listed, and a killed git's own
    children are reparented to init and could no longer be found. Then everything frozen is killed."""
    import signal

    frozen: list[int] = []
    for _round in range(100):  # each round stops what the last one found; a stopped process starts nothing
        fresh = [pid for pid in _descendants() if pid not in frozen]
        if not fresh:
            break
        for pid in fresh:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        frozen.extend(fresh)
    for pid in frozen:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(143)


def _descendants() -> list[int]:
    """Pids of this process's children, their children and so on (Linux /proc; elsewhere none are known)."""
    out: list[int] = []
    todo = _children(os.getpid())
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(_children(pid))
    return out


def _children(me: int) -> list[int]:
    """Pids of the children of process `me`."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{me}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{me}/task/{task}/children") as fh:
                out.extend(int(p) for p in fh.read().split())
        except (OSError, ValueError):
            continue
    return out


def stop_pool(pool: Any) -> None:
    """On Ctrl-C, end the workers now rather than wait for the batch each is scanning."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError):  # already gone
            proc.terminate()
    # Waiting is quick once the workers are gone, and it must happen: a pool left to shut down on its
    # own races the interpreter's exit, which then writes to the pool's closed wake-up pipe and prints
    # a traceback after "interrupted" (Python 3.11; about one Ctrl-C in ten here).
    pool.shutdown(wait=True, cancel_futures=True)


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# --- the one fork pool ----------------------------------------------------------------------------

# What the workers of the open pool inherit (a compiled detector is not picklable): set just before
# the fork, read by the workers' tasks with `inherited()`, cleared when the pool closes.
_INHERITED: list[Any] = []


def fork_context() -> tuple[Any, str]:
    """The fork start method, or None and why not (workers are forked so that they inherit `state`)."""
    import multiprocessing

    try:
        return multiprocessing.get_context("fork"), ""
    except ValueError:
        return None, "no fork on this platform: scanned in one process"


def inherited() -> Any:
    """In a worker of `forked`: the state its pool was opened with."""
    return _INHERITED[-1]


@contextlib.contextmanager
def forked(ctx: Any, jobs: int, state: Any, niceness: int = 0) -> Iterator[Any]:
    """A ProcessPoolExecutor of `jobs` forked workers that inherit `state`; Ctrl-C ends them at once.

    Objects alive at the fork are never freed by the workers: the collector is kept off their pages
    (copy-on-write) while the pool is open."""
    import gc
    from concurrent.futures import ProcessPoolExecutor

    _INHERITED.append(state)
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=quiet_worker, initargs=(niceness,)
        ) as pool:
            try:
                yield pool
            except KeyboardInterrupt:
                stop_pool(pool)
                raise
    finally:
        _INHERITED.clear()
        gc.unfreeze()


def pool_failures() -> tuple[type[BaseException], ...]:
    """What ends a pool early: workers that could not start (process limits, a sandbox) or one that died
    (killed for memory). The caller finishes in one process and says so (`fallback_note`)."""
    from concurrent.futures.process import BrokenProcessPool

    return (OSError, BrokenProcessPool)


def fallback_note(exc: BaseException, what: str = "scanned in one process instead") -> str:
    return f"scan workers failed ({type(exc).__name__}: {exc}): {what}"
