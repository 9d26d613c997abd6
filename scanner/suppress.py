"""The keep/ignore decision after detection: ignore-file entries and baselines move findings aside.

Suppressed findings are kept in `ScanResult.suppressed` (with `suppressed_by` saying why) for audits;
expired ignore entries stop suppressing and leave a note, so a lapsed exception is never silent.
"""

from __future__ import annotations

import os
from datetime import date

from scanner.baseline import load_any_baseline
from scanner.ignorefile import IGNORE_NAME, GitleaksEntry, IgnoreEntry, load_ignore
from scanner.model import Finding, ScanResult
from scanner.record import replace


def apply_suppressions(
    result: ScanResult,
    baseline: str | None,
    ignore_file: str | None,
    root: str | None,
    today: date | None = None,
) -> ScanResult:
    """Return a result whose findings exclude what the ignore file and the baseline already cover."""
    today = today or date.today()
    ignore_path = ignore_file
    ignore_root: str | None = None  # set when the file is read on the repository's say-so
    if ignore_path is None and root is not None:
        candidate = os.path.join(root, IGNORE_NAME)
        # lexists: a committed symlink is refused by the trust reader, not followed by isfile()
        if os.path.lexists(candidate):
            ignore_path, ignore_root = candidate, root
    entries: list[IgnoreEntry] | list[GitleaksEntry] = load_ignore(ignore_path, ignore_root) if ignore_path else []
    base = load_any_baseline(baseline) if baseline else None
    base_label = f"baseline {baseline}"

    active: list[IgnoreEntry | GitleaksEntry] = []
    expired: list[IgnoreEntry] = []
    for entry in entries:
        if isinstance(entry, IgnoreEntry) and entry.expired(today):
            expired.append(entry)
        else:
            active.append(entry)

    kept: list[Finding] = []
    suppressed = list(result.suppressed)
    revived: dict[str, int] = {}
    for finding in result.findings:
        reason = _ignore_reason(finding, active)
        if reason is None and base is not None and base.contains(finding):
            reason = base_label
        if reason is None:
            kept.append(finding)
            for entry in expired:
                if entry.matches(finding):
                    revived[entry.where] = revived.get(entry.where, 0) + 1
        else:
            suppressed.append(finding.with_changes(suppressed_by=reason))

    stats = result.stats
    for entry in expired:
        assert entry.expires is not None
        count = revived.get(entry.where, 0)
        owner = f" (owner {entry.owner})" if entry.owner else ""
        stats.notes.append(
            f"{entry.where}: ignore entry {entry.fingerprint}{owner} expired on {entry.expires.isoformat()}; "
            f"it no longer suppresses anything ({count} finding(s) reported again). "
            "Renew it with a new expires= date or remove it."
        )
    return replace(result, findings=kept, stats=stats, suppressed=suppressed)


def _ignore_reason(finding: Finding, entries: list[IgnoreEntry | GitleaksEntry]) -> str | None:
    for entry in entries:
        if entry.matches(finding):
            return entry.label()
    return None
