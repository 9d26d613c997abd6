"""Turn a blob's matches into located findings: the line, column and snippet of each match, big inputs
in bounded overlapping windows, and the per-file cap on findings kept.

Every source (files, git blobs, staged changes) goes through `FindingBuilder.from_bytes`."""

from __future__ import annotations

import codecs
import itertools
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain

from scanner.detect.engine import Detector
from scanner.detect.prefilter import Hits
from scanner.detect.rules import Rule
from scanner.detect.textio import is_plain_text, prepare
from scanner.model import Finding, Judgement, LineContext, Location, Match, ScanStats, Secret, clean_text
from scanner.record import record, replace

_MAX_LINE_TEXT = 400
_JUDGEMENTS_KEPT = 4096  # distinct judgements shared between findings (see _judgement)


@record
class FindingBuilder:
    """Runs the detector on raw bytes and attaches rule metadata and the source line to each match."""

    detector: Detector

    def __post_init__(self) -> None:
        self._rules: dict[str, Rule] = {r.id: r for r in self.detector.rules}
        self._judgements: dict[tuple[str, str, str, str | None], Judgement] = {}

    def scan_raw(self, raw: bytes) -> tuple[list[Match], bytes, bool]:
        """Matches plus the text bytes they index into, and whether the blob was binary."""
        prepared = prepare(raw)
        return self.detector.scan(prepared.data, binary=prepared.binary), prepared.data, prepared.binary

    def to_finding(
        self,
        match: Match,
        data: bytes,
        path: str,
        line_secrets: tuple[str, ...] = (),
        context: tuple[str, tuple[tuple[int, int, str], ...]] | None = None,
    ) -> Finding:
        """`context`: the snippet text and the spans of every secret in it (see `snippet_context`)."""
        text, spans = context if context is not None else snippet_context(data, match, [match])
        return Finding(
            self._judgement(match),
            Location(clean_text(path), match.line, match.column),
            Secret.of(match.secret),  # the one hashing of a found key
            LineContext(text, tuple(s for s in line_secrets if s != match.secret), spans, match.encoding),
        )

    def _judgement(self, match: Match) -> Judgement:
        """The rule's judgement of a match, one object for all matches judged alike."""
        key = (match.rule_id, match.confidence, match.note, match.other_vendor)
        judgement = self._judgements.get(key)
        if judgement is None:
            rule = self._rules[match.rule_id]
            verifier = None if match.other_vendor else rule.verifier
            judgement = Judgement(
                rule.id, rule.description, rule.severity, verifier, match.confidence, match.note, match.other_vendor
            )
            if len(self._judgements) >= _JUDGEMENTS_KEPT:  # notes name vendors the input chose: bounded
                self._judgements.clear()
            self._judgements[key] = judgement
        return judgement

    def to_findings(
        self, matches: list[Match], data: bytes, path: str, own: tuple[int, int] | None = None
    ) -> list[Finding]:
        """Findings for one blob; each snippet knows where every secret in it sits, so none shows them.

        Linear in the matches: a finding's snippet is a bounded window of its line, and the matches it
        holds are found by one sweep over matches sorted by position (16,000 keys on one line walked
        every other key of the line once per key: quadratic). With `own` (a streamed window), findings
        are made only for matches starting in that range; the others still mask their spans.
        """
        ordered = sorted(matches, key=lambda m: m.start)
        out: list[Finding] = []
        active: list[Match] = []
        nxt = 0
        bounds = _LineBounds(data)
        for m in ordered:
            if own is not None and not own[0] <= m.start < own[1]:
                continue
            ws, we = bounds.window(m.start)
            while nxt < len(ordered) and ordered[nxt].start < we:
                active.append(ordered[nxt])
                nxt += 1
            active = [a for a in active if a.end > ws or a is m]
            context = _window_text(data, ws, we, active)
            others = tuple(dict.fromkeys(a.secret for a in active if a.secret != m.secret and not a.encoding))
            out.append(self.to_finding(m, data, path, others, context))
        return out

    def needing_scan(self, raws: Sequence[bytes]) -> list[int]:
        """Indexes of the `raws` that `from_bytes` could find something in, from one prefilter pass over
        all of them joined by newlines: for commit messages and small blobs, a call's fixed cost is most
        of the work. Data that `prepare` changes (binary, UTF-16) is always listed."""
        return [i for i, _ in self.prefilter_group(raws)]

    def prefilter_group(self, raws: Sequence[bytes], first_pass: bool = True) -> list[tuple[int, Hits | None]]:
        """`needing_scan`, each index with the text's own prefilter hits where the joined pass found
        exactly what a pass over that text alone finds (give them to `from_bytes`, which then skips its
        own pass), else None. Exact: Hyperscan found every hit one by one (no dense owner), no hit
        crosses from one text into another, and each owner hit is a rule that needs nothing but its
        hits (`Detector.hits_suffice`). Then the text's hits are its matches in the joined data (no
        pattern looks past a match's ends: `joinable`), at the same places. A first pass without start
        tracking (`Detector.texts_hit`) leaves out the texts without any hit before that pass; it
        also pays alone, for one big text (the history scan's big blobs); `first_pass=False` where the
        caller's own first pass already chose `raws`."""
        if not self.detector.joinable:
            return [(i, None) for i in range(len(raws))]
        per_text: dict[int, Hits | None] = {}
        joined: list[bytes] = []
        starts: list[int] = []
        owners: list[int] = []
        offset = 0
        for i, raw in enumerate(raws):
            if not is_plain_text(raw):
                per_text[i] = None
                continue
            joined.append(raw)
            starts.append(offset)
            owners.append(i)
            offset += len(raw) + 1
        data = b"\n".join(joined)
        hit = self.detector.texts_hit(data, starts) if joined and first_pass else None
        if hit is not None and len(hit) < len(joined):
            # A first pass without start tracking found the few texts with a hit; the pass that places
            # hits runs over those alone (on a source tree, a sixth of the bytes).
            kept = sorted(hit)
            joined = [joined[k] for k in kept]
            owners = [owners[k] for k in kept]
            starts = list(accumulate((len(raw) + 1 for raw in joined[:-1]), initial=0)) if joined else []
            data = b"\n".join(joined)
        if joined:
            hits, exact = self.detector.placed_hits(data)
            for owner, spans in hits.items():
                placed = exact and self.detector.hits_suffice(owner)
                for start, end in spans:
                    # A hit's leftmost start may lie in an earlier text: flag every text the hit touches.
                    first = max(bisect_right(starts, start) - 1, 0)
                    last = bisect_right(starts, max(start, end - 1)) - 1
                    base = starts[first]
                    if placed and first == last and end <= base + len(joined[first]):
                        text = per_text.setdefault(owners[first], {})
                        if text is not None:
                            text.setdefault(owner, []).append((start - base, end - base))
                        continue
                    for k in range(first, last + 1):
                        per_text[owners[k]] = None
        return sorted(per_text.items(), key=lambda item: item[0])

    def from_bytes(self, raw: bytes, path: str, hits: Hits | None = None) -> tuple[list[Finding], bool]:
        """Findings in `raw`; `hits`: its prefilter hits from `prefilter_group`, when known."""
        if hits is None:
            matches, data, binary = self.scan_raw(raw)
        else:  # a plain text (prefilter_group passes no other), scanned as it is
            matches, data, binary = self.detector.scan(raw, hits=hits), raw, False
        return self.to_findings(matches, data, path), binary

    def rule(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def scan_stream(
        self,
        pieces: Iterable[bytes],
        path: str,
        window: int | None = None,
        max_findings: int | None = None,
        max_binary: int | None = None,
    ) -> StreamScan:
        """Scan data of any size read as `pieces`, in bounded overlapping windows: memory stays constant.

        Each window owns the bytes between its cut points and sees `overlap` more bytes on each side,
        longer than any match and its context (a legacy key's `MINDEE_API_KEY=`, a PEM block), so a key
        straddling a cut is whole in the window that owns its start and is reported once, with its
        file-absolute line and column. Cuts fall after a newline where the window's second half has one.
        A rule that needs the file to mention Mindee (`context`) is judged on the whole stream.
        """
        return _StreamScanner(self, path, window or STREAM_WINDOW, max_findings or MAX_FINDINGS_PER_FILE).run(
            iter(pieces), max_binary
        )

    def stream_detector(self) -> Detector:
        """The detector without file-level `context` (judged over the whole stream instead), built once."""
        detector = getattr(self, "_stream_detector", None)
        if detector is None:
            base = self.detector
            if any(r.context for r in base.rules):
                rules = [replace(r, context=()) for r in base.rules]
                detector = Detector(rules, base.allowlist, use_hyperscan=base.use_hyperscan)
            else:
                detector = base
            self._stream_detector = detector
        return detector

    def overlap(self) -> int:
        """Bytes each streamed window sees beyond its own on each side: more than any rule's reach."""
        reach = max((sum(r.window) for r in self.detector.rules), default=0)
        return max(STREAM_MIN_OVERLAP, reach + 1024)


# Data up to this size is scanned whole; above it, in windows of this size (peak memory of a scan is
# about 45 bytes per byte of a window full of keys: ~100 MB here, whatever the file's size).
STREAM_WINDOW = 2 * 1024 * 1024


STREAM_MIN_OVERLAP = 32 * 1024


# Findings kept per file or blob: a generated file with millions of keys must not hold millions of
# findings in memory. The rest are counted and said in the summary, never dropped silently.
MAX_FINDINGS_PER_FILE = 20_000


_SNIFF = 8192


_CONTINUATION = bytes(range(0x80, 0xC0))


@record
class StreamScan:
    """What a streamed scan found, and what it could not keep."""

    findings: list[Finding]
    size: int = 0  # bytes read
    binary: bool = False
    dropped: int = 0  # findings over the per-file cap: counted, not kept
    cap: int = MAX_FINDINGS_PER_FILE
    stopped: str = ""  # why the scan ended before the end of the data (a binary over its cap)


def note_stream(scan: StreamScan, path: str, stats: ScanStats) -> None:
    """Say in the summary what a streamed scan could not keep or read: never silently."""
    if scan.dropped:
        stats.notes.append(
            f"{clean_text(path)}: {scan.dropped} more finding(s) not reported: "
            f"at most {scan.cap} are kept per file, so memory stays bounded"
        )
        stats.findings_over_cap += scan.dropped
    if scan.stopped:
        stats.skip(path, f"partly scanned: {scan.stopped}")


def _chars(data: bytes) -> int:
    """Characters in UTF-8 bytes (lead bytes), correct on pieces cut inside a character."""
    return len(data.translate(None, _CONTINUATION))


class _StreamScanner:
    """One streamed scan: a sliding buffer, window cut points, and the line and column bookkeeping."""

    def __init__(self, builder: FindingBuilder, path: str, window: int, max_findings: int) -> None:
        self.builder = builder
        self.path = path
        self.window = window
        self.max_findings = max_findings
        self.overlap = builder.overlap()
        self.detector = builder.stream_detector()
        self.context_rules = {r.id: r for r in builder.detector.rules if r.context}
        self.context_seen: set[str] = set()

    def run(self, pieces: Iterator[bytes], max_binary: int | None) -> StreamScan:
        out = StreamScan([], cap=self.max_findings)

        def counted() -> Iterator[bytes]:
            for piece in pieces:
                out.size += len(piece)
                yield piece

        source = counted()
        head = b""
        for piece in source:  # enough to tell text from binary and UTF-16, as `prepare` does
            head += piece
            if len(head) >= _SNIFF:
                break
        prepared = prepare(head[:_SNIFF])
        out.binary = prepared.binary
        if prepared.decoded_from:
            skip = 2 if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else 0
            stream: Iterator[bytes] = _transcode(chain([head[skip:]], source), prepared.decoded_from)
        else:
            skip = 3 if head.startswith(codecs.BOM_UTF8) else 0
            stream = chain([head[skip:]], source)
        self._scan(stream, prepared.binary, out, max_binary)
        return out

    def _scan(self, stream: Iterator[bytes], binary: bool, out: StreamScan, max_binary: int | None) -> None:
        window, overlap = self.window, self.overlap
        buf = bytearray()  # data from absolute offset `base`
        base = 0
        own = 0  # start of the next owned range
        lines = 0  # newlines before `own`
        col = 0  # characters between the last newline before `own` and `own`
        eof = False
        while True:
            while not eof and len(buf) - (own - base) < window + overlap:
                piece = next(stream, None)
                if piece is None:
                    eof = True
                    break
                buf += piece
            end = base + len(buf)
            if eof and end <= own:
                break
            if binary and max_binary is not None and own >= max_binary:
                out.stopped = f"binary: only the first {max_binary} bytes scanned"
                break
            if eof and end - own <= window:
                own_end = end
            else:
                rel = own - base
                nl = buf.rfind(b"\n", rel + window // 2, rel + window)
                cut = nl + 1 if nl >= 0 else rel + window
                while cut > rel + 1 and buf[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
                    cut -= 1
                own_end = base + cut
            ws = max(base, own - overlap)
            while ws < own and buf[ws - base] & 0xC0 == 0x80:
                ws += 1
            we = min(end, own_end + overlap)
            self._window(bytes(buf[ws - base : we - base]), ws, own, own_end, lines, col, binary, out)
            # Advance: line and column bookkeeping for the new `own`, then drop what no window needs.
            owned = bytes(buf[own - base : own_end - base])
            newlines = owned.count(b"\n")
            if newlines:
                lines += newlines
                col = _chars(owned[owned.rfind(b"\n") + 1 :])
            else:
                col += _chars(owned)
            own = own_end
            keep_from = max(base, own - overlap)
            del buf[: keep_from - base]
            base = keep_from
        out.findings = self._judge_context(out)

    def _window(
        self, data: bytes, ws: int, own: int, own_end: int, lines: int, col: int, binary: bool, out: StreamScan
    ) -> None:
        unseen = self.context_rules.keys() - self.context_seen
        if unseen:
            self.context_seen |= self.builder.detector.contexts_in(data, set(unseen))
        matches = self.detector.scan(data, binary=binary)
        if not matches:
            return
        # Lines and columns of the window, made file-absolute: `own` is on line lines + 1 at column col + 1.
        head = data[: own - ws]
        line_base = lines - head.count(b"\n")
        nl = head.rfind(b"\n")
        col_base = 0 if nl >= 0 else col - _chars(head)
        room = self.max_findings - len(out.findings)
        for f in self.builder.to_findings(matches, data, self.path, own=(own - ws, own_end - ws)):
            if room <= 0:
                out.dropped += 1
                continue
            room -= 1
            where = f.where
            column = where.column + (col_base if where.line == 1 else 0)
            out.findings.append(f.with_changes(where=replace(where, line=where.line + line_base, column=column)))

    def _judge_context(self, out: StreamScan) -> list[Finding]:
        missing = set(self.context_rules) - self.context_seen
        if not missing:
            return out.findings
        return [f for f in out.findings if f.rule.id not in missing]


def _transcode(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """UTF-16 pieces as UTF-8, decoded incrementally (a character cut between pieces stays whole)."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    for piece in pieces:
        text = decoder.decode(piece)
        if text:
            yield text.encode("utf-8", "surrogateescape")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8", "surrogateescape")


def line_text(data: bytes, offset: int) -> str:
    """The line holding `offset`, cut to a window around it on minified files."""
    ws, we = _LineBounds(data).window(offset)
    return _window_text(data, ws, we, [])[0]


def snippet_context(
    data: bytes, match: Match, matches: Sequence[Match]
) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """The text around `match` and the spans (in characters of that text) of each of `matches` inside it."""
    ws, we = _LineBounds(data).window(match.start)
    return _window_text(data, ws, we, [m for m in matches if m.start < we and m.end > ws])


class _LineBounds:
    """Line bounds for offsets visited in increasing order, each byte of the data looked at about once."""

    __slots__ = ("_data", "_le", "_ls")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._ls = self._le = -1

    def window(self, offset: int) -> tuple[int, int]:
        """The line holding `offset`, cut to `_MAX_LINE_TEXT` bytes around it on a long line."""
        data = self._data
        if not (self._ls <= offset <= self._le):
            floor = self._le if 0 <= self._le <= offset else 0
            self._ls = data.rfind(b"\n", floor, offset) + 1
            le = data.find(b"\n", offset)
            self._le = len(data) if le < 0 else le
        ls, le = self._ls, self._le
        if le - ls > _MAX_LINE_TEXT:
            ls = max(ls, offset - _MAX_LINE_TEXT // 2)
            le = min(le, offset + _MAX_LINE_TEXT // 2)
        return ls, le


def _window_text(
    data: bytes, ws: int, we: int, matches: Sequence[Match]
) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """Decode `data[ws:we]` piece by piece between match edges, so each match's byte span maps to characters."""
    cuts = sorted({ws, we, *(min(max(p, ws), we) for m in matches for p in (m.start, m.end))})
    chars: dict[int, int] = {ws: 0}
    parts: list[str] = []
    size = 0
    for a, b in itertools.pairwise(cuts):
        piece = data[a:b]
        if b"\x00" in piece:
            piece = piece.replace(b"\x00", b"")
        text = piece.decode("utf-8", "replace")
        parts.append(text)
        size += len(text)
        chars[b] = size
    text = "".join(parts).rstrip("\r")
    spans = tuple(
        sorted(
            {
                (chars[max(m.start, ws)], min(chars[min(m.end, we)], len(text)), m.encoding or "")
                for m in matches
                if m.end > ws and m.start < we
            }
        )
    )
    return text, tuple(s for s in spans if s[0] < s[1])
