"""The keep/ignore decision after detection: ignore-file entries and baselines move findings aside.

Suppressed findings are kept in `ScanResult.suppressed` (with `suppressed_by` saying why) for audits;
expired ignore entries stop suppressing and leave a note, so a lapsed exception is never silent.

Two kinds of entry: a fingerprint (`.mindee-scan-ignore`, our baseline) names a secret and covers it
wherever it is; a location (a gitleaks `.gitleaksignore` line, a detect-secrets baseline entry) names
one place, and suppresses that place only: the same key in another file is still reported.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from scanner.model import Finding, Occurrence, RepositoryConfigStats, RepositoryEffect, ScanResult
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

if TYPE_CHECKING:
    from datetime import date

    from scanner.config import Config


def _today() -> date:
    # Imported here: every pre-commit run suppresses, few have an ignore entry that can expire.
    from datetime import date

    return date.today()


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
        elif entry.expired(today or _today()):
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
            suppressed.append(_suppressed(finding, reason))
            continue
        rest, hidden = _by_location(finding, places, base if isinstance(base, DetectSecretsBaseline) else None)
        for part, why in hidden:
            suppressed.append(_suppressed(part, why if why != "baseline" else base_label))
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


def _suppressed(finding: Finding, why: str) -> Finding:
    return finding.with_changes(decisions=replace(finding.decisions, suppressed_by=why))


def _at(finding: Finding, places: list[Occurrence]) -> Finding:
    """The finding restricted to `places`: the first becomes its own place. The source line, author and
    date belong to the original place, so they are dropped when the place changes."""
    first = places[0]
    where, history = finding.where, finding.history
    occurrences = tuple(places) if history.occurrences else ()
    if (first.path, first.line, first.commit) == (where.path, where.line, history.commit):
        return finding.with_changes(history=replace(history, occurrences=occurrences))
    same_commit = first.commit == history.commit
    column = first.column if first.column is not None else where.column
    return finding.with_changes(
        where=replace(where, path=first.path, line=first.line, column=column),
        context=replace(finding.context, text=""),
        history=replace(
            history,
            commit=first.commit,
            author=history.author if same_commit else None,
            date=history.date if same_commit else None,
            occurrences=occurrences,
        ),
    )


# --- what the scanned repository's own files did to this scan (the trust model: scanner/trust.py) -----


def _effects(config: Config) -> list[RepositoryEffect]:
    """What the repository's config changed, one entry per setting, for the report summary."""
    from scanner.config import DEFAULT_MAX_FILE_SIZE

    out: list[RepositoryEffect] = []

    def add(setting: str, value: Any, text: str) -> None:
        out.append(RepositoryEffect(config.source, setting, value, text))

    listed = (  # (setting, the names it lists, what it does to them, a rider)
        ("rules.disable", list(config.disabled_rules), "disables rule(s)", ""),
        ("rules.only", list(config.only_rules), "reports only rule(s)", ""),
        ("rules.add", [r.id for r in config.extra_rules], "adds rule(s)", " (never verified)"),
        ("exclude", list(config.exclude), "excludes path(s)", ""),
        ("allowlist.paths", list(config.allow_paths), "allowlists path(s)", ""),
    )
    for setting, names, does, rider in listed:
        if names:
            add(setting, names, f"{does} {', '.join(names)}{rider}")
    if config.allow_regexes:
        patterns = [p.pattern for p in config.allow_regexes]
        add("allowlist.regexes", patterns, f"allowlists what {len(patterns)} regex(es) match")
    if config.stopwords:
        add("allowlist.stopwords", list(config.stopwords), f"allowlists {len(config.stopwords)} stopword(s)")
    if config.max_file_size != DEFAULT_MAX_FILE_SIZE:
        add(
            "max_file_size",
            config.max_file_size,
            f"sets max_file_size to {config.max_file_size} bytes (default {DEFAULT_MAX_FILE_SIZE})",
        )
    for key in ("baseline", "ignore_file"):
        named = getattr(config, key)
        if named:
            add(key, named, f"names {key.replace('_', ' ')} {named}")
    for what in config.refused:
        add("refused", what, "asked for " + what + ": refused")
    return out


def repo_suppression_files(config: Config, baseline: str | None, ignore_file: str | None) -> tuple[str, ...]:
    """Which suppression files of this scan are read on the repository's say-so: the baseline and
    ignore file its config names, and its root ignore files (`.mindee-scan-ignore` when nothing else
    names one, `.gitleaksignore`)."""
    if config.repo_root is None:
        return ()
    named_baseline, named_ignore = config.suppression_files() if config.origin == "repository" else (None, None)
    files: list[str] = []
    if baseline and baseline == named_baseline:
        files.append(baseline)
    if ignore_file and ignore_file == named_ignore:
        files.append(ignore_file)
    named = os.path.realpath(ignore_file) if ignore_file else None
    for candidate in root_ignore_files(config.repo_root):
        # as suppress.apply_suppressions reads them: a named ignore file replaces ours, not gitleaks'
        if (ignore_file is None or is_gitleaks_file(candidate)) and os.path.realpath(candidate) != named:
            files.append(candidate)
    return tuple(files)


def _suppressed_by(result: ScanResult, path: str) -> int:
    """Findings that an entry of the file at `path` suppressed (labels name the file, see apply_suppressions)."""
    count = 0
    for f in result.suppressed:
        label = f.decisions.suppressed_by or ""
        _kind, _, rest = label.partition(" ")
        if rest == path or rest.startswith(path + ":"):
            count += 1
    return count


def annotate(result: ScanResult, config: Config, repo_files: tuple[str, ...] = ()) -> ScanResult:
    """Say in the result (a note per effect, `repository_config` in the stats) what the scanned
    repository's own files did to this scan: every format shows notes, JSON ones the stats.

    `repo_files`: the ignore files and baselines read on the repository's say-so."""
    if config.repo_root is None:
        return result
    effects = _effects(config) if config.origin == "repository" else []
    for path in repo_files:
        n = _suppressed_by(result, path)
        effects.append(RepositoryEffect(path, "suppressed", n, f"suppressed {n} finding(s)"))
    if not effects:
        return result
    allowlisted = sum(1 for _, reason in result.stats.skipped if reason == "allowlisted path")
    files = list(dict.fromkeys(str(e.file) for e in effects))

    result.stats.repository_config = RepositoryConfigStats(
        root=config.repo_root, files=tuple(files), effects=tuple(effects), allowlisted_paths_skipped=allowlisted
    )
    for e in effects:
        result.stats.notes.append(f"repository file {e.file}: {e.text}")
    result.stats.notes.append(
        "the scanned repository's own files narrowed this scan as listed; --config FILE or --ignore-repo-config "
        "scans without them"
    )
    return result


def suppress_and_annotate(
    result: ScanResult, config: Config | None, baseline: str | None, ignore_file: str | None
) -> ScanResult:
    """Apply the ignore file and baseline, then record what the scanned repository's own files did
    (the CLI's `finish` and the lean pre-commit path both end here)."""
    if config is None:
        from scanner.config import Config

        config = Config()
    repo_files = repo_suppression_files(config, baseline, ignore_file)
    if baseline or ignore_file or repo_files:
        result = apply_suppressions(
            result, baseline=baseline, ignore_file=ignore_file, root=config.repo_root, repo_named=repo_files
        )
    return annotate(result, config, repo_files)
