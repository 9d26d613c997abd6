"""Find where rules could match before any Python regex runs: the prefilter decides scan speed.

With Hyperscan (one multi-pattern pass at about 1 GB/s) each rule contributes its `hyperscan`
pattern (or its keywords); without it, a pure-Python search for the keywords in lowered bytes.
Both return, per pattern owner, the (start, end) spans of every hit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Trigger:
    """One prefilter pattern and who owns it (a rule index, or a decoder name such as 'base64')."""

    owner: str
    literal: bytes | None = None  # exact bytes (searched caseless unless case_sensitive)
    # A Hyperscan regex. With a literal too, the pure-Python fallback uses it to confirm each literal hit
    # when the pattern starts with that literal, so both engines report the same few hits.
    pattern: bytes | None = None
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
        # Fallback: literal keywords (Hyperscan-only patterns fall back to their owner's literals), each
        # optionally confirmed by an anchored match of the pattern at the hit.
        self._literals = [
            (t.owner, t.literal if t.case_sensitive else t.literal.lower(), t.case_sensitive, _confirmer(t))
            for t in self.triggers
            if t.literal
        ]
        self._any_caseless = any(not cs for _, _, cs, _ in self._literals)

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
        for owner, needle, case_sensitive, confirm in self._literals:
            haystack = data if case_sensitive else lowered
            pos = haystack.find(needle)
            if pos < 0:
                continue
            spans = hits.get(owner)
            size = len(needle)
            while pos >= 0:
                end = pos + size
                if confirm is not None:
                    m = confirm.match(data, pos)
                    end = m.end() if m else -1
                if end >= 0:
                    if spans is None:
                        spans = hits[owner] = []
                    spans.append((pos, end))
                pos = haystack.find(needle, pos + 1)
        return hits


def _confirmer(t: Trigger) -> re.Pattern[bytes] | None:
    """The trigger's pattern as a Python regex, when it starts with the literal (else no confirmation)."""
    if t.pattern is None or t.literal is None:
        return None
    text = t.pattern
    flags = 0
    if text.startswith(b"(?i)"):
        text, flags = text[4:], re.IGNORECASE
    literal = t.literal
    if re.escape(literal) != literal:
        return None
    # Confirming may only drop hits, never a real match: every match of the pattern must start with
    # text the literal search finds, so the pattern must open with the literal's characters as plain
    # literals (not `mindee?`, not `mindee|other`), compared caselessly where either side is caseless.
    if t.case_sensitive and flags:
        return None
    if not _opens_with(text, flags, literal, caseless=flags != 0 or not t.case_sensitive):
        return None
    try:
        return re.compile(text, flags)
    except re.error:
        return None


def _opens_with(pattern: bytes, flags: int, literal: bytes, caseless: bool) -> bool:
    parser = getattr(re, "_parser", None)  # the stdlib's regex parser (sre_parse before 3.11)
    if parser is None:
        return False
    try:
        head = list(parser.parse(pattern, flags))[: len(literal)]
    except (re.error, TypeError, ValueError):
        return False
    if len(head) < len(literal):
        return False
    for (op, value), char in zip(head, literal, strict=True):
        if op is not parser.LITERAL:
            return False
        if value != char and not (caseless and bytes([value]).lower() == bytes([char]).lower()):
            return False
    return True


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
