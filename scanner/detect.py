"""The detection engine: bytes in, `Match`es out. It knows rules and filters, nothing about sources.

Work is proportional to the bytes read: one prefilter pass finds where rules could match, and each
rule's Python regex then runs only in small windows around those hits.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Sequence

from scanner.errors import ConfigError
from scanner.filters import (
    has_inline_allow,
    in_url_path,
    is_generic_secret,
    is_placeholder,
    is_random_token,
    shannon_entropy,
)
from scanner.model import Match
from scanner.prefilter import Hits, Prefilter, Trigger, hyperscan_available
from scanner.record import field, record
from scanner.rules import Rule
from scanner.vendor import judge_md_token

# Fragments that `md_` and `mindee` leave in base64 text at each of the three byte alignments, so a
# Kubernetes secret or a base64 .env blob is decoded only where it can hold something of ours.
_BASE64_FRAGMENTS = (
    b"bWRf", b"1kX", b"tZF",
    b"bWluZGVl", b"1pbmRlZ", b"taW5kZW",
    b"TUlOREVF", b"1JTkRFR", b"NSU5ERU",
    b"TWluZGVl", b"NaW5kZW",
)  # fmt: skip
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{24,}+={0,2}")  # see _MIN_LINE_B64
_PRINTABLE = bytes(b for b in range(256) if 32 <= b < 127 or b in (9, 10, 13))
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_MAX_DECODE_DEPTH = 3
_MAX_DECODED_BLOB = 1 << 20
_DECODE_CONTEXT = 4096  # bytes of the line kept on each side of a decoded value
_B64_BODY = re.compile(rb"[A-Za-z0-9+/_-]*")
_B64_PAD = re.compile(rb"={0,2}")
# Greedy `.*` then one non-base64 byte: matching from a floor to a hit ends just after the last
# separator before the hit (backtracking from the hit, in C), which is where the run starts.
_LAST_NON_B64 = re.compile(rb"(?s).*[^A-Za-z0-9+/_-]")


@record(frozen=True, slots=True)
class GlobalAllowlist:
    """Suppressions from the user's config that apply to every rule."""

    regexes: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()


@record(slots=True)
class _Candidate:
    rule: Rule
    secret: str
    start: int
    end: int
    encoding: str | None = None
    confidence: str = "high"
    note: str = ""
    other_vendor: str | None = None


