"""The findings one scan keeps: at most `MAX_FINDINGS_PER_SCAN`, the most important, the rest counted.

Memory was bounded per file but not per scan (issue 13): the findings of every file and blob were held
until the report, so many files each full of keys, or a history of such blobs, grew without bound. A
scan now keeps at most this many findings, choosing by importance (Mindee keys first, then by
confidence, then by place), so a flood of generic findings cannot push a Mindee key out; what it does
not keep is counted and said in the summary and in every format, never dropped silently (the run
already fails: it has findings). Below the cap nothing changes, order included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.model import Finding, ScanStats

# Every report format renders this many findings well under the 300 MB a process may take (JSON, SARIF,
# JSON Lines and GitLab are written one finding at a time; HTML and JUnit build the page whole).
MAX_FINDINGS_PER_SCAN = 20_000

# Places a history worker holds (a key in a blob, or in a commit or tag message): each costs a few
# hundred bytes until provenance turns it into an occurrence of its finding.
MAX_PLACES_PER_PROCESS = 100_000

_CONFIDENCE = {"high": 0, "medium": 1, "low": 2}


def importance(f: Finding) -> tuple[Any, ...]:
    """Sort key, most important first: a total order, so what is kept does not depend on arrival order."""
    return (
        not f.rule.is_mindee,
        _CONFIDENCE.get(f.rule.confidence, 3),
        f.rule.other_vendor is not None,
        f.where.repo or "",
        f.where.path,
        f.history.commit or "",
        f.where.line,
        f.where.column,
        f.rule.id,
        f.secret.hash,  # the identity: a total order without the clear text
    )


class FindingsCap:
    """Collects a scan's findings; holds at most twice the cap between trims, `cap` once taken."""

    def __init__(self, cap: int = MAX_FINDINGS_PER_SCAN) -> None:
        self.cap = cap
        self.held: list[Finding] = []
        self.dropped = 0

    def add(self, findings: Iterable[Finding]) -> None:
        self.held.extend(findings)
        if len(self.held) > 2 * self.cap:
            self._trim()

    def count(self, dropped: int) -> None:
        """Findings a part of the scan (a worker) already left out."""
        self.dropped += dropped

    def take(self) -> list[Finding]:
        """The findings kept: in arrival order when none was left out."""
        if len(self.held) > self.cap:
            self._trim()
        return self.held

    def note(self, stats: ScanStats) -> None:
        note_dropped(self.dropped, self.cap, stats)

    def _trim(self) -> None:
        self.held.sort(key=importance)
        self.dropped += len(self.held) - self.cap
        del self.held[self.cap :]


def note_dropped(dropped: int, cap: int, stats: ScanStats) -> None:
    """Say how many findings the scan did not keep: in the notes (every format) and in the stats' counts."""
    if not dropped:
        return
    stats.notes.append(
        f"{dropped} more finding(s) not reported: at most {cap} are kept per scan (Mindee keys and high "
        "confidence first), so memory stays bounded; scan a smaller part to see the rest"
    )
    stats.findings_over_cap += dropped


class DistinctFindings:
    """Findings of history objects as a worker holds them until provenance folds them by key.

    One key in a thousand revisions of a file gives a thousand equal findings: they share one object.
    Distinct findings are held up to `budget` Mindee ones and `budget` others (so generic findings never
    crowd a Mindee key out), and places (a finding in one object, each an occurrence later) up to
    `MAX_PLACES_PER_PROCESS`; past that they are counted in `dropped`, not kept.
    """

    def __init__(self, budget: int = MAX_FINDINGS_PER_SCAN, max_places: int | None = None) -> None:
        self.budget = budget
        self.max_places = MAX_PLACES_PER_PROCESS if max_places is None else max_places
        self._seen: dict[Finding, Finding] = {}
        self._held = [0, 0]  # distinct Mindee findings, distinct others
        self._places = 0
        self.dropped = 0

    def keep(self, found: list[Finding]) -> list[Finding]:
        out: list[Finding] = []
        for f in found:
            if self._places >= self.max_places:
                self.dropped += 1
                continue
            same = self._seen.get(f)
            if same is None:
                kind = 0 if f.rule.is_mindee else 1
                if self._held[kind] >= self.budget:
                    self.dropped += 1
                    continue
                self._held[kind] += 1
                self._seen[f] = same = f
            self._places += 1
            out.append(same)
        return out


def note_dropped_places(dropped: int, budget: int, stats: ScanStats) -> None:
    """Say how many findings in history objects were not kept (each a key at one place in one object)."""
    if not dropped:
        return
    stats.notes.append(
        f"{dropped} more finding(s) in history objects not reported (a key at one place; the key may be "
        f"reported from another): at most {budget} distinct Mindee findings, {budget} others and "
        f"{MAX_PLACES_PER_PROCESS} places are held per process, so memory stays bounded"
    )
    stats.findings_over_cap += dropped
