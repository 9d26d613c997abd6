"""Baselines made and refreshed from a scan's findings: the decisions, with no click in them.

The CLI parses, runs the scan and prints; which entries are written, kept, stale or new is decided here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.record import record

if TYPE_CHECKING:
    from scanner.suppress.baseline import Baseline, BaselineEntry


def baseline_path(given: str | None) -> str:
    """The baseline file a command means: the one given, else the default name."""
    from scanner.suppress.baseline import DEFAULT_BASELINE

    return given or DEFAULT_BASELINE


def create_baseline(path: str, args: tuple[str, ...], doc: dict[str, Any]) -> Baseline:
    """Every finding of `doc` (a scan's findings as its JSON report has them) as an entry, written to `path`."""
    from scanner.report.writer import write_private
    from scanner.suppress.baseline import Baseline, entries_from_report, now_iso

    stamp = now_iso()
    baseline = Baseline(entries_from_report(doc), args, stamp, stamp)
    write_private(path, baseline.to_json())
    return baseline


def read_baseline(path: str) -> Baseline:
    """The baseline at `path` (a missing or broken one is an error before anything is scanned)."""
    from scanner.suppress.baseline import load_baseline

    return load_baseline(path)


@record(frozen=True)
class BaselineUpdate:
    baseline: Baseline
    stale: list[BaselineEntry]  # entries no finding matches any more: removed
    new: list[BaselineEntry]  # findings with no entry: added only with add_new


def update_baseline(
    path: str, baseline: Baseline, args: tuple[str, ...], doc: dict[str, Any], add_new: bool
) -> BaselineUpdate:
    """Drop the entries `doc` no longer has, keep the rest (at the paths where they are now), add new ones
    only when asked; written back to `path`."""
    from scanner.report.writer import write_private
    from scanner.suppress.baseline import entries_from_report, now_iso

    current = entries_from_report(doc)
    stale = [baseline.entries[k] for k in sorted(baseline.entries) if k not in current]
    new = [current[k] for k in sorted(current) if k not in baseline.entries]
    # Kept entries take the paths where they are now; identity (rule, hash) never changes.
    entries = {k: current[k] for k in baseline.entries if k in current}
    if add_new:
        entries.update({e.key: e for e in new})
    baseline.entries = entries
    baseline.scan = args
    baseline.updated_at = now_iso()
    write_private(path, baseline.to_json())
    return BaselineUpdate(baseline, stale, new)
