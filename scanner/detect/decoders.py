"""Where a key sits encoded, the text it would read as in clear, and the way back to the encoded bytes.

Decoders turn prefilter hits into `Segment`s (these original bytes read as that text): base64 values,
JSON `\\uXXXX` escapes, string literals joined by concatenation, UTF-16LE strings inside binaries.
`regions` splices the segments into bounded pieces of text for the detector to scan again, and each
`Region` maps a match in that text back to where the encoded value sits in the original bytes.

Work stays linear in the input, whatever it holds: every encoded value is decoded once, text a decoder
produced is the only place decoded again (nested base64), and a `Budget` caps the bytes one scan may
decode at a constant times its size. (Decoding each value into its line and scanning that line again,
other values included, cost n^4 on a line of n base64 runs: 2.5 KB took hours.)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from scanner.detect.b64text import MAX_DECODED_BLOB as _MAX_DECODED_BLOB
from scanner.detect.b64text import MIN_LINE_RUN as _MIN_LINE_B64
from scanner.detect.b64text import decode_text as _b64decode_text
from scanner.detect.prefilter import Trigger
from scanner.lazyre import lazy_compile

# Fragments that `md_` and `mindee` leave in base64 text at each of the three byte alignments, so a
# Kubernetes secret or a base64 .env blob is decoded only where it can hold something of ours.
BASE64_FRAGMENTS = (
    b"bWRf", b"1kX", b"tZF",
    b"bWluZGVl", b"1pbmRlZ", b"taW5kZW",
    b"TUlOREVF", b"1JTkRFR", b"NSU5ERU",
    b"TWluZGVl", b"NaW5kZW",
)  # fmt: skip
_FRAGMENT = lazy_compile(b"|".join(BASE64_FRAGMENTS))
_B64_RUN = lazy_compile(rb"[A-Za-z0-9+/_-]{24,}+={0,2}")  # see _MIN_LINE_B64 (b64text.holds_decodable_run reads it)
_B64_BODY = lazy_compile(rb"[A-Za-z0-9+/_-]*+")
_B64_PAD = lazy_compile(rb"={0,2}")
# Greedy `.*` then one non-base64 byte: matching from a floor to a hit ends just after the last
# separator before the hit (backtracking from the hit, in C), which is where the run starts.
_LAST_NON_B64 = lazy_compile(rb"(?s).*[^A-Za-z0-9+/_-]")
# A run found only because a rule's keyword sits on its line must decode to at least a 16-character
# secret (24 base64 characters, _MIN_LINE_B64) and mix cases like encoded text: long snake_case
# identifiers are not worth a decode (they were 90% of the decode attempts in a history scan of psf/requests).

# A JSON `\uXXXX` escape of a character a key is made of (letters, digits, `_`, `-`): JSON encoders
# that escape HTML or non-ASCII characters write `_` as `\u005f`. Escapes of anything else (`\u003c`,
# `\u0022`) end a token: the rules already read them as delimiters.
_KEY_CHAR_HEX = rb"00(?:2[dD]|3[0-9]|4[1-9a-fA-F]|5[0-9aAfF]|6[1-9a-fA-F]|7[0-9aA])"
# Another escape is passed over whole (the `u0027` of `\u0027` does not start a token), else a token.
_ESCAPED_TOKEN = lazy_compile(
    rb"\\u(?!" + _KEY_CHAR_HEX + rb")[0-9A-Fa-f]{4}|(?P<token>(?:[A-Za-z0-9_\-]++|\\u" + _KEY_CHAR_HEX + rb")++)"
)
_KEY_CHARS = {f"{c:02x}".encode(): bytes([c]) for c in range(128)}  # hex digits after `\\u00` -> character
_ESCAPE_REACH = 320  # bytes after a hit a fully escaped key (46 characters of 6 bytes) can still reach

# One join between two string literals of one statement: the closing quote, an operator (`+` in
# JS/Java/C#/Python/Ruby/Kotlin/Dart, `.` in PHP, `..` in Lua, `&` in VB, `||` in SQL, `\` before a
# continued line, or nothing: Python's implicit concatenation), at most one line break, the opening
# quote (after C#'s `@`/`$` or Python's `f`/`r`/`b`). Letters or digits on both sides: the join sits
# inside a value, not between arguments.
_JOIN = lazy_compile(
    rb"[\"'`](?<=[A-Za-z0-9_\-][\"'`])[ \t]*+(?:(?:\+|\.\.?|&|\|\||\\)[ \t]*+)?"
    rb"(?:\r?\n[ \t]*+(?:(?:\+|\.\.?|&|\|\|)[ \t]*+)?)?(?:[@\$]|[bfruBFRU]{1,2})?[\"'`](?=[A-Za-z0-9_\-])"
)
_TOKEN_BODY = lazy_compile(rb"[A-Za-z0-9_\-]{0,64}+")
_MAX_JOINS = 16

# A run of printable ASCII stored as UTF-16LE (each character followed by a NUL byte).
_UTF16_RUN = lazy_compile(rb"(?:[\x20-\x7e]\x00)++")
_UTF16_BACK = 64  # characters looked at before a hit: what the rule's look-behind needs, and a name

_BUDGET_FACTOR = 4
_BUDGET_FLOOR = 1 << 16


class Segment(NamedTuple):
    """Original bytes [start, end) read as `text` once decoded; `encoding` names how."""

    start: int
    end: int
    text: bytes
    encoding: str


class Budget:
    """Decoded bytes one scan may still produce: a constant times its size, so no input decodes without bound."""

    __slots__ = ("left",)

    def __init__(self, size: int) -> None:
        self.left = _BUDGET_FACTOR * size + _BUDGET_FLOOR

    def take(self, size: int) -> bool:
        if size > self.left:
            self.left = 0
            return False
        self.left -= size
        return True


class Fresh:
    """The ranges of a text that a decoder produced: the only place decoded again (nested values)."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self._starts = [s for s, _ in spans]
        self._ends = [e for _, e in spans]

    def around(self, pos: int) -> tuple[int, int] | None:
        """The fresh range holding `pos`, if any."""
        i = bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self._ends[i]:
            return self._starts[i], self._ends[i]
        return None

    def holds(self, start: int, end: int) -> bool:
        span = self.around(start)
        return span is not None and end <= span[1]

    def touches(self, start: int, end: int) -> bool:
        """Does [start, end) overlap a fresh range?"""
        i = bisect_right(self._starts, max(start, end - 1)) - 1
        return i >= 0 and self._ends[i] > start


