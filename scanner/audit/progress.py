"""Audit progress: a self-rewriting status line on a terminal, one plain log line per repository otherwise."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from scanner.audit.task import RepoOutcome

_STATUS_WORDS = {
    "full": "scanned",
    "incremental": "scanned new objects",
    "unchanged": "unchanged, skipped",
    "empty": "empty (no commits yet), nothing to scan",
    "error": "FAILED",
}


class Progress:
    """Repositories done/total, the repository just finished and objects/s, written to `stream`."""

    def __init__(self, stream: TextIO, tty: bool, quiet: bool = False) -> None:
        self.stream = stream
        self.tty = tty
        self.quiet = quiet
        self.total = 0
        self.done = 0
        self.objects = 0
        self.started = time.perf_counter()
        self.pending: list[str] = []

    def start(self, executor: str, workers: int, keys: list[str]) -> None:
        total = len(keys)
        self.total = total
        self.pending = list(keys)  # pools take work in submission order: the first pending ones are running
        self.started = time.perf_counter()
        if not self.quiet:
            self._line(f"auditing {total} repositories on {executor} ({workers} workers)", final=True)

    def update(self, outcome: RepoOutcome) -> None:
        self.done += 1
        self.objects += outcome.objects_scanned
        if outcome.key in self.pending:
            self.pending.remove(outcome.key)
        if self.quiet and outcome.status != "error":
            return
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        rate = self.objects / elapsed
        word = _STATUS_WORDS.get(outcome.status, outcome.status)
        if outcome.status == "error":
            detail = f"{word}: {outcome.error}"
        else:
            detail = f"{word}, {outcome.objects_scanned} objects, {len(outcome.findings)} findings"
        if self.tty and outcome.status != "error":
            current = f"scanning {self.pending[0]}" if self.pending else "done"
            self._line(
                f"[{self.done}/{self.total}] {rate:,.0f} objects/s  {current}  (last: {outcome.key}: {detail})",
                final=False,
            )
        else:
            self._line(f"[{self.done}/{self.total}] {outcome.key}: {detail} ({outcome.duration_s:.2f}s)", final=True)

    def finish(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _line(self, text: str, final: bool) -> None:
        prefix = "mindee-scan audit: "
        if self.tty:
            # Rewrite the status line in place (cut to the width: a wrapped line cannot be rewritten);
            # errors stay on screen as their own lines.
            line = prefix + text
            if not final:
                width = shutil.get_terminal_size((100, 24)).columns - 1
                line = line if len(line) <= width else line[: max(width - 1, 10)] + "…"
            self.stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(prefix + text + "\n")
        self.stream.flush()
