"""How far the object scan has got, reported through a callback: the application counts, the CLI draws."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scanner.record import record


@record(frozen=True, slots=True)
class ObjectProgress:
    """One report: objects and bytes scanned so far out of the totals; `final` once the scan is over."""

    objects: int
    total: int
    done_bytes: int
    total_bytes: int
    elapsed_s: float
    final: bool = False


OnProgress = Callable[[ObjectProgress], None]


class Progress:
    """Sums the workers' shared counters into `ObjectProgress` reports for `report`."""

    def __init__(self, total: int, total_bytes: int, counters: list[Any], report: OnProgress) -> None:
        self.total = total
        self.total_bytes = total_bytes
        self.counters = counters
        self.report = report
        self.started = time.perf_counter()

    def show(self, final: bool = False) -> None:
        objects = sum(c[0] for c in self.counters)
        done = sum(c[1] for c in self.counters)
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        self.report(ObjectProgress(objects, self.total, done, self.total_bytes, elapsed, final))

    def loop(self, stop: Any) -> None:
        while not stop.wait(0.25):
            self.show()

    def close(self) -> None:
        self.show(final=True)
