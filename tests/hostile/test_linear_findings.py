"""Work per finding is bounded: thousands of keys on one line, or in one file, cost linear time.

16,000 `MINDEE_API_KEY=<hex>` assignments on one 752 KB line took 31 s (each finding walked every other
secret of its line, re-read the line's bounds, lowered a copy of it for inline-allow markers); rendering
30,000 findings of one file compared every snippet with every secret of the file (JSON over 60 s).
The old code takes minutes on these inputs; the timeouts bound the new code with a wide margin.
"""

from __future__ import annotations

import json
import secrets

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.model import ScanResult, ScanStats, Secret
from scanner.report import FORMATS, RenderOptions, render
from tests.testing.findings import make_finding
from tests.testing.keys import v2_key

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


@pytest.fixture(scope="module")
def builder() -> FindingBuilder:
    return FindingBuilder(build_detector(Config()))


@pytest.mark.parametrize("digits", [31, 32])
def test_sixteen_thousand_findings_on_one_line(builder: FindingBuilder, digits: int) -> None:
    """31 hex digits are a generic secret, 32 a legacy Mindee key: both are linear now."""
    values = [secrets.token_hex(16)[:digits] for _ in range(16_000)]
    raw = (" ".join(f"MINDEE_API_KEY={v}" for v in values) + "\n").encode()
    findings, _ = builder.from_bytes(raw, "one-line.env")
    assert len(findings) > 15_000
    assert {f.where.line for f in findings} == {1}
    # What each finding carries about its line is bounded by its snippet, not by the line's key count.
    assert max(len(f.context.others) for f in findings) < 20
    assert max(len(f.context.spans) for f in findings) < 20
    assert max(len(f.context.text) for f in findings) <= 400
    by_column = {f.where.column: f for f in findings}
    for f in findings[::1000]:
        assert raw.decode()[f.where.column - 1 :].startswith(f.secret.reveal())
        assert f.secret.reveal() not in f.snippet(width=1000)
    assert len(by_column) == len(findings)


def test_md_keys_on_one_line_are_located_exactly(builder: FindingBuilder) -> None:
    keys = [v2_key() for _ in range(4000)]
    text = " ".join(f"MINDEE_V2_API_KEY={k}" for k in keys)
    findings, _ = builder.from_bytes(f"head\n{text}\ntail\n".encode(), "keys.env")
    assert len(findings) >= 3990  # a random body reads as a placeholder about once in 10,000
    for f in findings:
        assert f.where.line == 2
        assert text[f.where.column - 1 :].startswith(f.secret.reveal())


def _many(n: int) -> ScanResult:
    findings = []
    for i in range(n):
        key = "md_" + secrets.token_urlsafe(24)[:32]
        line = f"k{i} = '{key}'"
        findings.append(
            make_finding(
                rule_id="mindee-api-key",
                description="Mindee API key",
                severity="critical",
                path="keys.py",
                line=i + 1,
                column=7,
                secret=key,
                verifier="mindee-v2",
                line_text=line,
                line_spans=((line.index(key), line.index(key) + len(key), ""),),
            )
        )
    return ScanResult(findings, ScanStats(files_scanned=1), target="t")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_thirty_thousand_findings_in_one_file_render(fmt: str) -> None:
    result = _many(30_000)
    out = render(result, fmt, RenderOptions())
    assert result.findings[-1].secret.reveal() not in out
    if fmt == "json":
        assert len(json.loads(out)["findings"]) == 30_000


def test_one_key_found_many_times_plans_once() -> None:
    """One key at 30,000 places: its remediation plan lists each place once, in linear time."""
    result = _many(30_000)
    key = result.findings[0].secret.reveal()
    result.findings[:] = [f.with_changes(secret=Secret.of(key)) for f in result.findings]
    doc = json.loads(render(result, "json", RenderOptions()))
    (plan,) = doc["remediation"]
    assert len(plan["places"]) == 30_000
