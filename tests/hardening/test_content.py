"""Hostile content: inputs built to make a regex engine backtrack or a decoder loop must finish fast.

Each case once took seconds to minutes (or hung): nested `[ \\t]*` in the legacy rules (cubic), a
base64 fragment hit re-expanding the same megabyte run per hit (quadratic), and a line search
repeated per keyword window on a minified line (quadratic). No test times itself: each is bounded by
its pytest timeout, sized so the old behaviour would run for many minutes past it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector
from scanner.detect.findings import FindingBuilder
from scanner.detect.prefilter import hyperscan_available
from scanner.detect.rules import load_default_rules
from tests.testing.keys import v1_key, v2_key

pytestmark = pytest.mark.timeout(120)

ENGINES = [pytest.param(True, id="hyperscan"), pytest.param(False, id="python")]


def _builder(use_hyperscan: bool) -> FindingBuilder:
    if use_hyperscan and not hyperscan_available():
        pytest.skip("hyperscan not installed")
    return FindingBuilder(build_detector(Config(), use_hyperscan=use_hyperscan))


def _nested_b64(text: bytes, depth: int) -> bytes:
    for _ in range(depth):
        text = base64.b64encode(text)
    return text


CASES: dict[str, Callable[[], bytes]] = {
    "md_ x 1,000,000": lambda: b"md_" * 1_000_000,
    "50 MB line, no newline": lambda: b"a" * 50_000_000,
    "10 MB random base64, one line": lambda: base64.b64encode(os.urandom(7_500_000)),
    "10 MB hex, one line": lambda: os.urandom(5_000_000).hex().encode(),
    "base64 fragment bWRf x 2,000,000": lambda: b"bWRf" * 2_000_000,
    "short base64 values with fragments": lambda: (base64.b64encode(os.urandom(30)) + b"bWRf ") * 100_000,
    "mindee + 200 spaces, 20 MB minified": lambda: (b"mindee" + b" " * 200) * 100_000,
    "MINDEE_API_KEY= + 200 spaces": lambda: (b"MINDEE_API_KEY=" + b" " * 200) * 50_000,
    "Authorization: Token x many": lambda: b"authorization: Token " * 300_000,
    "base64 nested 12 deep": lambda: b"value: " + _nested_b64(v2_key().encode(), 12),
}


@pytest.mark.parametrize("name", list(CASES))
def test_adversarial_input_finishes(name: str) -> None:
    builder = _builder(True)
    builder.from_bytes(CASES[name](), "hostile.txt")  # bounded by the timeout, not by a stopwatch


@pytest.mark.parametrize("use_hyperscan", ENGINES)
def test_minified_line_with_many_keyword_windows(use_hyperscan: bool) -> None:
    """The pure-Python prefilter gives one window per keyword; a 20 MB line must not be re-read per window."""
    builder = _builder(use_hyperscan)
    builder.from_bytes((b"mindee" + b" " * 200) * 100_000, "min.js")


def test_key_in_the_middle_of_a_50mb_line_is_found() -> None:
    builder = _builder(True)
    key = v2_key()
    data = b"a" * 25_000_000 + b" " + key.encode() + b" " + b"a" * 25_000_000
    found, _ = builder.from_bytes(data, "big.min.js")
    assert [f.secret.reveal() for f in found] == [key]
    assert found[0].where.line == 1 and found[0].where.column == 25_000_002


def test_base64_value_is_decoded_and_deep_nesting_stays_cheap() -> None:
    """One level of base64 (a Kubernetes secret) is decoded; 2-12 levels cost no more than reading them.

    Deeper nesting is not searched: the outer layers hold no fragment of `md_`, so nothing triggers a
    decode (a known limit, documented in docs/hardening.md).
    """
    builder = _builder(True)
    key = v2_key()
    found, _ = builder.from_bytes(b"secret: " + _nested_b64(key.encode(), 1) + b"\n", "k8s.yaml")
    assert [(f.secret.reveal(), f.context.encoding) for f in found] == [(key, "base64")]
    for depth in range(2, 13):  # exponential work per level would blow the timeout long before depth 12
        builder.from_bytes(_nested_b64(key.encode(), depth), "x")


def test_key_after_a_long_base64_blob_on_the_same_line() -> None:
    """A 5 MB base64 blob (a data: URI) before a key on one line: bounded work, key still found."""
    builder = _builder(True)
    key = v2_key()
    blob = base64.b64encode(os.urandom(3_750_000))
    data = b'<img src="data:image/png;base64,' + blob + b'"> <!-- ' + key.encode() + b" -->"
    found, _ = builder.from_bytes(data, "page.html")
    assert [f.secret.reveal() for f in found] == [key]


_FILLERS = [b" ", b"\t", b"=", b'"', b"'", b"a", b"0", b"_", b"-", b":", b"\n ", b"\r\n", b"{", b"md_"]


@pytest.mark.parametrize("rule", load_default_rules(), ids=lambda r: r.id)
def test_every_shipped_rule_is_linear_on_keyword_floods(rule: object) -> None:
    """Each rule's keywords followed by long runs of every character its regex could loop on."""
    from scanner.detect.rules import Rule

    assert isinstance(rule, Rule)
    detector = Detector([rule], use_hyperscan=hyperscan_available())
    for keyword in rule.keywords:
        kw = keyword.encode()
        for filler in _FILLERS:
            # 60,000 fillers: the cubic legacy rule took 37 s on 20 KB, so ~17 min here; linear takes ms.
            for data in (kw + filler * 60_000, (kw + filler * 60) * 300, (kw + filler * 3) * 5_000):
                detector.scan(data)


def test_legacy_key_context_survives_possessive_whitespace() -> None:
    """The possessive `[ \\t]*+` that made the legacy rules linear must still match spaced assignments."""
    builder = _builder(True)
    key = v1_key()
    text = f"MINDEE_API_KEY \t =  \t '{key}'\n[mindee]\n  api_key =   {key}\n".encode()
    found, _ = builder.from_bytes(text, "settings.ini")
    assert {f.secret.reveal() for f in found} == {key}
    assert len(found) == 2
