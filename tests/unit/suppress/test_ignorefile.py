"""`.mindee-scan-ignore` entries (reason, owner, expiry) and gitleaks `.gitleaksignore` files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import ConfigError
from scanner.model import Finding, Occurrence, ScanResult, ScanStats
from scanner.suppress.apply import apply_suppressions
from scanner.suppress.ignorefile import parse_gitleaks, parse_ignore
from tests.testing.cli import invoke, invoke_json
from tests.testing.findings import make_finding
from tests.testing.keys import v2_key


def _finding(secret: str, path: str = "a.py", line: int = 2, commit: str | None = None, **more: Any) -> Finding:
    return make_finding(description="d", path=path, line=line, secret=secret, commit=commit, **more)


def test_parse_entry_with_reason_owner_and_expiry() -> None:
    fp = _finding(v2_key()).fingerprint
    [entry] = parse_ignore(
        ["# known findings", "", f'{fp}  reason="revoked, kept as fixture" owner=alice expires=2030-01-31  # ok'],
        ".mindee-scan-ignore",
    )
    assert entry.fingerprint == fp
    assert entry.reason == "revoked, kept as fixture"
    assert entry.owner == "alice"
    assert entry.expires == date(2030, 1, 31)
    assert entry.where == ".mindee-scan-ignore:3"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("mindee-api-key:0123456789abcdef01234567", "needs a reason"),
        ('mindee-api-key:0123456789abcdef01234567 reason=""', "needs a reason"),
        ("md_abcdef reason=x", "is not a fingerprint"),
        ("mindee-api-key:0123456789abcdef01234567 reason=x until=2030-01-01", "unknown field"),
        ("mindee-api-key:0123456789abcdef01234567 reason=x expires=soon", "not a date"),
        ('mindee-api-key:0123456789abcdef01234567 reason="unclosed', "No closing quotation"),
    ],
)
def test_bad_entries_are_errors_naming_file_and_line(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        parse_ignore(["# header", line], "ign")
    assert str(exc.value).startswith("ign:2:")


def _apply(tmp_path: Path, text: str, findings: list[Finding], today: date) -> ScanResult:
    (tmp_path / ".mindee-scan-ignore").write_text(text)
    return apply_suppressions(ScanResult(findings, ScanStats()), None, None, str(tmp_path), today=today)


def test_entry_suppresses_until_its_expiry_date_inclusive(tmp_path: Path) -> None:
    f = _finding(v2_key())
    text = f'{f.fingerprint} reason="test fixture" owner=bob expires=2025-06-30\n'
    out = _apply(tmp_path, text, [f], today=date(2025, 6, 30))
    assert out.findings == [] and len(out.suppressed) == 1
    assert out.suppressed[0].decisions.suppressed_by is not None
    assert (
        "test fixture" in out.suppressed[0].decisions.suppressed_by
        and "bob" in out.suppressed[0].decisions.suppressed_by
    )
    assert out.stats.notes == []


def test_expired_entry_stops_suppressing_and_says_so(tmp_path: Path) -> None:
    f, other = _finding(v2_key()), _finding(v2_key(), "b.py")
    text = f'{f.fingerprint} reason="test fixture" owner=bob expires=2025-06-30\n'
    out = _apply(tmp_path, text, [f, other], today=date(2025, 7, 1))
    assert out.findings == [f, other] and out.suppressed == []
    [note] = out.stats.notes
    assert f"{tmp_path}/.mindee-scan-ignore:1" in note
    assert "expired on 2025-06-30" in note and "owner bob" in note and "1 finding(s) reported again" in note


def test_full_sha256_fingerprint_and_rule_must_agree(tmp_path: Path) -> None:
    f = _finding(v2_key())
    text = f"{f.rule.id}:{f.secret.hash} reason=x\ngeneric-api-key:{f.secret.hash[:24]} reason=other-rule\n"
    out = _apply(tmp_path, text, [f], today=date(2025, 1, 1))
    assert out.findings == [] and out.suppressed[0].decisions.suppressed_by is not None
    assert ":1:" in out.suppressed[0].decisions.suppressed_by


def test_cli_ignore_file_at_scan_root_and_expired_note(tmp_path: Path) -> None:
    key = v2_key()
    root = tmp_path / "proj"
    root.mkdir()
    (root / "a.py").write_text(f'MINDEE_API_KEY = "{key}"\n')
    code, doc = invoke_json("dir", str(root))
    fp = doc["findings"][0]["fingerprint"]

    (root / ".mindee-scan-ignore").write_text(f'{fp} reason="fixture" expires=2999-01-01\n')
    code, doc = invoke_json("dir", str(root))
    assert code == 0 and doc["suppressed"] == 1

    (root / ".mindee-scan-ignore").write_text(f'{fp} reason="fixture" expires=2001-01-01\n')
    proc = invoke("dir", str(root))
    assert proc.returncode == 1
    assert "expired on 2001-01-01" in proc.stdout

    proc = invoke("dir", str(root), "--ignore-file", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "ignore file not found" in proc.stderr


def test_gitleaks_entries_match_path_line_and_commit() -> None:
    sha = "a" * 40
    entries = parse_gitleaks(
        ["# gitleaks", "src/a.py:generic-api-key:2", f"{sha}:cfg/b.yaml:generic-api-key:7", "x:y:z:w:9"],
        ".gitleaksignore",
    )
    assert [(e.commit, e.path, e.rule, e.line) for e in entries] == [
        (None, "src/a.py", "generic-api-key", 2),
        (sha, "cfg/b.yaml", "generic-api-key", 7),
        (None, "x:y:z", "w", 9),
    ]
    key = v2_key()
    assert entries[0].matches(_finding(key, "src/a.py", 2))
    assert not entries[0].matches(_finding(key, "src/a.py", 3))  # a moved line is not matched, as in gitleaks
    assert entries[1].matches(
        _finding(key, "other.py", 1, commit="b" * 40, occurrences=(Occurrence("cfg/b.yaml", 7, sha),))
    )
    assert not entries[1].matches(_finding(key, "cfg/b.yaml", 7, commit="c" * 40))


def test_gitleaks_bad_line_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"\.gitleaksignore:1: not a gitleaks fingerprint"):
        parse_gitleaks(["just-a-path"], ".gitleaksignore")


def test_cli_reads_a_gitleaksignore_file(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "a.py").write_text(f'x = 1\nMINDEE_API_KEY = "{v2_key()}"\n')
    (root / "b.py").write_text(f'MINDEE_API_KEY = "{v2_key()}"\n')
    (root / ".gitleaksignore").write_text("a.py:generic-api-key:2\n")
    code, doc = invoke_json("dir", str(root), "--ignore-file", str(root / ".gitleaksignore"))
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["b.py"] and doc["suppressed"] == 1
