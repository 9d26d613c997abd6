"""The object scan's progress line on a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
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


def stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
