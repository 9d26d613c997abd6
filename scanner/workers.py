"""Worker processes that stop quietly: Ctrl-C is the parent's to report, not a traceback per worker."""

from __future__ import annotations

import contextlib
import os
from typing import Any


def quiet_worker(niceness: int = 0) -> None:
    """Pool initializer: a terminal's Ctrl-C reaches the whole process group; only the parent acts on it.

    `niceness` lowers the worker's priority (and its children's) where the system allows it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(niceness)


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