@record
class Detector:
    """Compiled rules plus prefilter; build once per process and call `scan` for every blob or file."""

    rules: Sequence[Rule]
    allowlist: GlobalAllowlist = field(default_factory=GlobalAllowlist)
    use_hyperscan: bool = True

    def __post_init__(self) -> None:
        self._order = {r.id: i for i, r in enumerate(self.rules)}
        hs = self.use_hyperscan and hyperscan_available()
        triggers: list[Trigger] = []
        for rule in self.rules:
            if hs and rule.hyperscan:
                triggers.append(Trigger(rule.id, pattern=rule.hyperscan.encode()))
            else:
                # Without Hyperscan the pattern still confirms each keyword hit (see Trigger.pattern).
                confirm = rule.hyperscan.encode() if rule.hyperscan else None
                triggers.extend(Trigger(rule.id, literal=k.encode(), pattern=confirm) for k in rule.keywords)
        triggers.extend(Trigger("base64", literal=f, case_sensitive=True) for f in _BASE64_FRAGMENTS)
        # A rule's `context` (the file must also mention Mindee somewhere) is answered by the same
        # Hyperscan pass where its patterns allow: a Python search of the whole file per rule was a
        # tenth of a history scan's detection time.
        context = [
            Trigger(f"context:{r.id}", pattern=c.pattern)
            for r in self.rules
            if hs and r.context and all(_hyperscan_safe(c.pattern) for c in r.context)
            for c in r.context
        ]
        try:
            self._prefilter = Prefilter([*triggers, *context], use_hyperscan=hs)
        except ConfigError:
            if not context:
                raise
            context = []  # a context pattern Hyperscan reads differently: Python checks them all
            self._prefilter = Prefilter(triggers, use_hyperscan=hs)
        self._prefilter_context = {t.owner.removeprefix("context:") for t in context}
        self._binary_rules = {r.id for r in self.rules if r.binary}

    @property
    def engine(self) -> str:
        return self._prefilter.engine

    @property
    def joinable(self) -> bool:
        """Can texts joined with newlines be prefiltered in one pass (see `Prefilter.joinable`)?"""
        return self._prefilter.joinable

    def hit_spans(self, data: bytes) -> list[tuple[int, int]]:
        """Every prefilter hit in `data`; with none, `scan` finds nothing there."""
        return [span for spans in self._prefilter.scan(data).values() for span in spans]

    def scan(self, data: bytes, binary: bool = False) -> list[Match]:
        """All matches in `data`, located by line and column (1-based), best rule first on overlaps."""
        candidates = self._candidates(data, binary, depth=0)
        return self._locate(data, candidates) if candidates else []

    # -- candidates -------------------------------------------------------------------------------

    def _candidates(self, data: bytes, binary: bool, depth: int) -> list[_Candidate]:
        hits = self._prefilter.scan(data)
        if not hits:
            return []
        found: list[_Candidate] = []
        missed_windows: list[tuple[int, int]] = []
        for rule in self.rules:
            spans = hits.get(rule.id)
            if not spans or (binary and rule.id not in self._binary_rules):
                continue
            if rule.context and not self._in_context(rule, data, hits):
                continue
            before, after = rule.window
            for ws, we in _merge_windows(spans, before, after, len(data)):
                got = False
                for m in rule.regex.finditer(data, ws, we):
                    cand = self._accept(rule, m, data)
                    if cand is not None:
                        found.append(cand)
                        got = True
                if not got and not binary and rule.decode_line:
                    missed_windows.append((ws, we))
        if not binary and depth < _MAX_DECODE_DEPTH:
            b64_spans = hits.get("base64", [])
            found.extend(self._decode_base64(data, b64_spans, missed_windows, depth))
        return _drop_overlaps(found, self._order)

    def _in_context(self, rule: Rule, data: bytes, hits: Hits) -> bool:
        if rule.id in self._prefilter_context:
            return f"context:{rule.id}" in hits
        return any(c.search(data) for c in rule.context)

    def _accept(self, rule: Rule, m: re.Match[bytes], data: bytes) -> _Candidate | None:
        raw = m.group(rule.secret_group)
        if not raw:
            return None
        secret = raw.decode("utf-8", "replace")
        start, end = m.span(rule.secret_group)
        if start and data[start - 1] == 0x2F and not in_url_path(data, start):  # '/' in a base64 blob
            return None
        if not self._keep(rule, secret, m.group(0).decode("utf-8", "replace")):
            return None
        cand = _Candidate(rule, secret, start, end)
        if secret.startswith("md_") and rule.is_mindee:
            verdict = judge_md_token(secret, data, start)
            cand.confidence, cand.note, cand.other_vendor = verdict.confidence, verdict.note, verdict.other_vendor
        return cand

    def _keep(self, rule: Rule, secret: str, whole: str) -> bool:
        if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
            return False
        if rule.randomness == "random-token":
            body = secret[3:] if secret.startswith("md_") else secret
            if not is_random_token(body):
                return False
        elif rule.randomness == "generic-token" and not is_generic_secret(secret):
            return False
        if "placeholder-ok" not in rule.tags and is_placeholder(secret):
            return False
        lowered = secret.lower()
        if any(w in lowered for w in rule.stopwords) or any(w in lowered for w in self.allowlist.stopwords):
            return False
        if any(p.search(secret) for p in rule.allow_regexes) or any(p.search(secret) for p in self.allowlist.regexes):
            return False
        return not any(p.search(whole) for p in rule.allow_match_regexes)

    # -- decoders ---------------------------------------------------------------------------------

    def _decode_base64(
        self,
        data: bytes,
        fragment_spans: Iterable[tuple[int, int]],
        missed_windows: Iterable[tuple[int, int]],
        depth: int,
    ) -> list[_Candidate]:
        """Decode base64 values that can hold a key and scan their line with the value decoded.

        Substituting the decoded text into its line keeps the context a legacy key needs
        (`MINDEE_API_KEY: <base64>` in a Kubernetes secret). Matches are reported at the encoded value.
        """
        # Hits are visited in order and a hit inside a run already found is skipped, so a long base64
        # line full of fragments (`bWRf` * 2,000,000) costs one pass, not one pass per hit.
        runs: dict[tuple[int, int], None] = {}
        covered = 0
        for s, _ in sorted(fragment_spans):
            if s < covered:
                continue
            start, end = _b64_run_bounds(data, s, covered)
            covered = end
            if 16 <= end - start <= _MAX_DECODED_BLOB:
                runs[(start, end)] = None
        # Many windows on one long (minified) line share it: each line is searched once, in order.
        lines_done = 0
        for ws, we in sorted(missed_windows):
            if we <= lines_done:
                continue
            line_start = max(lines_done, data.rfind(b"\n", lines_done, ws) + 1)
            line_end = data.find(b"\n", we)
            line_end = len(data) if line_end < 0 else line_end
            lines_done = line_end
            for m in _B64_RUN.finditer(data, line_start, line_end):
                if _MIN_LINE_B64 <= m.end() - m.start() <= _MAX_DECODED_BLOB and _mixed_case(m.group()):
                    runs[m.span()] = None
        out: list[_Candidate] = []
        for rs, re_ in runs:
            decoded = _b64decode_text(data[rs:re_])
            if decoded is None:
                continue
            # The decoded value is scanned inside its line (legacy keys need `MINDEE_API_KEY:` before
            # it), cut to a bounded window so a 50 MB minified line is not copied once per value.
            ls = max(data.rfind(b"\n", 0, rs) + 1, rs - _DECODE_CONTEXT)
            le = data.find(b"\n", re_, re_ + _DECODE_CONTEXT)
            le = min(len(data), re_ + _DECODE_CONTEXT) if le < 0 else le
            line = data[ls:rs] + decoded + data[re_:le]
            for cand in self._candidates(line, False, depth + 1):
                out.append(
                    _Candidate(cand.rule, cand.secret, rs, re_, "base64", cand.confidence, cand.note, cand.other_vendor)
                )
        return out

    # -- location ---------------------------------------------------------------------------------

    def _locate(self, data: bytes, candidates: list[_Candidate]) -> list[Match]:
        """Line, column and inline-allow markers, worked out once per line: 16,000 keys on one 752 KB
        line re-read the line per key (its bounds, a lowered copy, the text before the key): quadratic."""
        out: list[Match] = []
        candidates.sort(key=lambda c: c.start)
        line_no = 1
        pos = 0
        ls = le = -1  # bounds of the current line; -1: none yet
        allowed = False
        col_pos = col = 0  # characters from `ls` up to `col_pos`
        seen: set[tuple[str, str, int]] = set()
        for c in candidates:
            if c.start > le or ls < 0:
                line_no += data.count(b"\n", pos, c.start)
                ls = data.rfind(b"\n", max(le, 0), c.start) + 1
                le = data.find(b"\n", c.start)
                le = len(data) if le < 0 else le
                prev = data[data.rfind(b"\n", 0, ls - 1) + 1 : ls - 1] if ls else b""
                allowed = has_inline_allow(data[ls:le], prev)
                col_pos, col = ls, 0
            else:
                line_no += data.count(b"\n", pos, c.start)
            pos = c.start
            if allowed:
                continue
            key = (c.rule.id, c.secret, line_no)
            if key in seen:
                continue
            seen.add(key)
            if c.start >= col_pos:
                col += len(data[col_pos : c.start].decode("utf-8", "replace"))
            else:  # an earlier start (candidates sorted by start, so only equal ones)
                col = len(data[ls : c.start].decode("utf-8", "replace"))
            col_pos = c.start
            out.append(
                Match(
                    c.rule.id,
                    c.secret,
                    c.start,
                    c.end,
                    line_no,
                    col + 1,
                    c.encoding,
                    confidence=c.confidence,
                    note=c.note,
                    other_vendor=c.other_vendor,
                )
            )
        return out


