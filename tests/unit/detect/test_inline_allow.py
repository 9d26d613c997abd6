"""Inline allow markers: every spelling users write, found by literal search as the caseless regex did."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from scanner.detect.filters import has_inline_allow
from tests.testing.keys import v2_key

# The markers' definition as one caseless regex each: the oracle the fast search must agree with.
SAME_LINE = re.compile(
    rb"mindee-scan:allow|gitleaks:allow|trufflehog:ignore|ggignore|pragma:\s*(?:allowlist|whitelist)[ -]secret",
    re.IGNORECASE,
)
NEXT_LINE = re.compile(rb"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)


@pytest.mark.parametrize(
    ("line", "previous", "allowed"),
    [
        (b"key = 'x'  # mindee-scan:allow", b"", True),
        (b"key = 'x'  // MINDEE-SCAN:ALLOW", b"", True),
        (b"key = 'x'  # gitleaks:allow", b"", True),
        (b"key = 'x'  # pragma: allowlist secret", b"", True),
        (b"key = 'x'  # Pragma:\tAllowList-Secret", b"", True),
        (b"key = 'x'  # pragma:allowlist secret", b"", True),
        (b"key = 'x'  # pragma: allowlist", b"", False),
        (b"key = 'x'  # pragma: allowlist_secret", b"", False),
        (b"key = 'x'  # mindee-scan: allow", b"", False),
        (b"key = 'x'", b"# pragma: allowlist nextline secret", True),
        (b"key = 'x'", b"# PRAGMA: allowlist-nextline-secret", True),
        (b"key = 'x'", b"# pragma: allowlist secret", False),  # same-line marker on the line before
        (b"key = 'x'  # pragma: allowlist nextline secret", b"", False),
        (b"pragma: pragma: allowlist secret", b"", True),
        (b"key = 'x'  # trufflehog:ignore", b"", True),
        (b"key = 'x'  # TruffleHog:Ignore", b"", True),
        (b"key = 'x'  # trufflehog: ignore", b"", False),
        (b"key = 'x'  # ggignore", b"", True),
        (b"key = 'x'  // GGIGNORE", b"", True),
        (b"key = 'x'  # pragma: whitelist secret", b"", True),
        (b"key = 'x'  # Pragma:whitelist-secret", b"", True),
        (b"key = 'x'", b"# pragma: whitelist secret", False),
    ],
)
def test_markers(line: bytes, previous: bytes, allowed: bool) -> None:
    assert has_inline_allow(line, previous) is allowed


def test_agrees_with_the_caseless_regex_on_random_lines() -> None:
    rng = random.Random(0)
    pieces = [b"pragma:", b"PRAGMA:", b"Pragma: ", b" ", b"\t", b"allowlist", b"AllowList", b"-", b" ", b"secret",
              b"nextline", b"mindee-scan:", b"gitleaks:", b"allow", b"ALLOW", b"x", b"=", b"'",
              b"whitelist", b"trufflehog:", b"ignore", b"gg", b"IGNORE"]  # fmt: skip
    for _ in range(20_000):
        line = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        previous = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        expected = bool(SAME_LINE.search(line)) or bool(previous and NEXT_LINE.search(previous))
        assert has_inline_allow(line, previous) is expected, (line, previous)


@pytest.mark.parametrize("marker", ["trufflehog:ignore", "ggignore", "pragma: whitelist secret"])
def test_other_tools_markers_silence_a_scan(marker: str, tmp_path: Path) -> None:
    from scanner.cli.main import main

    (tmp_path / "a.py").write_text(f'MINDEE_API_KEY = "{v2_key()}"  # {marker}\n')
    assert main(["dir", str(tmp_path), "-q"]) == 0
    (tmp_path / "a.py").write_text(f'MINDEE_API_KEY = "{v2_key()}"\n')
    assert main(["dir", str(tmp_path), "-q"]) == 1