class Decoding(NamedTuple):
    """What every decoder reads besides its hits: the bytes, the ranges it may decode again (None: all of
    them) and the budget the scan's decoders share."""

    data: bytes
    fresh: Fresh | None
    budget: Budget

    def holds(self, start: int, end: int) -> bool:
        """May [start, end) be decoded: is it wholly inside a fresh range (or is everything fresh)?"""
        return self.fresh is None or self.fresh.holds(start, end)


def decoder_triggers(binary_keywords: Iterable[str]) -> list[Trigger]:
    """Prefilter patterns that say where an encoded key can be, so decoders run only there."""
    triggers = [Trigger("base64", literal=f, case_sensitive=True) for f in BASE64_FRAGMENTS]
    # JSON escapes: an escaped `m`, `d`, `M` or `_` (a key or a Mindee-named setting written escaped),
    # or `md_` followed by an escaped key character.
    triggers += [Trigger("json-escape", literal=e) for e in (rb"\u005f", rb"\u006d", rb"\u0064", rb"\u004d")]
    triggers.append(Trigger("json-escape-md", literal=b"md_", pattern=rb"md_[A-Za-z0-9_\-]{0,45}\\u00[2-7][0-9A-Fa-f]"))
    # `md_` and part of a body, a closing quote and what can join it to the next literal.
    joined = rb"md_[A-Za-z0-9_\-]{0,45}[\"'`][ \t]{0,4}(?:[+.&|\\\r\n]|[@\$bfruBFRU]?[\"'`])"
    triggers.append(Trigger("concat", literal=b"md_", pattern=joined))
    # Prefixed keys stored as UTF-16LE inside binaries (.NET string heaps, resources).
    for keyword in sorted(set(binary_keywords)):
        wide = keyword.encode("ascii", "ignore").lower()
        if len(wide) < 3:
            continue
        pattern = b"(?i)" + b"".join(re.escape(bytes([c])) + rb"\x00" for c in wide)
        triggers.append(Trigger("utf16", literal=wide.decode().encode("utf-16-le"), pattern=pattern))
    return triggers


# -- base64 -----------------------------------------------------------------------------------------


