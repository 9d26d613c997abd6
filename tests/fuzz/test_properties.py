"""Property tests: any key of each shape is found, exactly, in the syntaxes keys really appear in.

Key bodies are uniform random strings (seeded by Hypothesis, so a failure replays); Hypothesis
picks the shape, the edge characters of long keys, the syntax, the line ending and the neighbours.
`derandomize` keeps CI deterministic: the filters reject about 1 random key in 2,000 as "reads like
words", a rate measured in docs/rules.md and far inside the recall target, and a property test must
not turn that rate into a flaky build.
"""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
SETTINGS = settings(max_examples=80, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_DETECTOR: list[Detector] = []


def detector() -> Detector:
    if not _DETECTOR:
        _DETECTOR.append(build_detector(Config()))
    return _DETECTOR[0]


def _body(rnd: random.Random, alphabet: str, size: int) -> str:
    while True:
        body = "".join(rnd.choice(alphabet) for _ in range(size))
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return body


@st.composite
def v2_keys(draw: st.DrawFn) -> str:
    """md_ + 32 alphanumerics, or md_ + 43 base64url whose body may start or end with - or _."""
    rnd = random.Random(draw(st.integers(0, 2**64)))
    if draw(st.booleans()):
        return "md_" + _body(rnd, ALNUM, 32)
    first = draw(st.sampled_from(["", "-", "_"]))
    last = draw(st.sampled_from(["", "-", "_"]))
    return "md_" + first + _body(rnd, B64URL, 43 - len(first) - len(last)) + last


@st.composite
def legacy_keys(draw: st.DrawFn) -> str:
    rnd = random.Random(draw(st.integers(0, 2**64)))
    return "".join(rnd.choice("0123456789abcdef") for _ in range(32))


# `{k}` and `{k2}` are keys; every syntax a key is pasted into in real files.
V2_SYNTAXES = [
    'api_key = "{k}"',
    "api_key = '{k}'",
    "const key = `{k}`;",
    "MINDEE_V2_API_KEY={k}",
    "export MINDEE_V2_API_KEY={k}",
    "https://app.example.com/callback?api_key={k}&v=1",
    "mindee:\n  api_key: {k}\n  timeout: 30",
    '{{"apiKey": "{k}", "region": "eu"}}',
    '"{{\\"api_key\\":\\"{k}\\"}}"',
    "<config><apiKey>{k}</apiKey></config>",
    '<add key="MindeeApiKey" value="{k}" />',
    "a = '{k}'; b = '{k2}'",
    "{k},{k2}",
    "Authorization: {k}",
    "| prod | {k} |",
    "KEY={k}",  # at the very end of the data, no newline (see the test)
]
LEGACY_SYNTAXES = [
    'MINDEE_API_KEY="{k}"',
    "MINDEE_API_KEY='{k}'",
    "MINDEE_API_KEY=`{k}`",
    "MINDEE_API_KEY={k}",
    "export MINDEE_API_KEY={k}",
    "https://api.mindee.net/v1/products/mindee/invoices/v4/predict?api_key={k}&x=1",
    "mindee_api_key: {k}",
    "mindee:\n  api_key: {k}",
    '{{"MINDEE_API_KEY": "{k}"}}',
    "<MindeeApiKey>{k}</MindeeApiKey>",
    "MINDEE_API_KEY={k} MINDEE_V1_API_KEY={k2}",
    'curl https://api.mindee.net/v1/x -H "Authorization: Token {k}"',
    "MINDEE_API_KEY={k}",
]
NEIGHBOURS = ["", "import os", "# config", "x = 1", "md_to_html_converter(doc)", "sha256: " + "ab" * 32]


def _render(template: str, keys: list[str], newline: str, before: str, after: str, eof: bool) -> str:
    text = template.format(k=keys[0], k2=keys[1])
    lines = [line for line in (before, text, after) if line or line is text]
    if eof:
        lines = [line for line in (before, text) if line or line is text]
        return newline.join(lines)  # the key is the last thing in the file
    return newline.join(lines) + newline


def _mindee_secrets(data: str) -> list[str]:
    return sorted(m.secret for m in detector().scan(data.encode()) if m.rule_id.startswith("mindee-"))


# A Mindee key kind: its keys, the syntaxes it is pasted into, and the lines that may follow it (for legacy
# keys, as this property has always been stated, none).
KINDS = {
    "v2": (v2_keys(), V2_SYNTAXES, NEIGHBOURS),
    "legacy-with-mindee-context": (legacy_keys(), LEGACY_SYNTAXES, [""]),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@SETTINGS
@given(data=st.data(), newline=st.sampled_from(["\n", "\r\n"]), before=st.sampled_from(NEIGHBOURS), eof=st.booleans())
def test_any_key_is_found_exactly_in_any_syntax(
    kind: str, data: st.DataObject, newline: str, before: str, eof: bool
) -> None:
    key_of_kind, syntaxes, afters = KINDS[kind]
    keys = data.draw(st.lists(key_of_kind, min_size=2, max_size=2, unique=True), label="keys")
    template = data.draw(st.sampled_from(syntaxes), label="template")
    text = _render(template, keys, newline, before, data.draw(st.sampled_from(afters), label="after"), eof)
    expected = sorted(k for k in keys if k in text)
    assert _mindee_secrets(text) == expected, text


@SETTINGS
@given(key=legacy_keys(), label=st.sampled_from(["md5", "sha", "checksum", "request_id", "etag", "hash"]))
def test_legacy_hex_next_to_mindee_but_not_a_key_is_ignored(key: str, label: str) -> None:
    for text in (
        f"mindee-4.1.0.tar.gz {label}: {key}",
        f"MINDEE_SDK_{label.upper()}={key}",
        f"mindee_api_key_{label} = '{key}'",
        f"{key}  mindee-4.1.0-py3-none-any.whl",
    ):
        assert _mindee_secrets(text) == [], text


@st.composite
def placeholders(draw: st.DrawFn) -> str:
    """Same length as a real key, but made by a human: words, masks, runs, sequences."""
    size = draw(st.sampled_from([32, 43]))
    kind = draw(st.sampled_from(["words", "mask", "run", "sequence", "identifier"]))
    if kind == "words":
        words = draw(
            st.lists(
                st.sampled_from(["YOUR", "MINDEE", "API", "KEY", "HERE", "REPLACE", "ME", "EXAMPLE", "PLACEHOLDER"]),
                min_size=3,
                max_size=6,
            )
        )
        if "YOUR" not in words and "REPLACE" not in words and "EXAMPLE" not in words:
            words.insert(0, "YOUR")
        body = "_".join(words)
        pad = draw(st.sampled_from(["X", "x", "0", "_"]))
    elif kind == "mask":
        rnd = random.Random(draw(st.integers(0, 2**32)))
        body = _body(rnd, ALNUM, draw(st.integers(2, 6)))
        pad = draw(st.sampled_from(["*", "X", "x", "0", ".", "•"]))
    elif kind == "run":
        body, pad = "", draw(st.sampled_from(list("xX0aA1_-")))
    elif kind == "sequence":
        body = "".join(draw(st.sampled_from([string.ascii_lowercase + string.ascii_uppercase, "0123456789" * 5])))
        return "md_" + body[:size]
    else:
        words = draw(
            st.lists(
                st.sampled_from(["Convert", "Markdown", "Html", "Render", "Table", "Page", "Utf8"]),
                min_size=12,
                max_size=12,
            )
        )
        return "md_" + "".join(words)[:size]
    return "md_" + (body + pad * size)[:size]


@SETTINGS
@given(value=placeholders(), template=st.sampled_from(V2_SYNTAXES[:12]))
def test_placeholders_of_key_length_are_never_reported(value: str, template: str) -> None:
    data = template.format(k=value, k2=value)
    assert [m.rule_id for m in detector().scan(data.encode())] == [], data
