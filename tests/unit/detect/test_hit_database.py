"""`Detector.hit_database`: where it has no hit, `scan` finds nothing (the pre-commit fast path rests on it).

Checked on the rules' own examples, on those examples in every encoding the decoders read, inside
other text, and on this project's own source and test files (which talk about keys all the time): each
text either has a hit or scans to nothing. A text with a match must have a hit.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import hyperscan
import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.rules import load_default_rules
from scanner.detect.textio import is_plain_text
from tests.testing.keys import v1_key, v2_key

ROOT = Path(__file__).resolve().parents[3]
DETECTOR = build_detector(Config())
_RAW = DETECTOR.hit_database()
assert _RAW is not None
DATABASE = hyperscan.loadb(_RAW, hyperscan.HS_MODE_BLOCK)
SCRATCH = hyperscan.Scratch(DATABASE)


def has_hit(data: bytes) -> bool:
    try:
        DATABASE.scan(data, match_event_handler=lambda *a: True, scratch=SCRATCH)
    except hyperscan.ScanTerminated:
        return True
    return False


def examples() -> Iterator[str]:
    for rule in load_default_rules():
        for ex in rule.examples_match:
            yield ex["text"] if isinstance(ex, dict) else ex
        yield from rule.examples_no_match


def variants(text: str) -> Iterator[bytes]:
    raw = text.encode()
    yield raw
    yield b"x = 1\n" * 3 + raw + b"\ny = 2\n"
    yield b"MINDEE_API_KEY: " + base64.b64encode(raw) + b"\n"
    yield base64.b64encode(raw) + b"\n"
    yield json.dumps(text).encode().replace(b"_", b"\\u005f").replace(b"m", b"\\u006d")
    half = len(raw) // 2
    yield b'key = "' + raw[:half] + b'" + \n    "' + raw[half:] + b'"\n'
    yield text.encode("utf-16-le")


def texts() -> Iterator[tuple[str, bytes]]:
    for i, text in enumerate(examples()):
        for j, data in enumerate(variants(text)):
            yield f"example-{i}-{j}", data
    for key in (v2_key(), v1_key()):
        for j, data in enumerate(variants(f"MINDEE_API_KEY={key}")):
            yield f"key-{j}", data
    for folder in ("scanner", "tests", "rules", "docs"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".md", ".json") and path.stat().st_size < 1 << 20:
                yield str(path.relative_to(ROOT)), path.read_bytes()


@pytest.mark.timeout(600)
def test_no_hit_means_nothing_found() -> None:
    checked = hits = 0
    for name, raw in texts():
        if not is_plain_text(raw):
            continue  # the fast path leaves these to the full path (`prepare` changes them)
        if has_hit(raw):
            hits += 1
        else:
            assert DETECTOR.scan(raw) == [], name
        checked += 1
    assert checked > 1000 and hits > 100  # the texts did exercise both sides


def test_context_patterns_are_left_out() -> None:
    """A rule's file-level `context` alone opens no window (rotation's: words such as "rotate")."""
    text = b"# rotate the logs daily, revoke nothing\n"
    assert any(t.owner.startswith("context:") for t in DETECTOR._prefilter.triggers)
    assert DETECTOR._prefilter.scan(text), "the full prefilter has a context hit here"
    assert DETECTOR.scan(text) == []
    assert not has_hit(text)
