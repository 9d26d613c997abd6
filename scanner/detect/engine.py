"""The detection engine: bytes in, `Match`es out. It knows rules and filters, nothing about sources.

Work is proportional to the bytes read: one prefilter pass finds where rules could match, and each
rule's Python regex then runs only in small windows around those hits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scanner.detect.decoders import (
    Budget,
    Decoding,
    Fresh,
    Segment,
    base64_segments,
    concat_segments,
    decoder_triggers,
    json_escape_segments,
    regions,
    utf16_segments,
)
from scanner.detect.filters import (
    has_inline_allow,
    in_url_path,
    is_generic_secret,
    is_placeholder,
    is_random_token,
    shannon_entropy,
)
from scanner.detect.prefilter import Hits, Prefilter, Trigger, hyperscan_available, serialize
from scanner.detect.rules import Rule
from scanner.detect.vendor import Verdict, judge_md_token, line_before
from scanner.detect.windows import lines_of, merge_windows
from scanner.errors import ConfigError
from scanner.model import Match
from scanner.record import field, record

_MAX_DECODE_DEPTH = 3  # base64 inside base64 inside base64 (or inside a JSON escape, ...)
_DECODE_CONTEXT = 4096  # bytes of the line kept on each side of a decoded value
_KEEP_CACHE = 4096  # distinct (rule, secret) verdicts remembered


@record(frozen=True, slots=True)
class GlobalAllowlist:
    """Suppressions from the user's config that apply to every rule."""

    regexes: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()


_NO_VERDICT = Verdict()  # shared by every candidate that is not a Mindee md_ key


