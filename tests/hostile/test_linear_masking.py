"""Every snippet masks every secret on its line, in every encoding the detector understands, in every format.

A clear `md_` key, a legacy hex key and a base64-encoded key share one line: none of the three, nor the
usable base64 form, may appear in any report (json, jsonl, sarif, html and junit printed the encoded key
in clear; the legacy key beside an `md_` key was not masked either).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.model import ScanResult, ScanStats
from scanner.report import FORMATS, RenderOptions, render
from tests.testing.findings import make_finding
from tests.testing.keys import v1_key, v2_key

pytestmark = pytest.mark.timeout(120)


def _line() -> tuple[str, list[str]]:
    clear, legacy, encoded = v2_key(), v1_key(), v2_key()
    b64 = base64.b64encode(encoded.encode()).decode()
    line = f"MINDEE_V2_API_KEY={clear} MINDEE_API_KEY={legacy} MINDEE_V2_API_KEY_B64={b64}"
    return line, [clear, legacy, encoded, b64, b64.rstrip("=")]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_secret_of_the_line_in_any_format(tmp_path: Path, fmt: str) -> None:
    line, secrets = _line()
    (tmp_path / "app.env").write_text(f"# settings\n{line}\n")
    result = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config()))
    assert result.findings, "the clear key at least is reported"
    out = render(result, fmt, RenderOptions())
    for secret in secrets:
        assert secret not in out, f"{fmt} shows a secret of the line"


def test_snippet_masks_by_spans_of_every_match() -> None:
    """The engine records where each match sits in the snippet text; masking follows those spans."""
    line, secrets = _line()
    builder = FindingBuilder(build_detector(Config()))
    findings, _ = builder.from_bytes(f"{line}\n".encode(), "app.env")
    assert findings
    for f in findings:
        assert f.context.spans, "every engine finding knows the spans of the secrets in its text"
        own = [s for s in f.context.spans if f.context.text[s[0] : s[1]] == f.secret.reveal() or s[2]]
        assert own
        for text in (f.snippet(), f.snippet(width=10_000), str(f.to_dict())):
            for secret in secrets:
                assert secret not in text


def test_span_masking_hides_a_secret_of_any_shape() -> None:
    """A span masks what no shape rule knows (a generic password): the masking is by position, not shape."""
    secret = "hunter2-Qz8!x-not-key-shaped"
    line = f"db_password = '{secret}'; other = 1"
    start = line.index(secret)
    f = make_finding(
        "generic-secret",
        "d",
        "high",
        column=start + 1,
        secret="unrelated",
        line_text=line,
        line_spans=((start, start + len(secret), ""),),
    )
    assert secret not in f.snippet(width=1000)
    assert f.snippet(show_secret=True, width=1000) == line
    redacted = ScanResult([f], ScanStats())
    for fmt in ("json", "jsonl", "sarif", "html", "junit"):
        assert secret not in render(redacted, fmt, RenderOptions())
