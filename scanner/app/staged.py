"""`mindee-scan staged` and the pre-commit hook: what the next commit would add.

Kept apart from the history scan so the hook imports nothing it does not run (start-up is the
hook's cost: every module and record class here is paid on each commit).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scanner.app.cap import FindingsCap
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.model import Finding, ScanResult, ScanStats
from scanner.pathmatch import PathMatcher
from scanner.record import field, record, replace
from scanner.sources.git.gitio import Git

if TYPE_CHECKING:
    from scanner.app.request import StagedRequest


@record(frozen=True)
class StagedOptions:
    """`all_lines`: report every finding in a staged file, not only those on lines the commit adds."""

    config: Config = field(default_factory=Config)
    all_lines: bool = False
    max_file_size: int | None = None
    use_hyperscan: bool = True


def scan_staged(git: Git, info: Any, options: StagedOptions) -> ScanResult:
    """Findings the next commit would add; line numbers are those of the staged file."""
    return _scan_staged(git, info, options)[0]


def _scan_staged(git: Git, info: Any, options: StagedOptions) -> tuple[ScanResult, list[str]]:
    """The result, and the paths that have something staged (FILES outside them are scanned whole)."""
    from scanner.sources.git.staged import read_staged

    started = time.perf_counter()
    config = options.config
    staged = read_staged(git, info, options.max_file_size or config.max_file_size)
    stats = ScanStats(notes=list(staged.notes))
    for path, reason in staged.skipped:
        stats.skip(path, reason)
    skip_paths = PathMatcher(config.allow_paths + config.exclude)
    builder = FindingBuilder(build_detector(config, options.use_hyperscan)) if staged.files or staged.big else None
    kept = FindingsCap()
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
                kept.add([_staged(f)])
            elif options.all_lines:
                kept.add([f])
    for change in staged.big:
        path = change.path
        if skip_paths.matches(path):
            stats.skip(path, "allowlisted path")
            continue
        assert builder is not None
        kept.add(_scan_big(git, change, info, builder, options.all_lines, stats))
    findings = kept.take()
    kept.note(stats)
    stats.duration_s = time.perf_counter() - started
    stats.files_staged = len(staged.files) + len(staged.big)
    result = ScanResult(findings=findings, stats=stats, target=info.top, source="staged")
    result.sort()
    return result, sorted(staged.paths)


def _scan_big(
    git: Git, change: Any, info: Any, builder: FindingBuilder, all_lines: bool, stats: ScanStats
) -> list[Finding]:
    """A staged file over STREAM_OVER, streamed in bounded windows. Git's diff has no lines for it, so a
    key is new when the previous version (and the other side of a merge) does not hold it."""
    from scanner.detect.findings import note_stream
    from scanner.sources.git.staged import blob_holds, blob_pieces

    scan = builder.scan_stream(blob_pieces(git, change.new_sha), change.path)
    note_stream(scan, change.path, stats)
    stats.files_scanned += 1
    stats.bytes_scanned += scan.size
    stats.binary_files += int(scan.binary)
    if all_lines or not scan.findings:
        return scan.findings
    needles = {f.secret.reveal().encode("utf-8", "surrogateescape") for f in scan.findings}
    seen: set[bytes] = set()
    if change.old_sha:
        seen |= blob_holds(git, change.old_sha, needles)
    if info.merging:
        seen |= blob_holds(git, f"MERGE_HEAD:{change.path}", needles)
    return [_staged(f) for f in scan.findings if f.secret.reveal().encode("utf-8", "surrogateescape") not in seen]


def _staged(f: Finding) -> Finding:
    return f.with_changes(history=replace(f.history, staged=True))


def _added_by_commit(f: Finding, item: Any, binary: bool) -> bool:
    """On a line the commit adds (or, in a binary file, absent from its previous version) and not
    already in the branch being merged."""
    secret = f.secret.reveal().encode("utf-8", "surrogateescape")
    if item.merge_other is not None and secret in item.merge_other:
        return False
    if binary:
        return item.old_data is None or secret not in item.old_data
    return f.where.line in item.change.added


def run_staged(
    files: Sequence[str],
    config_path: str | None = None,
    all_lines: bool = False,
    max_file_size: str | None = None,
    exclude: tuple[str, ...] = (),
    ignore_repo_config: bool = False,
) -> tuple[ScanResult, Config]:
    """Scan the index (restricted to FILES when given); FILES with nothing staged are scanned whole.
    Returns the result and the config it was scanned with (which says what may suppress).

    `ignore_repo_config`: read none of the repository's own files (scanner.trust)."""
    from scanner.app.request import StagedRequest
    from scanner.app.run import run
    from scanner.config import load_config, parse_size
    from scanner.record import replace
    from scanner.sources.git.staged import repo_info, staged_git

    git = staged_git(".")
    info = repo_info(git)
    config = load_config(config_path, None if ignore_repo_config else info.top)
    if exclude:
        config = replace(config, exclude=config.exclude + exclude)
    request = StagedRequest(git, info, config, all_lines, parse_size(max_file_size), tuple(files))
    return run(request), config


def scan_staged_request(request: StagedRequest) -> ScanResult:
    """`run`'s staged scan: the index, restricted to the request's FILES when it names some."""
    options = StagedOptions(config=request.config, all_lines=request.all_lines, max_file_size=request.max_file_size)
    result, staged_paths = _scan_staged(request.git, request.info, options)
    if request.files:
        top, size = request.info.top, request.max_file_size
        result = _restrict(result, request.files, set(staged_paths), top, request.config, size)
    return result


def _restrict(
    result: ScanResult, files: Sequence[str], staged_paths: set[str], top: str, config: Config, max_size: int | None
) -> ScanResult:
    """Keep findings in FILES; scan whole any FILE that has nothing staged (`pre-commit run --all-files`)."""
    from scanner.app.dir import DirOptions, scan_paths

    wanted = {_rel(f, top) for f in files}
    result.findings = [f for f in result.findings if f.where.path in wanted]
    rest = sorted(p for p in wanted - staged_paths if os.path.isfile(os.path.join(top, p)))
    if not rest:
        return result
    cwd = os.getcwd()
    os.chdir(top)
    try:
        whole = scan_paths(DirOptions(paths=tuple(rest), config=config, max_file_size=max_size, named_by_user=False))
    finally:
        os.chdir(cwd)
    result.findings.extend(whole.findings)
    result.stats.merge(whole.stats)
    result.stats.notes.append(f"{len(rest)} file(s) with nothing staged were scanned whole (working tree)")
    result.sort()
    return result


def _rel(path: str, top: str) -> str:
    full = os.path.abspath(path)
    rel = os.path.relpath(full, top)
    return rel.replace(os.sep, "/")
