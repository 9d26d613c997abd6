"""The pre-commit hook's fast path: a clean commit told from one git process, without building a detector.

Most hook runs are clean commits. The full path (scanner.app.staged) starts two git processes, imports
and builds the detector and renders a result: about 60 modules for a commit that prints nothing. Here,
one `git diff --cached` gives every staged text file whole (scanner.sources.git.wholediff) and the
detector's own Hyperscan database (`Detector.hook_database`, kept in the start-up cache by the run that
built it) is asked whether any rule or decoder pattern hits anywhere in those files. Where none does,
`Detector.scan` finds nothing, so the full path's result is known: no finding, the counts of what it
scanned (a submodule it lists as skipped), exit 0. The hits of a wide rule (every legacy-key rule: the
word `mindee` or `MINDEE_API_KEY`, in nearly every file of a Mindee client) count only with its
secret's shape or something a decoder reads on the lines its windows touch (scanner/detect/reach.py).

Anything else goes to the full path, which then does everything itself: any other hit, a binary, unmerged
or big file, a merge in progress, the repository's own config or ignore files, FILES with nothing
staged, git failing, no Hyperscan or no cache. This path never reports a finding, a note or an
error: the full path does, so they are said one way.
"""

from __future__ import annotations

import os
import sys
import time

from scanner.detect import startup
from scanner.detect.startup import cache_dir, cache_name, default_rules_dir, file_stamps, read_cache, rule_files
from scanner.detect.textio import is_plain_text
from scanner.sources.git.gitenv import HOOK_ENV, scrubbed_env

TYPE_CHECKING = False  # not typing's: a clean commit imports neither `typing` nor the `re` it brings
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# What the full path reads from the repository itself (scanner.config.CONFIG_NAME, and the ignore files of
# scanner.suppress.ignorefile.root_ignore_files): with any of them present it decides.
REPO_FILES = (".mindee-scan.yaml", ".mindee-scan-ignore", ".gitleaksignore")
_FORMAT = "3"  # 3: hook_database with windows (2: without, 1: hit_database)
_EXTENSION = "hyperscan._hs_ext"


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
    hs = _hyperscan()
    if hs is None:
        return None
    database = _hit_database(hs.__file__)
    if database is None:
        return None
    from scanner.sources.git.wholediff import Undecided, skipped_submodule, staged_files

    try:
        hits = HookDatabase(hs, database)
    except (hs.error, TypeError, ValueError):
        return None  # a cache entry from another CPU or a damaged one: the full path rebuilds

    scanned = size = submodules = 0
    paths: set[str] = set()
    try:
        for change, data in staged_files(top, env):
            paths.add(change.path)
            if data is None:
                submodules += skipped_submodule(change, data)
                continue
            if not is_plain_text(data):
                return None  # binary or UTF-16: `prepare` would change what is scanned
            if hits.may_match(data):
                return None  # the full path scans
            scanned += 1
            size += len(data)
            data = None  # freed before the next file is read: one file in memory at a time
    except Undecided:
        return None
    if files and _whole_files(files, top, paths):
        return None
    if not quiet:
        # scanner.report.text.summary_line for a result with nothing found or noted, and nothing skipped
        # but submodules (which the full path does not follow either)
        skipped = f"; skipped {submodules} submodule" if submodules else ""
        seconds = time.perf_counter() - started
        _write(f"scanned {scanned} file(s), {size / (1024 * 1024):.1f} MiB in {seconds:.2f}s{skipped}\n")
    return 0


