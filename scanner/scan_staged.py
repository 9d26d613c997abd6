"""`mindee-scan staged` and the pre-commit hook: what the next commit would add.

Kept apart from the history scan so the hook imports nothing it does not run (start-up is the
hook's cost: every module and record class here is paid on each commit).
"""

from __future__ import annotations

import time
from typing import Any

from scanner.config import Config
from scanner.engine import FindingBuilder, build_detector
from scanner.gitio import Git
from scanner.model import Finding, ScanResult, ScanStats
from scanner.pathmatch import PathMatcher
from scanner.record import field, record


@record(frozen=True)
class StagedOptions:
    """`all_lines`: report every finding in a staged file, not only those on lines the commit adds."""

    config: Config = field(default_factory=Config)
    all_lines: bool = False
    max_file_size: int | None = None
    use_hyperscan: bool = True


def scan_staged(git: Git, info: Any, options: StagedOptions) -> ScanResult:
    """Findings the next commit would add; line numbers are those of the staged file."""
    from scanner.sources.staged import read_staged

    started = time.perf_counter()
    config = options.config
    staged = read_staged(git, info, options.max_file_size or config.max_file_size)
    stats = ScanStats(notes=list(staged.notes))
    for path, reason in staged.skipped:
        stats.skip(path, reason)
    skip_paths = PathMatcher(config.allow_paths + config.exclude)
    builder = FindingBuilder(build_detector(config, options.use_hyperscan)) if staged.files or staged.big else None
    findings: list[Finding] = []
    for item in staged.files:
        path = item.change.path
        if skip_paths.matches(path):
            stats.skip(path, "allowlisted path")
            continue
        assert builder is not None
        found, binary = builder.from_bytes(item.data, path)
        stats.files_scanned += 1
        stats.bytes_scanned += len(item.data)
        stats.binary_files += int(binary)
        for f in found:
            added = _added_by_commit(f, item, binary or item.change.binary)
            if added:
                findings.append(f.with_changes(staged=True))
            elif options.all_lines:
                findings.append(f)
    for change in staged.big:
        path = change.path
        if skip_paths.matches(path):
            stats.skip(path, "allowlisted path")
            continue
        assert builder is not None
        findings.extend(_scan_big(git, change, info, builder, options.all_lines, stats))
    stats.duration_s = time.perf_counter() - started
    stats.extra["files_staged"] = len(staged.files) + len(staged.big)
    stats.extra["staged_paths"] = sorted(staged.paths)
    result = ScanResult(findings=findings, stats=stats, target=info.top, source="staged")
    result.sort()
    return result


def _scan_big(
    git: Git, change: Any, info: Any, builder: FindingBuilder, all_lines: bool, stats: ScanStats
) -> list[Finding]:
    """A staged file over STREAM_OVER, streamed in bounded windows. Git's diff has no lines for it, so a
    key is new when the previous version (and the other side of a merge) does not hold it."""
    from scanner.engine import note_stream
    from scanner.sources.staged import blob_holds, blob_pieces

    scan = builder.scan_stream(blob_pieces(git, change.new_sha), change.path)
    note_stream(scan, change.path, stats)
    stats.files_scanned += 1
    stats.bytes_scanned += scan.size
    stats.binary_files += int(scan.binary)
    if all_lines or not scan.findings:
        return scan.findings
    needles = {f.secret.encode("utf-8", "surrogateescape") for f in scan.findings}
    seen: set[bytes] = set()
    if change.old_sha:
        seen |= blob_holds(git, change.old_sha, needles)
    if info.merging:
        seen |= blob_holds(git, f"MERGE_HEAD:{change.path}", needles)
    return [
        f.with_changes(staged=True) for f in scan.findings if f.secret.encode("utf-8", "surrogateescape") not in seen
    ]


def _added_by_commit(f: Finding, item: Any, binary: bool) -> bool:
    """On a line the commit adds (or, in a binary file, absent from its previous version) and not
    already in the branch being merged."""
    secret = f.secret.encode("utf-8", "surrogateescape")
    if item.merge_other is not None and secret in item.merge_other:
        return False
    if binary:
        return item.old_data is None or secret not in item.old_data
    return f.line in item.change.added
