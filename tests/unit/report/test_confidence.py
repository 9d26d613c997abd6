"""Every report a human or a tool reads says how sure a finding is and why (issue 14 item 4)."""

from __future__ import annotations

import json
import secrets
import string

import pytest

from scanner.model import ScanResult, ScanStats
from scanner.record import replace
from scanner.report import RenderOptions, render
from tests.testing.findings import make_finding

NOTE = "the context names Macrodata, not Mindee: probably a Macrodata token (not sent to Mindee)"


def _result() -> ScanResult:
    key = "md_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    finding = make_finding(
        path="settings.env",
        column=19,
        secret=key,
        line_text=f"MACRODATA_API_KEY={key}",
        confidence="low",
        note=NOTE,
        other_vendor="Macrodata",
    )
    return ScanResult([finding], ScanStats(files_scanned=1))


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "html"])
def test_confidence_and_note_are_shown(fmt: str) -> None:
    out = render(_result(), fmt, RenderOptions())
    assert "low" in out and NOTE in out
    if fmt == "sarif":
        props = json.loads(out)["runs"][0]["results"][0]["properties"]
        assert (props["confidence"], props["note"], props["otherVendor"]) == ("low", NOTE, "Macrodata")
    if fmt == "text":
        assert f"confidence: low ({NOTE})" in out


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_a_note_on_a_sure_finding_is_not_labelled_with_its_confidence(fmt: str) -> None:
    """A provenance note (what reaches an unreachable blob) is not a doubt: no 'confidence: high' label."""
    result = _result()
    note = "reached only by refs/pull/7/head"
    found = result.findings[0]
    result.findings[0] = found.with_changes(rule=replace(found.rule, confidence="high", note=note, other_vendor=None))
    out = render(result, fmt, RenderOptions())
    assert note in out
    assert "confidence" not in out.lower().replace("confidence-", "")