def base64_segments(
    at: Decoding, fragment_spans: Iterable[tuple[int, int]], lines: Sequence[tuple[int, int]]
) -> list[Segment]:
    """Base64 runs around the fragments, and mixed-case runs of `lines`, that decode to text: each once."""
    data, fresh = at.data, at.fresh
    runs: dict[tuple[int, int], None] = {}
    covered = 0
    # Hits are visited in order and a hit inside a run already found is skipped, so a long base64
    # line full of fragments (`bWRf` * 2,000,000) costs one pass, not one pass per hit. A span holds
    # one fragment, or a cluster of them (scanner/detect/dense.py): the fragments in it are found
    # here, from the end of the last run, so each run still costs one step.
    for hs, he in sorted(fragment_spans):
        pos = max(hs, covered)
        while pos < he:
            m = _FRAGMENT.search(data, pos, he)
            if m is None:
                break
            s = m.start()
            floor, ceiling = covered, len(data)
            if fresh is not None:
                span = fresh.around(s)
                if span is None:
                    pos = s + 1
                    continue
                floor, ceiling = max(floor, span[0]), span[1]
            start, end = _b64_run_bounds(data, s, floor, ceiling)
            covered = pos = max(end, s + 1)
            if 16 <= end - start <= _MAX_DECODED_BLOB:
                runs[(start, end)] = None
    for ls, le in lines:
        for m in _B64_RUN.finditer(data, ls, le):
            sized = _MIN_LINE_B64 <= m.end() - m.start() <= _MAX_DECODED_BLOB
            if sized and at.holds(*m.span()) and _mixed_case(m.group()):
                runs[m.span()] = None
    out: list[Segment] = []
    for rs, re_ in runs:
        decoded = _b64decode_text(data[rs:re_])
        if decoded is not None and at.budget.take(len(decoded)):
            out.append(Segment(rs, re_, decoded, "base64"))
    return out


def _mixed_case(run: bytes) -> bool:
    return run.lower() != run and run.upper() != run


def _b64_run_bounds(data: bytes, pos: int, floor: int, ceiling: int) -> tuple[int, int]:
    """The base64 run around `pos` within [floor, ceiling), found by C-speed regex scans both ways."""
    back = _LAST_NON_B64.match(data, floor, pos)
    start = back.end() if back else floor
    fwd = _B64_BODY.match(data, pos, ceiling)
    end = fwd.end() if fwd else pos
    pad = _B64_PAD.match(data, end, ceiling)
    return start, pad.end() if pad else end


# -- JSON escapes -----------------------------------------------------------------------------------


def json_escape_segments(
    at: Decoding, hit_spans: Iterable[tuple[int, int]], lines: Sequence[tuple[int, int]]
) -> list[Segment]:
    """Tokens of key characters written partly or wholly as `\\uXXXX` escapes, read in clear.

    Near a hit (a key starts at most 18 bytes before it) and on whole `lines`; each byte once.
    """
    data = at.data
    windows = [(max(0, s - 24), min(len(data), s + _ESCAPE_REACH)) for s, _ in hit_spans]
    windows.extend(lines)
    merged: list[tuple[int, int]] = []
    for ws, we in sorted(windows):
        if merged and ws <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(we, merged[-1][1]))
        else:
            merged.append((ws, we))
    out: list[Segment] = []
    for ws, we in merged:
        if data.find(b"\\u", ws, we) < 0:
            continue
        for m in _ESCAPED_TOKEN.finditer(data, ws, we):
            token = m.group("token")
            if token is None or b"\\" not in token or not at.holds(m.start(), m.end()):
                continue
            first, *rest = token.split(b"\\u00")  # each `\\` of a token opens an escape of a key character
            text = first + b"".join([_KEY_CHARS[part[:2].lower()] + part[2:] for part in rest])
            if at.budget.take(len(text)):
                out.append(Segment(m.start(), m.end(), text, "json-escape"))
    return out


# -- string concatenation ---------------------------------------------------------------------------


def concat_segments(
    at: Decoding, hit_spans: Iterable[tuple[int, int]], lines: Sequence[tuple[int, int]]
) -> list[Segment]:
    """Joins between string literals (`"md_ab" + "cd"`) read as nothing, so the parts read as one value.

    From an `md_` hit the joins of that one value are followed (at most 16, 64 characters a part);
    on whole `lines` (a Mindee-named setting whose value the rule could not read) every join.
    """
    data = at.data
    joins: dict[tuple[int, int], None] = {}
    covered = 0
    for s, _ in sorted(hit_spans):
        if s < covered:
            continue
        pos = s
        for _ in range(_MAX_JOINS):
            body = _TOKEN_BODY.match(data, pos)
            pos = body.end() if body else pos
            join = _JOIN.match(data, pos)
            if join is None:
                break
            joins[join.span()] = None
            pos = join.end()
        covered = pos
    for ls, le in lines:
        for join in _JOIN.finditer(data, ls, le):
            joins[join.span()] = None
    out: list[Segment] = []
    for js, je in joins:
        if at.holds(js, je) and at.budget.take(1):
            out.append(Segment(js, je, b"", "concatenation"))
    return out


