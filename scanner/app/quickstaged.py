"""The pre-commit hook's fast path: a clean commit told from one git process, without building a detector.

Most hook runs are clean commits. The full path (scanner.app.staged) starts two git processes, imports
and builds the detector and renders a result: about 60 modules for a commit that prints nothing. Here,
one `git diff --cached` gives every staged text file whole (scanner.sources.git.wholediff) and the
detector's own Hyperscan database (`Detector.hit_database`, kept in the start-up cache by the run that
built it) is asked whether any rule or decoder pattern hits anywhere in those files. Where none does,
`Detector.scan` finds nothing, so the full path's result is known: no finding, the counts of what it
scanned, exit 0.

Anything else goes to the full path, which then does everything itself: any hit, a binary, unmerged,
submodule or big file, a merge in progress, the repository's own config or ignore files, FILES with
nothing staged, git failing, no Hyperscan or no cache. This path never reports a finding, a note or an
error: the full path does, so they are said one way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from scanner.detect import startup
from scanner.detect.startup import cache_dir, cache_name, default_rules_dir, file_stamps, read_cache, rule_files
from scanner.detect.textio import is_plain_text
from scanner.sources.git.gitenv import HOOK_ENV, scrubbed_env

# What the full path reads from the repository itself (scanner.config.CONFIG_NAME, and the ignore files of
# scanner.suppress.ignorefile.root_ignore_files): with any of them present it decides.
REPO_FILES = (".mindee-scan.yaml", ".mindee-scan-ignore", ".gitleaksignore")
_FORMAT = "1"


def clean_commit(files: Sequence[str], quiet: bool) -> int | None:
    """0 when the staged commit is clean and the full path's text output has been written; None when the
    full path must decide (nothing has been written then)."""
    started = time.perf_counter()
    if not quiet and sys.stdout.isatty():
        return None  # colour: the full path renders it
    top = os.path.abspath(".")
    env = scrubbed_env(HOOK_ENV)
    # As scanner.sources.git.staged.repo_info: hooks run at the top of the work tree.
    if "GIT_DIR" in env or not os.path.isdir(os.path.join(top, ".git", "objects")):
        return None
    if any(os.path.lexists(os.path.join(top, name)) for name in (*REPO_FILES, ".git/MERGE_HEAD")):
        return None
    database = _hit_database()
    if database is None:
        return None
    import hyperscan

    from scanner.sources.git.wholediff import Undecided, staged_files

    try:
        db = hyperscan.loadb(database, hyperscan.HS_MODE_BLOCK)
        scratch = hyperscan.Scratch(db)
    except (hyperscan.error, TypeError, ValueError):
        return None  # a cache entry from another CPU or a damaged one: the full path rebuilds

    def on_match(pid: int, start: int, end: int, flags: int, context: object) -> bool:
        return True  # one hit is enough: stop the scan

    scanned = size = 0
    paths: set[str] = set()
    try:
        for change, data in staged_files(top, env):
            paths.add(change.path)
            if data is None:
                continue
            if not is_plain_text(data):
                return None  # binary or UTF-16: `prepare` would change what is scanned
            try:
                db.scan(data, match_event_handler=on_match, scratch=scratch)
            except hyperscan.ScanTerminated:
                return None  # a hit: the full path scans
            scanned += 1
            size += len(data)
            data = None  # freed before the next file is read: one file in memory at a time
    except Undecided:
        return None
    if files and _whole_files(files, top, paths):
        return None
    if not quiet:
        # scanner.report.text.summary_line for a result with nothing found, skipped or noted
        _write(f"scanned {scanned} file(s), {size / (1024 * 1024):.1f} MiB in {time.perf_counter() - started:.2f}s\n")
    return 0


def _whole_files(files: Sequence[str], top: str, staged: set[str]) -> bool:
    """Would the full path scan some of FILES whole (files with nothing staged, scanner.app.staged._restrict)?"""
    for name in files:
        rel = os.path.relpath(os.path.abspath(name), top).replace(os.sep, "/")
        if rel not in staged and os.path.isfile(os.path.join(top, rel)):
            return True
    return False


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from scanner.report.writer import quiet_broken_pipe

        quiet_broken_pipe()


def _cache_key() -> bytes | None:
    """What the database depends on: the rule files, the detection code that turns them into patterns,
    Python, Hyperscan and the CPU. None when a file cannot be read (then there is no fast path)."""
    import hyperscan

    from scanner import __version__

    rules_dir = default_rules_dir()
    detect_dir = os.path.dirname(os.path.abspath(startup.__file__))
    code = sorted(os.path.join(detect_dir, n) for n in os.listdir(detect_dir) if n.endswith(".py"))
    rules = file_stamps(rule_files(rules_dir))
    sources = file_stamps(code)
    if rules is None or sources is None or not code:
        return None
    version = getattr(hyperscan, "__version__", "?")
    parts = [_FORMAT, __version__, str(sys.version_info[:2]), rules_dir, *rules, detect_dir, *sources]
    parts += [version, os.uname().machine]
    return "|".join(parts).encode("utf-8", "surrogateescape")


def _hit_database() -> bytes | None:
    """`Detector.hit_database` of the detector the full path builds for this repository (built-in rules,
    no config), from the start-up cache; built and cached when missing. None without Hyperscan or cache."""
    if cache_dir() is None:
        return None  # MINDEE_SCAN_NO_CACHE: building the database here would cost what the full path costs
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return None
    key = _cache_key()
    if key is None:
        return None
    name = cache_name("hook", key, ".db")
    cached = read_cache(name, key)
    if cached is not None:
        return cached
    from scanner.config import Config
    from scanner.detect.build import build_detector

    database = build_detector(Config()).hit_database()
    if database is not None:
        startup.write_cache(name, key, database)
    return database