class HookDatabase:
    """`Detector.hook_database` loaded: `may_match(data)` is False only where `Detector.scan(data)` finds
    nothing (no hit that decides; a wide rule's hits without its secret's shape or anything a decoder
    reads on the lines its windows touch: scanner/detect/reach.py)."""

    def __init__(self, hs: Any, database: bytes) -> None:
        head, _, body = database.partition(b"\n")
        wide, gates, burst, windows = head.split()
        self._wide, self._gates, self._burst = int(wide), int(gates), int(burst)
        # pattern id - wide -> (before, after) of its rule
        self._windows = [tuple(map(int, w.split(b":"))) for w in windows.split(b",")] if windows != b"-" else []
        if len(self._windows) != self._gates - self._wide:
            raise ValueError("a hook database whose windows do not match its wide patterns")
        self._hs = hs
        self._db = hs.loadb(body, hs.HS_MODE_BLOCK)
        self._scratch = hs.Scratch(self._db)

    def may_match(self, data: bytes) -> bool:
        wide, gates = self._wide, self._gates
        spans: list[list[tuple[int, int]]] = [[] for _ in self._windows]  # each wide rule's hits
        ends: list[int] = []  # where each gate's hits end

        def on_match(pid: int, start: int, end: int, flags: int, context: object) -> bool | None:
            if pid < wide:
                return True  # a hit that decides: stop the scan
            if pid < gates:
                spans[pid - wide].append((start, end))
            else:
                ends.append(end)
            return None

        try:
            self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        except self._hs.ScanTerminated:
            return True
        if not any(spans):
            return False
        from scanner.detect.b64text import holds_decodable_run

        if any(len(s) >= self._burst for s in spans):
            # The full path may find these hits as clusters (wider windows): any gate in the file counts.
            return bool(ends) or holds_decodable_run(data)
        from scanner.detect.windows import lines_of, merge_windows

        size = len(data)
        windows = []
        for hits, (before, after) in zip(spans, self._windows, strict=True):
            windows += merge_windows(hits, before, after, size)
        lines = lines_of(data, windows)  # sorted, disjoint
        # A gate counts where it ends inside a line, in (start, end]: a rule's secret lies in a window, and
        # the decoders (`json_escape_segments`, `concat_segments`) read only matches inside the lines (a
        # join's gate ends one byte after it, at its lookahead byte, which is inside the line too).
        i = 0
        for end in sorted(ends):
            while i < len(lines) and lines[i][1] < end:
                i += 1
            if i == len(lines):
                break
            if lines[i][0] < end:
                return True
        return any(holds_decodable_run(data[ls:le]) for ls, le in lines)


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


def _hyperscan() -> Any:
    """Hyperscan's C extension module (None without Hyperscan), loaded by itself when the package is not
    imported yet: the package's `__init__` imports `typing` for a NamedTuple this path does not use (a
    quarter of the fast path's start-up). Everything used here is the extension's (`import hyperscan`
    does `from hyperscan._hs_ext import *`)."""
    module = sys.modules.get(_EXTENSION)
    if module is not None:
        return module
    import importlib.machinery  # (not importlib.util: its imports cost more than the three lines below)

    package = importlib.machinery.PathFinder.find_spec("hyperscan")
    if package is None or not package.submodule_search_locations:
        return None
    spec = importlib.machinery.PathFinder.find_spec(_EXTENSION, list(package.submodule_search_locations))
    if spec is None or spec.loader is None:
        return None
    module = spec.loader.create_module(spec)
    if module is None:
        return None
    module.__spec__, module.__loader__, module.__package__ = spec, spec.loader, "hyperscan"
    spec.loader.exec_module(module)
    # A single-phase extension puts itself in sys.modules; taken out, a later `import hyperscan` (the
    # full path) sets its package up as usual (the extension's objects are shared: the same classes).
    if sys.modules.get(_EXTENSION) is module:
        del sys.modules[_EXTENSION]
    return module


def _cache_key(extension: str) -> bytes | None:
    """What the database depends on: the rule files, the detection code that turns them into patterns,
    Python, the Hyperscan extension and the CPU. None when a file cannot be read (no fast path then)."""
    from scanner import __version__

    rules_dir = default_rules_dir()
    detect_dir = os.path.dirname(os.path.abspath(startup.__file__))
    code = sorted(os.path.join(detect_dir, n) for n in os.listdir(detect_dir) if n.endswith(".py"))
    rules = file_stamps(rule_files(rules_dir))
    sources = file_stamps(code)
    library = file_stamps([extension])
    if rules is None or sources is None or library is None or not code:
        return None
    parts = [_FORMAT, __version__, str(sys.version_info[:2]), rules_dir, *rules, detect_dir, *sources]
    parts += [extension, *library, os.uname().machine]
    return "|".join(parts).encode("utf-8", "surrogateescape")


def _hit_database(extension: str) -> bytes | None:
    """`Detector.hook_database` of the detector the full path builds for this repository (built-in rules,
    no config), from the start-up cache; built and cached when missing. None without a cache."""
    if cache_dir() is None:
        return None  # MINDEE_SCAN_NO_CACHE: building the database here would cost what the full path costs
    key = _cache_key(extension)
    if key is None:
        return None
    name = cache_name("hook", key, ".db")
    cached = read_cache(name, key)
    if cached is not None:
        return cached
    from scanner.config import Config
    from scanner.detect.build import build_detector

    database = build_detector(Config()).hook_database()
    if database is not None:
        startup.write_cache(name, key, database)
    return database
