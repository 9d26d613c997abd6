"""Both prefilter engines agree: the pure-Python fallback confirms keyword hits with the Hyperscan pattern."""

from __future__ import annotations

import pytest

from scanner.detect.prefilter import Prefilter, Trigger, _confirmer, hyperscan_available
from tests.testing.keys import v1_key, v2_key

TRIGGERS = [
    Trigger("v2", literal=b"md_", pattern=rb"md_[A-Za-z0-9_\-]{32}"),
    Trigger("client", literal=b"client", pattern=rb"(?i)client[^\n]{0,60}[a-f0-9]{32}"),
    Trigger("word", literal=b"mindee", pattern=b"(?i)mindee"),
    Trigger("b64", literal=b"bWRf", case_sensitive=True),
]


def _text() -> bytes:
    return (
        f"md_short md_to_html MD_{v2_key()[3:]} key={v2_key()}\n"
        f"client = Client()\nclient = mindee.Client('{v1_key()}')\nMINDEE Mindee bWRf bwrf\n"
    ).encode()


def _owners(hits: dict[str, list[tuple[int, int]]]) -> dict[str, list[int]]:
    return {owner: sorted(s for s, _ in spans) for owner, spans in hits.items()}


def test_fallback_keeps_only_confirmed_hits() -> None:
    text = _text()
    hits = _owners(Prefilter(TRIGGERS, use_hyperscan=False).scan(text))
    assert hits["v2"] == [text.index(b"key=md_") + 4], "md_short, md_to_html and MD_ (case) are not keys"
    call = text.index(b"client = mindee")
    assert hits["client"] == [call, text.index(b"Client('")], "only the client call with a hex key"
    assert len(hits["word"]) == 3
    assert hits["b64"] == [text.index(b"bWRf")]


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_both_engines_cover_the_same_text() -> None:
    """Hyperscan reports the leftmost start per match end; the fallback may add starts inside those spans."""
    text = _text()
    hs_triggers = [Trigger(t.owner, pattern=t.pattern) if t.pattern else t for t in TRIGGERS]
    hs = Prefilter(hs_triggers, use_hyperscan=True).scan(text)
    py = Prefilter(TRIGGERS, use_hyperscan=False).scan(text)
    assert set(hs) == set(py)
    for owner, spans in py.items():
        assert {s for s, _ in hs[owner]} <= {s for s, _ in spans}
        assert all(any(hs_s <= s < hs_e for hs_s, hs_e in hs[owner]) for s, _ in spans)


@pytest.mark.parametrize(
    ("literal", "pattern", "case_sensitive", "confirms"),
    [
        (b"md_", rb"md_[A-Za-z0-9]{32}", False, True),
        (b"mindee", b"(?i)mindee[a-z]{0,4}key", False, True),
        (b"mindee", b"MINDEE", False, True),  # caseless search finds every MINDEE
        (b"mindee", b"(?i)mindee|other", False, False),  # a match could start elsewhere
        (b"mindee", b"(?i)mindee?", False, False),  # the last e is optional
        (b"mindee", b"(?i)mindee", True, False),  # a case-sensitive search misses MINDEE
        (b"key", b"(?i)api[_-]?key", False, False),  # the pattern does not open with the literal
        (b"a.b", b"a.b", True, False),  # a literal with regex syntax is not confirmed
    ],
)
def test_confirmation_never_drops_a_real_match(
    literal: bytes, pattern: bytes, case_sensitive: bool, confirms: bool
) -> None:
    trigger = Trigger("x", literal=literal, pattern=pattern, case_sensitive=case_sensitive)
    assert (_confirmer([trigger]) is not None) is confirms


@pytest.mark.parametrize(
    ("literals", "pattern", "confirms"),
    [
        ((b"key", b"secret", b"passw", b"credential"), rb"(?i)(key|secret|passw(or)?d|credentials?)\s*=", True),
        ((b"key", b"secret"), rb"(?i)(key|secret|token)\s*=", False),  # `token...` has no literal
        ((b"aws", b"secretaccesskey"), rb"(?i)(aws.{0,20}secret|secret.?access)", False),  # `secret-access`
        ((b"xoxb-", b"xapp-"), rb"(xox[bp]|xapp)-", False),  # `xoxp-` opens with a class, not `xoxb-`
        ((b"akia", b"asia"), rb"(AKIA|ASIA)[A-Z2-7]{16}", True),
        ((b"key",), rb"(?i)(?-i:KEY)x", False),  # inline flags inside a group: not analysed
    ],
)
def test_confirmation_with_branches_needs_a_literal_per_branch(
    literals: tuple[bytes, ...], pattern: bytes, confirms: bool
) -> None:
    triggers = [Trigger("x", literal=lit, pattern=pattern) for lit in literals]
    assert (_confirmer(triggers) is not None) is confirms
