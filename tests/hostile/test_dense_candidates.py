"""Dense candidates: every token of a line is a rule match, so what each one costs decides the scan time.

A line of `md_` + 31 characters repeated cost 420 us a token (the vendor regexes were searched from
every character of the 160 before it, the filters looped in Python per character); a token after
`/` following a long run cost a search restarted at each of 512 bytes. Each test is sized so the old
code takes tens of seconds to minutes, and bounded by its timeout.
"""

from __future__ import annotations

import secrets
import string

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(Config())


def _lower(n: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(n))


@pytest.mark.timeout(20)
def test_a_repeated_near_miss_token_is_judged_once(detector: Detector) -> None:
    """100,000 copies of one `md_` + 31-character token (3.5 MB, one line): reported once, medium."""
    token = "md_" + _lower(31)
    matches = detector.scan(((token + " ") * 100_000).encode())
    assert [(m.secret, m.column, m.confidence) for m in matches] == [(token, 1, "medium")]


@pytest.mark.timeout(10)
def test_tokens_after_a_slash_and_a_long_run(detector: Detector) -> None:
    """`/md_...` after 600 letters and a space: the URL run before it is found by one match, not 512."""
    key = "md_" + _lower(32)
    line = ("a" * 600 + " /" + key + " ") * 4000
    matches = detector.scan(line.encode())
    # A `/` after a space opens no URL path: the token sits in a base64-like blob, never reported.
    assert matches == []
    # The same token in a URL path is found.
    assert [m.secret for m in detector.scan(f"see https://api.example.com/keys/{key}\n".encode())] == [key]


@pytest.mark.parametrize("seed", range(4))
def test_fast_filters_answer_as_the_loops_do(seed: int) -> None:
    """The C-speed paths (ASCII) give the answers of the per-character loops they replace."""
    import random

    from scanner.detect import filters

    rng = random.Random(seed)
    alphabets = [
        "abcdef0123456789",
        string.ascii_letters + string.digits,
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789_-aAzZ",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randrange(0, 48)))
        assert filters._has_sequence(text) == filters._has_sequence_loop(text), text
        n = len(text)
        periodic = n >= 12 and any(text == (text[:p] * (n // p + 1))[:n] for p in range(1, n // 2 + 1))
        assert filters._is_periodic(text) == periodic, text
