"""The first-byte lookahead changes how fast a rule regex runs, never what it matches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.regex import compile_hinted, with_first_byte_hint
from tests.testing.corpus import build_corpus


def _rule_patterns() -> list[bytes]:
    rules = build_detector(Config()).rules
    return [r.regex.pattern for r in rules] + [c.pattern for r in rules for c in r.context]


def _spans(pattern: re.Pattern[bytes], text: bytes) -> list[tuple[tuple[int, int], ...]]:
    """Every match with every group's span: the hint must not shift group numbers either."""
    return [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (rb"(?i:api_key|secret)=\w+", b"(?=[\\x41\\x53\\x61\\x73])"),
        (rb"(?i)(?:key|pwd)=", b"(?i)(?=[\\x4b\\x50\\x6b\\x70])"),  # global flags stay first
        (rb"(?<![a-z])[0-9a-f]{32}", b"(?=[\\x30\\x31"),  # a lookbehind is zero width
        (rb"[^x]abc", None),  # a negated class: any byte
        (rb"a?b*", None),  # can match the empty string
        (rb"md_[A-Za-z0-9]{32}", None),  # a literal opening: re finds it faster alone
        (rb"(?i:mindee)\.net", None),  # caseless, in a group: still a literal opening
        (rb"\bmindee\b", None),
        (rb".{0,4}key", None),
        (rb"(?:\d|\s)x", b"(?=[\\x09\\x0a\\x0b\\x0c\\x0d\\x20\\x30"),
    ],
)
def test_which_patterns_get_a_hint(pattern: bytes, hint: bytes | None) -> None:
    hinted = with_first_byte_hint(pattern)
    if hint is None:
        assert hinted == pattern
    else:
        assert hinted.startswith(hint) and hinted.endswith(pattern.removeprefix(b"(?i)"))


@pytest.mark.slow  # every shipped pattern, hinted and plain, over the whole quality corpus
def test_shipped_rules_match_the_same_on_the_quality_corpus(tmp_path: Path) -> None:
    build_corpus(tmp_path, seed=3, copies=1)
    texts = [p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    assert len(texts) > 100
    hinted_any = False
    for raw in _rule_patterns():
        plain, hinted = re.compile(raw), compile_hinted(raw)
        hinted_any = hinted_any or hinted.pattern != raw
        for text in texts:
            assert _spans(hinted, text) == _spans(plain, text), (raw, text[:80])
    assert hinted_any


_PATTERNS = _rule_patterns()
_ALPHABET = b"aAkKeEyYsStT_-=:'\" \t\n0123456789abcdefmd_MINDEEmindeeAKIAghp_xoxb-sk-/\\.,\\[]"


@pytest.mark.slow  # 300 random texts x every shipped pattern, twice
@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([bytes([b]) for b in _ALPHABET] + [b"api_key", b"secret", b"token", b"md_"]),
                max_size=120))  # fmt: skip
def test_shipped_rules_match_the_same_on_random_text(pieces: list[bytes]) -> None:
    text = b"".join(pieces)
    for raw in _PATTERNS:
        assert _spans(compile_hinted(raw), text) == _spans(re.compile(raw), text), raw