_PYTHON_ONLY = re.compile(rb"\(\?<?[=!]|\(\?P=|\\[1-9]")


def _hyperscan_safe(pattern: bytes) -> bool:
    """No look-around or back-reference: Hyperscan has neither (it would reject or misread them)."""
    return _PYTHON_ONLY.search(pattern) is None


def _merge_windows(spans: list[tuple[int, int]], before: int, after: int, size: int) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        ws, we = max(0, s - before), min(size, e + after)
        if merged and ws <= merged[-1][1]:
            if we > merged[-1][1]:
                merged[-1] = (merged[-1][0], we)
        else:
            merged.append((ws, we))
    return merged


def _drop_overlaps(cands: list[_Candidate], order: dict[str, int]) -> list[_Candidate]:
    """Where two rules claim the same bytes, the earlier rule (Mindee first) wins.

    A value decoded from base64 and the same encoded text seen by another rule (`generic-secret`
    on `MINDEE_V2_API_KEY: bWRf...` in a Kubernetes secret) are one secret, reported once.
    """
    if len(cands) < 2:
        return cands
    cands.sort(key=lambda c: (order.get(c.rule.id, 1 << 30), c.start))
    kept: list[_Candidate] = []
    # Kept spans indexed by 512-byte bucket: a file with 100,000 keys compares each candidate with
    # its neighbours only, not with every kept one (that was quadratic).
    buckets: dict[int, list[_Candidate]] = {}
    for c in cands:
        span = range(c.start >> 9, (max(c.end, c.start + 1) - 1 >> 9) + 1)
        if any(
            c.start < k.end
            and k.start < c.end
            and (c.secret in k.secret or k.secret in c.secret or "base64" in (c.encoding, k.encoding))
            for b in span
            for k in buckets.get(b, ())
        ):
            continue
        kept.append(c)
        for b in span:
            buckets.setdefault(b, []).append(c)
    return kept


