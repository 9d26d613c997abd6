"""Find where rules could match before any Python regex runs: the prefilter decides scan speed.

With Hyperscan (one multi-pattern pass at about 1 GB/s) each rule contributes its `hyperscan`
pattern (or its keywords); without it, a pure-Python search for the keywords in lowered bytes.
Both return, per pattern owner, the (start, end) spans of every hit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Trigger:
    """One prefilter pattern and who owns it (a rule index, or a decoder name such as 'base64')."""

    owner: str
    literal: bytes | None = None  # exact bytes (searched caseless unless case_sensitive)
    pattern: bytes | None = None  # a Hyperscan regex, used only when Hyperscan is available
    case_sensitive: bool = False


Hits = dict[str, list[tuple[int, int]]]


class Prefilter:
    """Compiled once per process; `scan(data)` returns hit spans grouped by owner."""

    def __init__(self, triggers: Sequence[Trigger], use_hyperscan: bool = True) -> None:
        self.triggers = list(triggers)
        self._db: Any = None
        self._scratch: Any = None
        if use_hyperscan:
            self._db = _compile_hyperscan(self.triggers)
        # Fallback: literal keywords only (Hyperscan-only patterns fall back to their owner's literals).
        self._literals = [(t.owner, t.literal, t.case_sensitive) for t in self.triggers if t.literal]
        self._any_caseless = any(not cs for _, _, cs in self._literals)

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "python"

    def scan(self, data: bytes) -> Hits:
        if self._db is not None:
            return self._scan_hyperscan(data)
        return self._scan_python(data)

    def _scan_hyperscan(self, data: bytes) -> Hits:
        import hyperscan

        if self._scratch is None:
            # Scratch space is per process: allocate lazily so forked workers get their own.
            self._scratch = hyperscan.Scratch(self._db)
        hits: Hits = {}
        triggers = self.triggers

        def on_match(pid: int, start: int, end: int, flags: int, context: object) -> None:
            hits.setdefault(triggers[pid].owner, []).append((start, end))

        try:
            self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        except hyperscan.error:  # pragma: no cover - scratch/db mismatch would be a bug; fall back
            return self._scan_python(data)
        return hits

    def _scan_python(self, data: bytes) -> Hits:
        hits: Hits = {}
        lowered = data.lower() if self._any_caseless else data
        for owner, literal, case_sensitive in self._literals:
            assert literal is not None
            haystack = data if case_sensitive else lowered
            needle = literal if case_sensitive else literal.lower()
            pos = haystack.find(needle)
            if pos < 0:
                continue
            spans = hits.setdefault(owner, [])
            size = len(needle)
            while pos >= 0:
                spans.append((pos, pos + size))
                pos = haystack.find(needle, pos + 1)
        return hits


def _ignore(pid: int, start: int, end: int, flags: int, context: object) -> None:
    return None


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def _compile_hyperscan(triggers: Sequence[Trigger]) -> object | None:
    try:
        import hyperscan
    except ImportError:
        return None
    import re

    expressions: list[bytes] = []
    flags: list[int] = []
    for t in triggers:
        if t.pattern is not None:
            expressions.append(t.pattern)
            flags.append(hyperscan.HS_FLAG_SOM_LEFTMOST)
        else:
            assert t.literal is not None
            expressions.append(re.escape(t.literal))
            f = hyperscan.HS_FLAG_SOM_LEFTMOST
            if not t.case_sensitive:
                f |= hyperscan.HS_FLAG_CASELESS
            flags.append(f)
    from scanner.rulecache import hyperscan_key, read_cache, write_cache

    # Compiling takes 10-20 ms a run; a serialized database loads in microseconds.
    version = getattr(hyperscan, "__version__", "?")
    key = hyperscan_key(expressions, flags, f"{version}|{os.uname().machine}")
    cached = read_cache(key)
    if cached is not None:
        try:
            db = hyperscan.loadb(cached, hyperscan.HS_MODE_BLOCK)
            # A database built for another CPU fails here, not in the middle of a scan.
            db.scan(b"md_ mindee", match_event_handler=_ignore, scratch=hyperscan.Scratch(db))
            return db
        except (hyperscan.error, TypeError, ValueError):
            pass  # corrupt or foreign cache entry: compile and overwrite it
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    except hyperscan.error as exc:
        from scanner.errors import ConfigError

        raise ConfigError(f"a rule's hyperscan pattern does not compile: {exc}") from None
    write_cache(key, hyperscan.dumpb(db))
    return db
