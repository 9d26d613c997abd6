"""Find where rules could match before any Python regex runs: the prefilter decides scan speed.

With Hyperscan (one multi-pattern pass at about 1 GB/s) each rule contributes its `hyperscan`
pattern (or its keywords); without it, a pure-Python search for the keywords in lowered bytes.
Both return, per pattern owner, the (start, end) spans of every hit.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from scanner.detect.dense import BURST, GAP, PER_HIT_OWNERS, Clusterer, clusterer
from scanner.record import record


@record(frozen=True, slots=True)
class Trigger:
    """One prefilter pattern and who owns it (a rule index, or a decoder name such as 'base64')."""

    owner: str
    literal: bytes | None = None  # exact bytes (searched caseless unless case_sensitive)
    # A Hyperscan regex. With a literal too, the pure-Python fallback uses it to confirm each literal hit
    # when the pattern starts with that literal, so both engines report the same few hits.
    pattern: bytes | None = None
    case_sensitive: bool = False
    # Only whether it is found anywhere matters (a rule's file-level `context`): Hyperscan reports it
    # once, without tracking where the match starts; that tracking made the context patterns, with
    # their `^[ \t]*` openings, cost more than every other pattern together (0.7 s of 1.1 s on 300 MB).
    presence: bool = False


Hits = dict[str, list[tuple[int, int]]]

# Hits the first pass over joined texts (`Prefilter.texts_hit`) takes one by one before it leaves the
# texts to the full pass: a Python call per hit, and a normal megabyte of source holds a few dozen.
FIRST_PASS_HITS = 4096


class Prefilter:
    """Compiled once per process; `scan(data)` returns hit spans grouped by owner."""

    def __init__(self, triggers: Sequence[Trigger], use_hyperscan: bool = True) -> None:
        self.triggers = list(triggers)
        self._db: Any = None
        self._scratch: Any = None
        if use_hyperscan:
            self._db = _compile_hyperscan(self.triggers)
        # Owners whose dense hits can be found as clusters, and the databases without them (built on use).
        self._clusterers: dict[str, Clusterer | None] = dict.fromkeys(PER_HIT_OWNERS)
        self._without: dict[frozenset[str], tuple[Any, Any, list[Trigger]]] = {}
        self._presence = frozenset(t.owner for t in self.triggers if t.presence)
        # Per database (keyed like `_without`): who owns each pattern id and which burst counter it feeds,
        # worked out once, not on every scan (it was a third of the per-file cost of a tree scan).
        self._slots: dict[frozenset[str], tuple[list[str], list[int], int]] = {}
        # Fallback: literal keywords (Hyperscan-only patterns fall back to their owner's literals), each
        # optionally confirmed by an anchored match of the pattern at the hit.
        by_owner: dict[str, list[Trigger]] = {}
        for t in self.triggers:
            if t.literal:
                by_owner.setdefault(t.owner, []).append(t)
        confirm = {owner: _confirmer(ts) for owner, ts in by_owner.items()}
        self._literals = [
            (t.owner, t.literal if t.case_sensitive else t.literal.lower(), t.case_sensitive, confirm[t.owner])
            for t in self.triggers
            if t.literal
        ]
        self._any_caseless = any(not cs for _, _, cs, _ in self._literals)
        self._joinable: bool | None = None  # worked out on first use: a hook never asks
        # The first pass over joined texts (`texts_hit`): built on first use, False when it cannot be.
        self._first: tuple[Any, Any] | bool | None = None

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "python"

    @property
    def joinable(self) -> bool:
        """Does every hit in a text show up in that text joined to others with newlines? Yes when no
        pattern looks at where the data starts or ends (or around a match): then one pass over many
        small texts finds at least every hit each would have alone."""
        if self._joinable is None:
            from scanner.detect.regex import edge_sensitive

            self._joinable = not any(t.pattern is not None and edge_sensitive(t.pattern) for t in self.triggers)
        return self._joinable

    def placed_hits(self, data: bytes) -> tuple[Hits, bool]:
        """The hits of every owner but the presence-only ones, and whether each was found one by one
        (Hyperscan, no owner's hits came dense and were found as clusters): then the hits inside a part
        of `data` are those a pass over that part alone finds, but for matches that cross its edges."""
        if self._db is None:
            hits, exact = self._scan_python(data), False
        else:
            hits, exact = self._scan_hyperscan(data)
        presence = self._presence
        return {owner: spans for owner, spans in hits.items() if owner not in presence}, exact

    def texts_hit(self, data: bytes, starts: Sequence[int]) -> set[int] | None:
        """Which of the texts joined in `data` (text i from `starts[i]`) hold the end of a hit of a pattern
        that can open a match (not the presence-only ones), or None when this pass cannot tell (no
        Hyperscan, or more than `FIRST_PASS_HITS` hits: the caller does its full pass instead).

        A first pass without leftmost start-of-match tracking, which made Hyperscan a third slower on
        source trees. It finds no fewer texts than `placed_hits` can give hits in: every hit of a text
        alone is a hit of the joined data ending inside that text (no pattern looks past a match's
        ends: `joinable`), and Hyperscan reports every end of a match, with or without its start."""
        first = self._first_pass()
        if first is None:
            return None
        import hyperscan

        db, scratch = first
        texts: set[int] = set()
        budget = [FIRST_PASS_HITS]

        def on_match(pid: int, start: int, end: int, flags: int, context: object) -> bool | None:
            budget[0] -= 1
            if budget[0] < 0:
                return True  # dense hits: the caller's full pass finds them as clusters (dense.py)
            texts.add(bisect_right(starts, end - 1) - 1)
            return None

        try:
            db.scan(data, match_event_handler=on_match, scratch=scratch)
        except hyperscan.ScanTerminated:
            return None
        except hyperscan.error:  # pragma: no cover - scratch/db mismatch would be a bug: the full pass decides
            return None
        texts.discard(-1)
        return texts

    def _first_pass(self) -> tuple[Any, Any] | None:
        """The database and scratch of `texts_hit`: every trigger but the presence-only ones, no SOM."""
        if self._first is None:
            self._first = False
            kept = [t for t in self.triggers if not t.presence]
            if self._db is not None and kept:
                import hyperscan

                from scanner.errors import ConfigError

                try:
                    db: Any = _compile_hyperscan(kept, som=False)
                except ConfigError:  # a user's pattern Hyperscan takes only with SOM: every pass is full
                    db = None
                if db is not None:
                    self._first = (db, hyperscan.Scratch(db))
        return self._first if isinstance(self._first, tuple) else None

    def scan(self, data: bytes) -> Hits:
        if self._db is not None:
            return self._scan_hyperscan(data)[0]
        return self._scan_python(data)

    def _scan_hyperscan(self, data: bytes) -> tuple[Hits, bool]:
        """Hits one by one, until an owner's come dense (see scanner/detect/dense.py): then that owner's
        hits are found as clusters and the data is scanned again without it, at most once per owner.
        Also whether every hit was found one by one."""
        import hyperscan

        if self._scratch is None:
            # Scratch space is per process: allocate lazily so forked workers get their own.
            self._scratch = hyperscan.Scratch(self._db)
        clusterers = self._clusterers
        dense: frozenset[str] = frozenset()
        db, scratch, triggers = self._db, self._scratch, self.triggers
        while True:
            try:
                hits, found = _one_pass(hyperscan, db, scratch, self._slots_of(dense, triggers), data)
            except hyperscan.error:  # pragma: no cover - scratch/db mismatch would be a bug; fall back
                return self._scan_python(data), False
            if not found:
                break
            # Worked out when first needed (parsing every pattern would slow the hook's start-up);
            # an owner that cannot be clustered is counted hit by hit from then on.
            for owner in found:
                if owner not in clusterers:
                    clusterers[owner] = clusterer(owner, [t for t in self.triggers if t.owner == owner])
                    self._slots.clear()  # an owner that cannot be clustered counts no bursts from now on
            if all(clusterers[owner] is None for owner in found):
                continue
            dense = dense | {owner for owner in found if clusterers[owner] is not None}
            db, scratch, triggers = self._database_without(dense)
            if db is None:
                hits = {}
                break
        for owner in dense:
            finder = clusterers[owner]
            assert finder is not None
            spans = finder.spans(data)
            if spans:
                hits[owner] = spans
        return hits, not dense

    def _slots_of(self, dense: frozenset[str], triggers: list[Trigger]) -> tuple[list[str], list[int], int]:
        """For the database without the `dense` owners: each pattern id's owner and burst counter (-1 for
        none: the owner cannot be clustered, or only its presence counts), and how many counters there are."""
        slots = self._slots.get(dense)
        if slots is None:
            owners = [t.owner for t in triggers]
            index = {owner: i for i, owner in enumerate(dict.fromkeys(owners))}
            clusterers = self._clusterers
            slot = [
                -1 if t.presence or (t.owner in clusterers and clusterers[t.owner] is None) else index[t.owner]
                for t in triggers
            ]
            slots = self._slots[dense] = (owners, slot, len(index))
        return slots

    def serialized_without(self, owners: frozenset[str]) -> bytes | None:
        """The Hyperscan database of every trigger but those of `owners`, serialized (None without Hyperscan)."""
        if self._db is None:
            return None
        import hyperscan

        db = self._database_without(owners)[0]
        return None if db is None else bytes(hyperscan.dumpb(db))

    def _database_without(self, owners: frozenset[str]) -> tuple[Any, Any, list[Trigger]]:
        """A database of every trigger but those of `owners` (None when none is left), its scratch, its triggers."""
        if owners not in self._without:
            import hyperscan

            kept = [t for t in self.triggers if t.owner not in owners]
            db: Any = _compile_hyperscan(kept) if kept else None
            self._without[owners] = (db, hyperscan.Scratch(db) if db is not None else None, kept)
        return self._without[owners]

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


def _one_pass(
    hyperscan: Any, db: Any, scratch: Any, slots: tuple[list[str], list[int], int], data: bytes
) -> tuple[Hits, list[str]]:
    """Every hit of `db` in `data`; stopped early, with the owners found dense, when one owner's hits
    come BURST in a row less than GAP bytes apart (unless it is known it cannot be clustered)."""
    hits: Hits = {}
    owners, slot, counters = slots
    last = [-(1 << 62)] * counters
    burst = [0] * counters
    found: list[str] = []

    def on_match(pid: int, start: int, end: int, flags: int, context: object) -> bool | None:
        owner = owners[pid]
        spans = hits.get(owner)
        if spans is None:
            spans = hits[owner] = []
        spans.append((start, end))
        i = slot[pid]
        if i >= 0:
            burst[i] = burst[i] + 1 if start - last[i] < GAP else 1
            last[i] = start
            if burst[i] >= BURST:
                found.append(owner)
                return True  # stop: this owner is found as clusters, the rest again without it
        return None

    try:
        db.scan(data, match_event_handler=on_match, scratch=scratch)
    except hyperscan.ScanTerminated:
        return hits, found
    return hits, []


def _confirmer(triggers: Sequence[Trigger]) -> re.Pattern[bytes] | None:
    """One owner's pattern as a Python regex, when every match of it starts where a literal is found.

    Confirming may only drop hits, never a real match: each way the pattern can begin (`md_...`, or
    each branch of `(key|secret|passw(or)?d)...`) must open with one of the owner's literals, compared
    caselessly where the literal search is caseless. Otherwise the hits are not confirmed.
    """
    patterns = {t.pattern for t in triggers}
    if len(patterns) != 1 or None in patterns:
        return None
    pattern = next(iter(patterns))
    assert pattern is not None
    flags = 0
    if pattern.startswith(b"(?i)"):
        pattern, flags = pattern[4:], re.IGNORECASE
    from scanner.detect.regex import literal_prefixes

    prefixes = literal_prefixes(pattern, flags)
    if not prefixes:
        return None
    for prefix in prefixes:
        if not any(_covers(t, prefix, flags) for t in triggers):
            return None
    try:
        return re.compile(pattern, flags)
    except re.error:
        return None


def _covers(t: Trigger, prefix: bytes, flags: int) -> bool:
    """Does a search for t.literal find every place where a match can begin with `prefix`?"""
    literal = t.literal or b""
    if not literal:
        return False
    if t.case_sensitive:
        return not flags and prefix.startswith(literal)
    return prefix.lower().startswith(literal.lower())


def serialize(triggers: Sequence[Trigger]) -> bytes | None:
    """A Hyperscan database of `triggers` (pattern ids in their order), serialized; None without Hyperscan."""
    db: Any = _compile_hyperscan(triggers)
    if db is None:
        return None
    import hyperscan

    return bytes(hyperscan.dumpb(db))


def _ignore(pid: int, start: int, end: int, flags: int, context: object) -> None:
    return None


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def _compile_hyperscan(triggers: Sequence[Trigger], som: bool = True) -> object | None:
    """`som`: report where each match starts (leftmost); without it only ends are reported, faster."""
    try:
        import hyperscan
    except ImportError:
        return None
    expressions: list[bytes] = []
    flags: list[int] = []
    for t in triggers:
        if t.presence:
            assert t.pattern is not None
            expressions.append(t.pattern)
            flags.append(hyperscan.HS_FLAG_SINGLEMATCH)
        elif t.pattern is not None:
            expressions.append(t.pattern)
            flags.append(hyperscan.HS_FLAG_SOM_LEFTMOST if som else 0)
        else:
            assert t.literal is not None
            expressions.append(re.escape(t.literal))
            f = hyperscan.HS_FLAG_SOM_LEFTMOST if som else 0
            if not t.case_sensitive:
                f |= hyperscan.HS_FLAG_CASELESS
            flags.append(f)
    from scanner.detect.rulecache import cache_name, hyperscan_key, read_cache, write_cache

    # Compiling takes 10-20 ms a run; a serialized database loads in microseconds.
    version = getattr(hyperscan, "__version__", "?")
    key = hyperscan_key(expressions, flags, f"{version}|{os.uname().machine}")
    name = cache_name("hs", key, ".db")
    cached = read_cache(name, key)
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
    write_cache(name, key, hyperscan.dumpb(db))
    return db