@record(slots=True)
class _Candidate:
    """A rule's match before lines are counted; `verdict` is judge_md_token's for Mindee md_ keys."""

    rule: Rule
    secret: str
    start: int
    end: int
    encoding: str | None = None
    verdict: Verdict = _NO_VERDICT


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
        triggers.extend(decoder_triggers(k for r in self.rules if r.binary for k in r.keywords))
        # A rule's `context` (the file must also mention Mindee somewhere) is answered by the same
        # Hyperscan pass where its patterns allow: a Python search of the whole file per rule was a
        # tenth of a history scan's detection time.
        from scanner.detect.regex import hyperscan_safe

        context = [
            Trigger(f"context:{r.id}", pattern=c.pattern, presence=True)
            for r in self.rules
            if hs and r.context and all(hyperscan_safe(c.pattern) for c in r.context)
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
        # Rules whose matches in a text depend on their own hits there and nothing else: no file-level
        # context, and no decoding of a line where the regex found nothing (that reads every rule's context).
        self._hits_alone = frozenset(r.id for r in self.rules if not r.context and not r.decode_line)
        # `_keep` answers by rule and text alone: an input repeating one near-miss token a million
        # times pays the filters once. Bounded: emptied when full.
        self._kept: dict[tuple[str, str, str], bool] = {}
        self._verdicts: dict[tuple[str, bytes], Verdict] = {}

    @property
    def engine(self) -> str:
        return self._prefilter.engine

    @property
    def joinable(self) -> bool:
        """Can texts joined with newlines be prefiltered in one pass (see `Prefilter.joinable`)?"""
        return self._prefilter.joinable

    def placed_hits(self, data: bytes) -> tuple[Hits, bool]:
        """`Prefilter.placed_hits`: the hits in `data` that can open a match, and whether they are exact."""
        return self._prefilter.placed_hits(data)

    def texts_hit(self, data: bytes, starts: Sequence[int]) -> set[int] | None:
        """`Prefilter.texts_hit`: which texts joined in `data` may hold a hit (None: cannot tell cheaply)."""
        return self._prefilter.texts_hit(data, starts)

    def hits_suffice(self, owner: str) -> bool:
        """Can `scan(data, hits=...)` be given this owner's hits in `data` from a pass over more than
        `data` (only a rule that needs nothing but its own hits)?"""
        return owner in self._hits_alone

    def hit_database(self) -> bytes | None:
        """The serialized Hyperscan database of every prefilter pattern that can open a match: the rules'
        and the decoders', not the file-level `context` ones (a context hit alone opens no window, see
        `_candidates`). Where it has no hit, `scan` finds nothing: the pre-commit fast path
        (scanner/app/quickstaged.py) asks it without building a detector. None without Hyperscan."""
        context = frozenset(t.owner for t in self._prefilter.triggers if t.owner.startswith("context:"))
        return self._prefilter.serialized_without(context)

    def hook_database(self) -> bytes | None:
        """`hit_database` for the pre-commit fast path, its patterns in three groups by id, and a first
        line `b"<wide> <gates> <burst> <before>:<after>,...\\n"`: ids below `wide` are hits that
        decide; then the hits of the wide rules (each rule whose secret group has a shape of
        scanner/detect/reach.py: the legacy keys' 32 hex), one pattern each, with that rule's window;
        then from `gates` the gates (a wide rule's secret shape, a JSON escape, a join of literals),
        which with a base64 run `b64text.holds_decodable_run` finds decide only on the lines the wide
        rules' windows touch, as long as no wide rule has `burst` hits (dense hits are found as
        clusters, with wider windows: scanner/detect/dense.py). None without Hyperscan."""
        from scanner.detect.dense import BURST
        from scanner.detect.reach import DECODER_GATES, wide_shape

        if self.engine != "hyperscan":
            return None
        rules = {r.id: r for r in self.rules}
        shape_of = {r.id: shape for r in self.rules if (shape := wide_shape(r)) is not None}
        triggers = [t for t in self._prefilter.triggers if not t.owner.startswith("context:")]
        wide = [t for t in triggers if t.owner in shape_of and t.pattern is not None]
        if len({t.owner for t in wide}) != len(wide):
            wide = []  # a rule with several patterns: its hits' windows would have to be merged together
        deciding = [t for t in triggers if t not in wide]
        shapes = sorted({shape_of[t.owner] for t in wide})
        # Placed (leftmost start and end), not presence-only: where a gate ends says which lines it is on.
        gates = [Trigger("gate", pattern=p) for p in (*shapes, *DECODER_GATES)] if wide else []
        database = serialize([*deciding, *wide, *gates])
        if database is None:
            return None
        windows = ",".join("{}:{}".format(*rules[t.owner].window) for t in wide) or "-"
        head = f"{len(deciding)} {len(deciding) + len(wide)} {BURST} {windows}\n"
        return head.encode() + database

    def contexts_in(self, data: bytes, wanted: set[str]) -> set[str]:
        """Which of the `wanted` rules' file-level `context` `data` holds: one prefilter pass where
        Hyperscan answers the context (a Python search of a 2 MB window per rule took a second)."""
        rules = [r for r in self.rules if r.id in wanted and r.context]
        hits = self._prefilter.scan(data) if any(r.id in self._prefilter_context for r in rules) else {}
        return {r.id for r in rules if self._in_context(r, data, hits)}

    def scan(self, data: bytes, binary: bool = False, hits: Hits | None = None) -> list[Match]:
        """All matches in `data`, located by line and column (1-based), best rule first on overlaps.

        `hits`: the prefilter's hits in `data` when already known (`FindingBuilder.prefilter_group`);
        only owners for which `hits_suffice`."""
        candidates = self._candidates(data, binary, 0, None, Budget(len(data)), frozenset(), hits)
        return self._locate(data, candidates) if candidates else []

    # -- candidates -------------------------------------------------------------------------------

    def _candidates(
        self,
        data: bytes,
        binary: bool,
        depth: int,
        fresh: Fresh | None,
        budget: Budget,
        inherited: frozenset[str],
        known: Hits | None = None,
    ) -> list[_Candidate]:
        """Matches of every rule in `data`, then of the values decoders read in clear.

        Below the top (`fresh` set), `data` is a region with decoded values spliced in: only windows
        that reach a decoded value are searched, and only values inside one are decoded again.
        """
        hits = self._prefilter.scan(data) if known is None else known
        if not hits:
            return []
        found: list[_Candidate] = []
        missed_windows: list[tuple[int, int]] = []
        for rule in self.rules:
            spans = hits.get(rule.id)
            if not spans or (binary and rule.id not in self._binary_rules):
                continue
            if rule.context and rule.id not in inherited and not self._in_context(rule, data, hits):
                continue
            before, after = rule.window
            for ws, we in merge_windows(spans, before, after, len(data)):
                if fresh is not None and not fresh.touches(ws, we):
                    continue  # clear text the level above already searched
                got = False
                for m in rule.regex.finditer(data, ws, we):
                    cand = self._accept(rule, m, data)
                    if cand is not None:
                        found.append(cand)
                        got = True
                if not got and not binary and rule.decode_line:
                    missed_windows.append((ws, we))
        if depth < _MAX_DECODE_DEPTH:
            found.extend(self._decoded(data, binary, hits, missed_windows, depth, fresh, budget, inherited))
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
        if secret.startswith("md_") and rule.is_mindee:
            return _Candidate(rule, secret, start, end, verdict=self._verdict(secret, data, start))
        return _Candidate(rule, secret, start, end)

    def _verdict(self, secret: str, data: bytes, start: int) -> Verdict:
        """`judge_md_token`, remembered where it reads only the bytes before the token on a long line."""
        before = line_before(data, start)
        if before is None:
            return judge_md_token(secret, data, start)
        key = (secret, before)
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= _KEEP_CACHE:
                self._verdicts.clear()
            verdict = self._verdicts[key] = judge_md_token(secret, data, start)
        return verdict

    def _keep(self, rule: Rule, secret: str, whole: str) -> bool:
        key = (rule.id, secret, whole if rule.allow_match_regexes else "")
        kept = self._kept.get(key)
        if kept is None:
            if len(self._kept) >= _KEEP_CACHE:
                self._kept.clear()
            kept = self._kept[key] = self._judge(rule, secret, whole)
        return kept

    def _judge(self, rule: Rule, secret: str, whole: str) -> bool:
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

    def _decoded(
        self,
        data: bytes,
        binary: bool,
        hits: Hits,
        missed_windows: list[tuple[int, int]],
        depth: int,
        fresh: Fresh | None,
        budget: Budget,
        inherited: frozenset[str],
    ) -> list[_Candidate]:
        """Read encoded values in clear inside their line and scan that again; matches point at the encoded value.

        Every value of a line is decoded into one region scanned once (a line of n base64 runs was
        scanned once per run, each time with the other runs decoded again below it: n^4). Substituting
        into the line keeps the context a legacy key needs (`MINDEE_API_KEY: <base64>` in a Kubernetes
        secret). A line where a rule's keyword was found but its regex was not has its values decoded too.
        """
        segments: list[Segment] = []
        at = Decoding(data, fresh, budget)
        if binary:
            if "utf16" in hits:
                segments = utf16_segments(at, hits["utf16"])
            context, gap = 0, 64  # binaries have no lines: the decoded strings are the region
        else:
            lines = lines_of(data, missed_windows)
            segments = base64_segments(at, hits.get("base64", ()), lines)
            escapes = [*hits.get("json-escape", ()), *hits.get("json-escape-md", ())]
            if escapes or lines:
                segments += json_escape_segments(at, escapes, lines)
            if "concat" in hits or lines:
                segments += concat_segments(at, hits.get("concat", ()), lines)
            context, gap = _DECODE_CONTEXT, 1024
        if not segments:
            return []
        # A value decoded from a file that talks to Mindee keeps that context (a header rule's `Token <hex>`).
        here = inherited | {
            r.id for r in self.rules if r.context and r.id not in inherited and self._in_context(r, data, hits)
        }
        out: list[_Candidate] = []
        for region in regions(data, segments, context, gap):
            for cand in self._candidates(region.text, binary, depth + 1, region.fresh, budget, here):
                start, end, encoding = region.locate(cand.start, cand.end)
                out.append(_Candidate(cand.rule, cand.secret, start, end, encoding, cand.verdict))
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
        seen: set[tuple[str, str, int, str | None]] = set()
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
            key = (c.rule.id, c.secret, line_no, c.encoding)
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
                    confidence=c.verdict.confidence,
                    note=c.verdict.note,
                    other_vendor=c.verdict.other_vendor,
                )
            )
        return out


