"""Build the detector from rules and config, and turn a blob's matches into located findings.

Every source (files, git blobs, staged changes) goes through `FindingBuilder.from_bytes`.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from scanner.config import Config
from scanner.detect import Detector, GlobalAllowlist
from scanner.errors import ConfigError
from scanner.model import Finding, Match, clean_text
from scanner.record import record
from scanner.rulecache import default_rules
from scanner.rules import Rule, build_ruleset
from scanner.textio import is_plain_text, prepare

_MAX_LINE_TEXT = 400


def build_detector(config: Config, use_hyperscan: bool = True) -> Detector:
    rules = [*default_rules(), *config.extra_rules]  # cached: no YAML parse on a warm start
    try:
        ruleset = build_ruleset(rules, disabled=config.disabled_rules)
    except ConfigError as exc:
        raise ConfigError(f"{config.source}: {exc}" if config.source else str(exc)) from None
    kept = [r for r in ruleset if not config.only_rules or r.id in config.only_rules]
    allow = GlobalAllowlist(regexes=config.allow_regexes, stopwords=config.stopwords)
    detector = Detector(kept, allow, use_hyperscan=use_hyperscan)
    if config.extra_rules:
        check_examples(detector, config.extra_rules)
    return detector


def check_examples(detector: Detector, rules: Iterable[Rule]) -> None:
    """A user's rule must find its own `match` examples and none of its `no_match` ones, or it is an error."""
    for rule in rules:
        for example in rule.examples_match:
            text = example["text"] if isinstance(example, dict) else example
            if not any(m.rule_id == rule.id for m in detector.scan(text.encode())):
                raise ConfigError(
                    f"{rule.source}:{rule.line}: rule {rule.id!r} does not find its own example {text!r} "
                    "(check the regex, keywords and filters: placeholder-like values are ignored)"
                )
        for text in rule.examples_no_match:
            if any(m.rule_id == rule.id for m in detector.scan(text.encode())):
                raise ConfigError(f"{rule.source}:{rule.line}: rule {rule.id!r} matches its no_match example {text!r}")


@record
class FindingBuilder:
    """Runs the detector on raw bytes and attaches rule metadata and the source line to each match."""

    detector: Detector

    def __post_init__(self) -> None:
        self._rules: dict[str, Rule] = {r.id: r for r in self.detector.rules}

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
        rule = self._rules[match.rule_id]
        text, spans = context if context is not None else snippet_context(data, match, [match])
        return Finding(
            rule_id=rule.id,
            description=rule.description,
            severity=rule.severity,
            path=clean_text(path),
            line=match.line,
            column=match.column,
            secret=match.secret,
            verifier=None if match.other_vendor else rule.verifier,
            encoding=match.encoding,
            line_text=text,
            line_secrets=tuple(s for s in line_secrets if s != match.secret),
            line_spans=spans,
            confidence=match.confidence,
            note=match.note,
            other_vendor=match.other_vendor,
        )

    def to_findings(self, matches: list[Match], data: bytes, path: str) -> list[Finding]:
        """Findings for one blob; each snippet knows where every secret in it sits, so none shows them.

        Linear in the matches: a finding's snippet is a bounded window of its line, and the matches it
        holds are found by one sweep over matches sorted by position (16,000 keys on one line walked
        every other key of the line once per key: quadratic).
        """
        ordered = sorted(matches, key=lambda m: m.start)
        out: list[Finding] = []
        active: list[Match] = []
        nxt = 0
        bounds = _LineBounds(data)
        for m in ordered:
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
        if not self.detector.joinable:
            return list(range(len(raws)))
        out: list[int] = []
        joined: list[bytes] = []
        starts: list[int] = []
        owners: list[int] = []
        offset = 0
        for i, raw in enumerate(raws):
            if not is_plain_text(raw):
                out.append(i)
                continue
            joined.append(raw)
            starts.append(offset)
            owners.append(i)
            offset += len(raw) + 1
        if joined:
            flagged: set[int] = set()
            for start, end in self.detector.hit_spans(b"\n".join(joined)):
                # A hit's leftmost start may lie in an earlier text: flag every text the hit touches.
                first = bisect_right(starts, start) - 1
                last = bisect_right(starts, max(start, end - 1)) - 1
                flagged.update(owners[k] for k in range(max(first, 0), last + 1))
            out.extend(flagged)
        out.sort()
        return out

    def from_bytes(self, raw: bytes, path: str) -> tuple[list[Finding], bool]:
        matches, data, binary = self.scan_raw(raw)
        return self.to_findings(matches, data, path), binary

    def rule(self, rule_id: str) -> Rule:
        return self._rules[rule_id]


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