# -- UTF-16 inside binaries -------------------------------------------------------------------------


def utf16_segments(at: Decoding, hit_spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """Printable UTF-16LE strings around the hits, read as ASCII; each string once."""
    data, fresh = at.data, at.fresh
    out: list[Segment] = []
    covered = 0
    for s, _ in sorted(hit_spans):
        if s < covered or (fresh is not None and fresh.around(s) is None):
            continue
        start = s
        floor = max(covered, s - 2 * _UTF16_BACK)
        while start - 2 >= floor and data[start - 1] == 0 and 0x20 <= data[start - 2] < 0x7F:
            start -= 2
        m = _UTF16_RUN.match(data, s)
        end = m.end() if m else s
        covered = end
        text = data[start:end:2]
        if len(text) >= 8 and at.budget.take(len(text)):
            out.append(Segment(start, end, text, "utf-16-le"))
    return out


# -- regions ----------------------------------------------------------------------------------------


class Region:
    """A piece of the original bytes with its segments decoded: what the detector scans again."""

    __slots__ = ("_pieces", "_starts", "fresh", "text")

    def __init__(self, text: bytes, pieces: list[tuple[int, int, int, str | None]]) -> None:
        self.text = text
        # (start in text, start in the original, end in the original, encoding or None when clear)
        self._pieces = pieces
        self._starts = [p[0] for p in pieces]
        ends = [*self._starts[1:], len(text)]
        # A join removed by concatenation is a point of the text; it counts as its next byte.
        self.fresh = Fresh([(p[0], max(e, p[0] + 1)) for p, e in zip(pieces, ends, strict=True) if p[3]])

    def locate(self, start: int, end: int) -> tuple[int, int, str | None]:
        """Where [start, end) of `text` sits in the original, and the encoding it passed through (None: clear)."""
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, max(start, end - 1)) - 1
        encoding = None
        for i in range(first, last + 1):
            if self._pieces[i][3]:
                encoding = self._pieces[i][3]
                break
        ts, os_, oe, enc = self._pieces[first]
        orig_start = os_ if enc else os_ + (start - ts)
        ts, os_, oe, enc = self._pieces[last]
        orig_end = oe if enc else os_ + (end - ts)
        return orig_start, orig_end, encoding


def regions(data: bytes, segments: list[Segment], context: int, gap: int) -> list[Region]:
    """Segments spliced into their lines (at most `context` bytes each side), one region for those less
    than `gap` bytes apart: 100,000 short base64 lines are scanned again as one text, not one by one."""
    segments.sort(key=lambda g: (g.start, g.end))
    out: list[Region] = []
    parts: list[bytes] = []
    pieces: list[tuple[int, int, int, str | None]] = []
    size = 0
    region_start = pos = end = -1  # pos: original bytes consumed; end: where the current region stops

    def close() -> None:
        nonlocal size
        if pos < end:
            pieces.append((size, pos, end, None))
            parts.append(data[pos:end])
        out.append(Region(b"".join(parts), list(pieces)))
        parts.clear()
        pieces.clear()
        size = 0

    for seg in segments:
        if seg.start < pos:
            continue  # overlaps a segment already taken (two decoders claiming the same bytes)
        if seg.start > end + gap or region_start < 0:
            if region_start >= 0:
                close()
            floor = max(end, seg.start - context, 0)
            region_start = data.rfind(b"\n", floor, seg.start) + 1 or floor
            pos = end = region_start
        if seg.start > pos:
            pieces.append((size, pos, seg.start, None))
            parts.append(data[pos : seg.start])
            size += seg.start - pos
        pieces.append((size, seg.start, seg.end, seg.encoding))
        parts.append(seg.text)
        size += len(seg.text)
        pos = seg.end
        if pos >= end:
            limit = min(len(data), pos + context)
            nl = data.find(b"\n", pos, limit)
            end = limit if nl < 0 else nl
    if region_start >= 0:
        close()
    return out