def _drop_overlaps(cands: list[_Candidate], order: dict[str, int]) -> list[_Candidate]:
    """Where two rules claim the same bytes, the earlier rule (Mindee first) wins.

    A value decoded from base64 and the same encoded text seen by another rule (`generic-secret`
    on `MINDEE_V2_API_KEY: bWRf...` in a Kubernetes secret) are one secret, reported once. Two keys
    decoded from one value (a base64 `.env` blob) share its span and are both kept.
    """
    if len(cands) < 2:
        return cands
    cands.sort(key=lambda c: (order.get(c.rule.id, 1 << 30), c.start))
    kept: list[_Candidate] = []
    # Kept spans indexed by 64-byte bucket: a file with 100,000 keys compares each candidate with
    # its neighbours only, not with every kept one (that was quadratic); on a line of keys 35 bytes
    # apart a 512-byte bucket still held 14 of them.
    buckets: dict[int, list[_Candidate]] = {}
    for c in cands:
        span = range(c.start >> 6, (max(c.end, c.start + 1) - 1 >> 6) + 1)
        if any(
            c.start < k.end
            and k.start < c.end
            and (c.secret in k.secret or k.secret in c.secret or (c.encoding is None) != (k.encoding is None))
            for b in span
            for k in buckets.get(b, ())
        ):
            continue
        kept.append(c)
        for b in span:
            buckets.setdefault(b, []).append(c)
    return kept