# A run found only because a rule's keyword sits on its line must decode to at least a 16-character
# secret (24 base64 characters) and mix cases like encoded text: long snake_case identifiers are not
# worth a decode (they were 90% of the decode attempts in a history scan of psf/requests).
_MIN_LINE_B64 = 24


def _mixed_case(run: bytes) -> bool:
    return run.lower() != run and run.upper() != run


def _b64_run_bounds(data: bytes, pos: int, floor: int) -> tuple[int, int]:
    """The base64 run around `pos` (not before `floor`), found by C-speed regex scans in both directions."""
    back = _LAST_NON_B64.match(data, floor, pos)
    start = back.end() if back else floor
    fwd = _B64_BODY.match(data, pos)
    end = fwd.end() if fwd else pos
    pad = _B64_PAD.match(data, end)
    return start, pad.end() if pad else end


def _b64decode_text(blob: bytes) -> bytes | None:
    """Decode standard or URL-safe base64 into mostly printable text, or None."""
    blob = blob.rstrip(b"=")
    if len(blob) % 4 == 1:
        blob = blob[:-1]
    padded = blob + b"=" * (-len(blob) % 4)
    # The run holds only base64 alphabet characters (see _B64_RUN), so binascii directly is what
    # b64decode(validate=True) / urlsafe_b64decode compute, without their per-call regex and copies.
    try:
        if b"-" in blob or b"_" in blob:
            decoded = binascii.a2b_base64(padded.translate(_URLSAFE_TO_STD))
        else:
            decoded = binascii.a2b_base64(padded)
    except (binascii.Error, ValueError):
        return None
    if not decoded:
        return None
    printable = len(decoded) - len(decoded.translate(None, _PRINTABLE))  # C speed: this runs per base64 run
    if printable < 0.85 * len(decoded):
        return None
    return decoded
