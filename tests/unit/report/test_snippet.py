"""A line holding two keys: no report format shows the other key in the first one's snippet."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from scanner.model import ScanResult, ScanStats, Secret
from scanner.record import replace
from scanner.redact import SnippetRedactor
from tests.testing.cli import invoke
from tests.testing.findings import make_finding
from tests.testing.keys import v2_key, v2_long_key


@pytest.mark.parametrize("fmt", ["sarif", "html", "junit", "csv"])
def test_two_keys_on_one_line_stay_redacted(tmp_path: Path, fmt: str) -> None:
    k1, k2 = v2_key(), v2_long_key()
    (tmp_path / "a.py").write_text(f'KEYS = ["{k1}", "{k2}"]\n')
    proc = invoke("dir", str(tmp_path), "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    assert k1 not in proc.stdout and k2 not in proc.stdout
    assert "md_" in proc.stdout


def test_redactor_masks_every_known_secret_on_the_line() -> None:
    k1, k2 = v2_key(), v2_key()
    k3 = "pw" + secrets.token_hex(9)  # not shaped like a key: only the redactor's index can know it
    unknown = "pw" + secrets.token_hex(9)
    line = f'a = "{k1}"; b = "{k2}"; c = "{k3}"; d = "{unknown}"'
    findings = [make_finding(description="d", path="x.py", secret=k, line_text=line) for k in (k1, k2)]
    suppressed = [
        findings[1].with_changes(
            secret=Secret.of(k3), decisions=replace(findings[1].decisions, suppressed_by="baseline b.json")
        )
    ]
    redactor = SnippetRedactor(ScanResult([findings[0]], ScanStats(), suppressed=suppressed))
    text = redactor.snippet(findings[0], width=1000)
    assert k1 not in text and k3 not in text
    assert k2 not in text  # shaped like a Mindee key: masked though no finding of this result names it
    assert unknown in text  # neither found nor key-shaped: nothing can know it is a secret
    assert redactor.snippet(findings[0], show_secrets=True, width=1000) == line
