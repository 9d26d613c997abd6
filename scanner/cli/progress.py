"""The history scan's progress line on stderr, rewritten in place; only ever drawn on a terminal."""

from __future__ import annotations

import sys

from scanner.app.progress import ObjectProgress


class ProgressLine:
    """Draws each `ObjectProgress` as one line; the final report clears it."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, p: ObjectProgress) -> None:
        if p.final:
            if self.shown:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            return
        rate = p.done_bytes / p.elapsed_s / (1024 * 1024)
        pct = 100.0 * p.done_bytes / p.total_bytes if p.total_bytes else 100.0
        sys.stderr.write(f"\rscanning objects: {p.objects}/{p.total} ({pct:.0f}%), {rate:.1f} MiB/s ")
        sys.stderr.flush()
        self.shown = True


def stderr_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
