"""Dense prefilter hits: one span per cluster of hits instead of one Python call per hit.

A 63 MB line of `md_md_md_...` is a Hyperscan match every 3 bytes; each cost a Python callback,
a list entry and a window to merge (about 8 minutes). When one owner's hits come that dense, the
prefilter stops, drops that owner from the database and finds its hits again as clusters: a C-speed
regex over the literal every match of the owner opens with, one match object per cluster. Each
cluster span covers every hit in it (from the first literal to the last plus the pattern's widest
match), so a rule's windows can only grow, and a rule's regex finds in a larger window what it found
in the windows inside it. Base64 fragments are literals: `decoders.base64_segments` walks the
fragments inside a span one run at a time, as it did hit by hit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scanner.record import record

if TYPE_CHECKING:
    from scanner.detect.prefilter import Trigger

# Hits of one owner less than GAP bytes apart continue a burst; a burst of BURST hits makes the owner dense.
GAP = 64
BURST = 512
_UNBOUNDED = 1 << 16
# Decoders that read each hit for itself (not as a window, and not a plain literal): never clustered.
PER_HIT_OWNERS = frozenset({"json-escape", "json-escape-md", "concat", "utf16"})


@record(frozen=True, slots=True)
class Clusterer:
    """Finds an owner's hits as clusters: `openers` every match begins with, `width` its longest match."""

    openers: re.Pattern[bytes]
    width: int

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        size = len(data)
        return [(m.start(), min(size, m.end() + self.width)) for m in self.openers.finditer(data)]


def clusterer(owner: str, triggers: Sequence[Trigger]) -> Clusterer | None:
    """How to find `owner`'s hits as clusters, or None when its patterns give no literal opening and
    bounded width (then its hits stay one by one)."""
    from scanner.detect.regex import literal_prefixes

    if owner in PER_HIT_OWNERS:
        return None
    openers: list[bytes] = []
    width = 0
    for t in triggers:
        widest: int | None
        if t.pattern is None:
            if not t.literal:
                return None
            prefixes, caseless, widest = [t.literal], not t.case_sensitive, len(t.literal)
        else:
            pattern, flags = t.pattern, 0
            if pattern.startswith(b"(?i)"):
                pattern, flags = pattern[4:], re.IGNORECASE
            found = literal_prefixes(pattern, flags)
            widest = _widest(pattern, flags)
            if not found:
                return None
            prefixes, caseless = found, bool(flags)
        if widest is None:
            return None
        for p in prefixes:
            openers.append(b"(?i:" + re.escape(p) + b")" if caseless else re.escape(p))
        width = max(width, widest)
    if not openers:
        return None
    one = b"(?:" + b"|".join(dict.fromkeys(openers)) + b")"
    # Openers less than GAP bytes apart make one cluster; the lazy gap tries at most GAP lengths each.
    return Clusterer(re.compile(one + rb"(?:[\s\S]{0,%d}?" % GAP + one + b")*+"), width)


def _widest(pattern: bytes, flags: int) -> int | None:
    parser = getattr(re, "_parser", None)
    if parser is None:
        return None
    try:
        high = parser.parse(pattern, flags).getwidth()[1]
    except (re.error, TypeError, ValueError, OverflowError):
        return None
    return int(high) if high < _UNBOUNDED else None
