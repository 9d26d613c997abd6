"""Property tests for issue 14: any md_ body of random [a-z0-9] or [A-Za-z0-9] is a key after a
Mindee-named assignment, in ten syntaxes; words, placeholders and patterns of the same length are not;
a legacy key and an md_ key on one line are both reported.

Bodies are drawn uniformly (a generator seeded by Hypothesis, so a failure replays): Hypothesis's own
text strategy favours degenerate strings (`000…0123456789ab`), which are placeholders, not draws.
`derandomize` keeps CI deterministic: the filters reject about 5 random bodies in 100,000 (measured
in docs/rules.md), and a property test must not turn that rate into a flaky build.
"""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector

SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOWER = string.ascii_lowercase + string.digits
ALNUM = string.ascii_letters + string.digits

# Ten ways a Mindee-named assignment is written: `{k}` is the key.
SYNTAXES = [
    'MINDEE_V2_API_KEY = "{k}"',  # Python, Ruby, shell
    "export MINDEE_V2_API_KEY={k}",  # .env, shell profile
    "const mindeeApiKey = '{k}';",  # JavaScript, TypeScript, Dart
    '  "MINDEE_V2_API_KEY": "{k}",',  # JSON, Postman environment
    "    MINDEE_V2_API_KEY: {k}",  # YAML: CI files, docker-compose, Helm
    '    \\"mindee_api_key\\": \\"{k}\\",',  # JSON-escaped (notebook source)
    'public static final String MINDEE_API_KEY = "{k}";',  # Java, Kotlin, C#
    '<string name="mindee_api_key">{k}</string>',  # Android resources, plists
    'mindee_api_key = "{k}"',  # Terraform tfvars, TOML
    "$env:MINDEE_V2_API_KEY = '{k}'",  # PowerShell
]

_DETECTOR: list[Detector] = []


def _detector() -> Detector:
    if not _DETECTOR:
        _DETECTOR.append(build_detector(Config()))
    return _DETECTOR[0]


def _mindee(text: str) -> list[str]:
    return [m.secret for m in _detector().scan(text.encode()) if m.rule_id.startswith("mindee-") and not m.other_vendor]


@st.composite
def bodies(draw: st.DrawFn, alphabet: str, size: int = 32) -> str:
    rnd = random.Random(draw(st.integers(0, 2**64)))
    return "".join(rnd.choice(alphabet) for _ in range(size))


def _random_enough(body: str) -> bool:
    """What the property is about: a body with letters and digits, as every generated key has
    (P(no digit) is 3e-5 for 32 draws of [a-z0-9]; a body of one repeated letter is a placeholder)."""
    return any(c.isdigit() for c in body) and any(c.isalpha() for c in body)


@pytest.mark.parametrize("alphabet", [LOWER, ALNUM], ids=["lowercase", "mixed-case"])
@SETTINGS
@given(data=st.data(), syntax=st.sampled_from(SYNTAXES))
def test_any_md_key_is_found_after_a_mindee_name(alphabet: str, data: st.DataObject, syntax: str) -> None:
    body = data.draw(bodies(alphabet), label="body")
    assume(_random_enough(body))
    key = "md_" + body
    assert _mindee(syntax.format(k=key) + "\n") == [key]


_WORDS = ["invoice", "parser", "render", "html", "table", "markdown", "convert", "page", "docs", "receipt", "client"]


@st.composite
def not_keys(draw: st.DrawFn) -> str:
    """Bodies of key length written by people: glued words, placeholders, repeats, sequences, hashes."""
    kind = draw(st.sampled_from(["words", "placeholder", "repeat", "sequence", "interleaved", "hash"]))
    if kind == "words":
        parts = draw(st.lists(st.sampled_from(_WORDS), min_size=6, max_size=10))
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), str(draw(st.integers(1, 2030))))
        body = "".join(parts)
    elif kind == "placeholder":
        word = draw(st.sampled_from(["your_api_key_here", "yourmindeekeyhere", "replace_me", "xxxxxxxx"]))
        body = word + draw(st.sampled_from(["x", "0", "_"])) * 32
    elif kind == "repeat":
        unit = draw(st.text(alphabet=LOWER, min_size=1, max_size=4))
        body = unit * 32
    elif kind == "sequence":
        start = draw(st.integers(0, 20))
        body = (string.ascii_lowercase[start:] + string.digits + string.ascii_lowercase) * 2
    elif kind == "interleaved":
        body = "".join(a + b for a, b in zip(string.ascii_lowercase, (string.digits * 3)[1:], strict=False))
    else:
        body = draw(bodies("0123456789abcdef"))
    return "md_" + body[:32]


@SETTINGS
@given(value=not_keys(), syntax=st.sampled_from(SYNTAXES))
def test_words_placeholders_patterns_and_hashes_of_key_length_are_not_keys(value: str, syntax: str) -> None:
    assert _mindee(syntax.format(k=value) + "\n") == [], value


@SETTINGS
@given(
    body=bodies(LOWER),
    legacy=bodies("0123456789abcdef"),
    line=st.sampled_from(
        [
            "MINDEE_API_KEY={l} MINDEE_V2_API_KEY={k}",
            'MINDEE = {{"api_key": "{l}", "v2_api_key": "{k}"}}',
            "export MINDEE_V2_API_KEY={k}; export MINDEE_API_KEY={l}",
        ]
    ),
)
def test_a_legacy_key_and_an_md_key_on_one_line_are_both_found(body: str, legacy: str, line: str) -> None:
    assume(_random_enough(body))
    key = "md_" + body
    text = line.format(k=key, l=legacy) + "\n"
    assert sorted(_mindee(text)) == sorted([key, legacy]), text
