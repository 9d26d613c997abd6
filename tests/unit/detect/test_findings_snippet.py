"""A finding's own snippet never shows another key found on its line (the audit store keeps snippets)."""

from __future__ import annotations

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from tests.testing.keys import v2_key


def test_snippet_masks_every_secret_on_the_line() -> None:
    builder = FindingBuilder(build_detector(Config()))
    first, second = v2_key(), v2_key()
    findings, _ = builder.from_bytes(f'KEYS = ["{first}", "{second}"]\nother = 1\n'.encode(), "k.py")
    assert sorted(f.secret.reveal() for f in findings) == sorted([first, second])
    for f in findings:
        assert first not in f.snippet() and second not in f.snippet()
        assert first in f.snippet(show_secret=True) and second in f.snippet(show_secret=True)
        assert f.to_dict()["snippet"] == f.snippet()
