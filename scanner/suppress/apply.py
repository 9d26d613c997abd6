"""The keep/ignore decision after detection: ignore-file entries and baselines move findings aside.

Suppressed findings are kept in `ScanResult.suppressed` (with `suppressed_by` saying why) for audits;
expired ignore entries stop suppressing and leave a note, so a lapsed exception is never silent.

Two kinds of entry: a fingerprint (`.mindee-scan-ignore`, our baseline) names a secret and covers it
wherever it is; a location (a gitleaks `.gitleaksignore` line, a detect-secrets baseline entry) names
one place, and suppresses that place only: the same key in another file is still reported.
"""

from __future__ import annotations

import os
from datetime import date

from scanner.model import Finding, Occurrence, ScanResult
from scanner.record import replace
from scanner.suppress.baseline import Baseline, DetectSecretsBaseline, load_any_baseline
from scanner.suppress.ignorefile import (
    GitleaksEntry,
    IgnoreEntry,
    is_gitleaks_file,
    load_ignore,
    locations,
    root_ignore_files,
)


def apply_suppressions(
    result: ScanResult,
    baseline: str | None,
    ignore_file: str | None,
    root: str | None,
    today: date | None = None,
    repo_named: tuple[str, ...] = (),
) -> ScanResult:
    """Return a result whose findings exclude what the ignore files and the baseline already cover.

    `root`: the scanned repository, whose own ignore files are read (None: they are not; see
    scanner.trust). Those and the files in `repo_named` are read on the repository's say-so, through
    scanner.trust.read_repo_file: regular files inside `root`, size-capped."""
    today = today or date.today()
    entries: list[IgnoreEntry | GitleaksEntry] = []
    named = os.path.realpath(ignore_file) if ignore_file else None
    if ignore_file is not None:
        entries.extend(load_ignore(ignore_file, root if ignore_file in repo_named else None))
    if root is not None:
        for candidate in root_ignore_files(root):
            if ignore_file is not None and not is_gitleaks_file(candidate):
                continue  # --ignore-file replaces our own root file; gitleaks' is always read, as gitleaks does
            if os.path.realpath(candidate) == named:
                continue
            # read on the repository's say-so: a committed symlink is refused by the trust reader
            entries.extend(load_ignore(candidate, root))
    base_root = root if baseline is not None and baseline in repo_named else None
    base = load_any_baseline(baseline, base_root) if baseline else None
    base_label = f"baseline {baseline}"

    active: list[IgnoreEntry] = []
    expired: list[IgnoreEntry] = []
    places: list[GitleaksEntry] = []
    for entry in entries:
        if isinstance(entry, GitleaksEntry):
            places.append(entry)
        elif entry.expired(today):
            expired.append(entry)
        else:
            active.append(entry)

    kept: list[Finding] = []
    suppressed = list(result.suppressed)
    revived: dict[str, int] = {}
    for finding in result.findings:
        reason = _ignore_reason(finding, active)
        if reason is None and isinstance(base, Baseline) and base.contains(finding):
            reason = base_label
        if reason is not None:
            suppressed.append(finding.with_changes(suppressed_by=reason))
            continue
        rest, hidden = _by_location(finding, places, base if isinstance(base, DetectSecretsBaseline) else None)
        for part, why in hidden:
            suppressed.append(part.with_changes(suppressed_by=why if why != "baseline" else base_label))
        if rest is None:
            continue
        kept.append(rest)
        for entry in expired:
            if entry.matches(rest):
                revived[entry.where] = revived.get(entry.where, 0) + 1

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


def _ignore_reason(finding: Finding, entries: list[IgnoreEntry]) -> str | None:
    for entry in entries:
        if entry.matches(finding):
            return entry.label()
    return None


def _by_location(
    finding: Finding, entries: list[GitleaksEntry], ds: DetectSecretsBaseline | None
) -> tuple[Finding | None, list[tuple[Finding, str]]]:
    """Split a finding by the places location entries name: (what stays reported, [(suppressed part, why)])."""
    if not entries and ds is None:
        return finding, []
    remaining: list[Occurrence] = []
    hidden: dict[str, list[Occurrence]] = {}
    for place in locations(finding):
        why = next((e.label() for e in entries if e.matches_at(finding, place)), None)
        if why is None and ds is not None and ds.covers(finding, place.path):
            why = "baseline"
        if why is None:
            remaining.append(place)
        else:
            hidden.setdefault(why, []).append(place)
    if not hidden:
        return finding, []
    parts = [(_at(finding, places), why) for why, places in hidden.items()]
    return (_at(finding, remaining) if remaining else None), parts


def _at(finding: Finding, places: list[Occurrence]) -> Finding:
    """The finding restricted to `places`: the first becomes its own place. The source line, author and
    date belong to the original place, so they are dropped when the place changes."""
    first = places[0]
    occurrences = tuple(places) if finding.occurrences else ()
    if (first.path, first.line, first.commit) == (finding.path, finding.line, finding.commit):
        return finding.with_changes(occurrences=occurrences)
    same_commit = first.commit == finding.commit
    return finding.with_changes(
        path=first.path,
        line=first.line,
        column=first.column if first.column is not None else finding.column,
        commit=first.commit,
        author=finding.author if same_commit else None,
        date=finding.date if same_commit else None,
        line_text="",
        occurrences=occurrences,
    )
