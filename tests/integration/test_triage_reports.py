"""Triage decisions show in every report read from an audit store, and triage itself is safe to use:
an accepted risk has a reason and an end, and many secrets can be triaged at once."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import stat
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from scanner.cli.main import main
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A store with two secrets of one repository: `old` (introduced first) and `new`."""
    repo = init_repo(tmp_path / "repo")
    keys = {"old": v2_key(), "new": v2_key()}
    commit_file(repo, "old.env", f"MINDEE_API_KEY={keys['old']}\n", date="2022-01-01T00:00:00+00:00")
    commit_file(repo, "new.env", f"MINDEE_API_KEY={keys['new']}\n", date="2024-01-01T00:00:00+00:00")
    db = str(tmp_path / "findings.db")
    assert main(["audit", str(repo), "--db", db, "-j", "1", "-q", "--cache-dir", str(tmp_path / "c")]) == 1
    from scanner.model import fingerprint_for

    return db, {name: fingerprint_for("mindee-api-key", key) for name, key in keys.items()}


def _report(db: str, fmt: str, tmp_path: Path) -> str:
    out = tmp_path / f"report.{fmt}"
    assert main(["findings", "report", "--db", db, "-f", fmt, "-o", str(out)]) == 0
    return out.read_text()


def _revoke_old(db: str, fps: dict[str, str]) -> None:
    decision = ["--state", "revoked", "--note", "INC-7", "--who", "alice"]
    assert main(["findings", "triage", fps["old"], "--db", db, *decision]) == 0


def test_html_ranks_a_triaged_revoked_key_last_and_counts_it_revoked(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    db, fps = store
    _revoke_old(db, fps)
    html = _report(db, "html", tmp_path)
    order = [fp for fp in re.findall(r"mindee-api-key:[0-9a-f]{24}", html.split('<table id="findings">')[1])]
    assert list(dict.fromkeys(order)) == [fps["new"], fps["old"]]  # the open key is the urgent one
    revoked_tile = re.search(r'<div class="n">(\d+)</div><div class="l">revoked</div>', html)
    assert revoked_tile and revoked_tile.group(1) == "1"
    assert "triage: revoked by alice" in html and "INC-7" in html


def test_sarif_carries_triage_as_suppressions(store: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    db, fps = store
    _revoke_old(db, fps)
    doc = json.loads(_report(db, "sarif", tmp_path))
    by_fp = {r["properties"]["fingerprint"]: r for r in doc["runs"][0]["results"]}
    (suppression,) = by_fp[fps["old"]]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert "revoked" in suppression["justification"] and "INC-7" in suppression["justification"]
    assert "suppressions" not in by_fp[fps["new"]]


def test_csv_junit_and_text_show_triage(store: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    db, fps = store
    _revoke_old(db, fps)
    rows = {r["fingerprint"]: r for r in csv.DictReader(io.StringIO(_report(db, "csv", tmp_path)))}
    assert (rows[fps["old"]]["triage_state"], rows[fps["old"]]["triage_note"]) == ("revoked", "INC-7")
    assert rows[fps["new"]]["triage_state"] == "open"
    suite = ET.fromstring(_report(db, "junit", tmp_path)).find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("skipped") == "1"
    skipped = suite.findall("testcase/skipped")
    assert len(skipped) == 1 and "triaged revoked" in (skipped[0].get("message") or "")
    text = _report(db, "text", tmp_path)
    assert "triage: revoked by alice" in text and ": INC-7" in text


def test_accepted_risk_needs_a_note_and_an_expiry(
    store: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, fps = store
    base = ["findings", "triage", fps["new"], "--db", db, "--state", "accepted-risk"]
    assert main(base) == 2
    assert "accepted-risk needs --note" in capsys.readouterr().err
    assert main([*base, "--note", "vendor sandbox key"]) == 2
    assert "needs --expires" in capsys.readouterr().err
    assert main([*base, "--note", "vendor sandbox key", "--expires", "2001-01-01"]) == 2
    assert "today or later" in capsys.readouterr().err
    assert main([*base, "--note", "vendor sandbox key", "--expires", "2999-12-31"]) == 0
    main(["findings", "show", fps["new"], "--db", db, "-f", "json"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "accepted-risk" and shown["triage"]["expires"] == "2999-12-31"
    # Past its expiry an accepted risk is open again: listed as open, counted as open.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE triage SET expires = '2001-01-01'")
    main(["findings", "list", "--db", db, "--state", "open", "-f", "json"])
    assert {f["fingerprint"] for f in json.loads(capsys.readouterr().out)["findings"]} == set(fps.values())


def test_triage_many_fingerprints_or_a_filter_at_once(
    store: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, fps = store
    assert main(["findings", "triage", fps["old"][:20], fps["new"][:20], "--db", db, "--state", "false-positive"]) == 0
    assert "2 secret(s) set to false-positive" in capsys.readouterr().err
    main(["findings", "list", "--db", db, "--state", "false-positive", "-f", "json"])
    assert len(json.loads(capsys.readouterr().out)["findings"]) == 2
    assert main(["findings", "triage", "--db", db, "--state", "open", "--rule", "mindee-api-key"]) == 0
    assert "2 secret(s) set to open" in capsys.readouterr().err
    assert main(["findings", "triage", "--db", db, "--state", "open"]) == 2  # neither fingerprints nor filter


def test_findings_list_has_a_header_and_aligned_columns(
    store: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, fps = store
    _revoke_old(db, fps)
    capsys.readouterr()
    assert main(["findings", "list", "--db", db]) == 0
    header, *rows, total = capsys.readouterr().out.splitlines()
    assert header.split() == ["FINGERPRINT", "STATE", "VERDICT", "KEY", "REPOS", "PLACES", "FIRST", "SEEN"]
    assert total == "2 secret(s)" and len(rows) == 2
    for column in ("STATE", "VERDICT", "KEY", "FIRST SEEN"):
        starts = {header.index(column)}
        # every row's cell starts where its header does
        starts |= {len(r) - len(r[header.index(column) :].lstrip()) if r[header.index(column) - 1] == " " else -1
                   for r in rows}  # fmt: skip
        assert starts == {header.index(column)}, column


def test_a_store_reports_in_every_format_a_scan_does(store: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """The report formats are listed once (scanner.report.FORMATS): `findings report` offered every one but
    GitLab's, which its own list had missed."""
    from scanner.report import FORMATS

    db, fps = store
    assert "gitlab" in FORMATS
    for fmt in FORMATS:
        text = _report(db, fmt, tmp_path)
        assert text, fmt
    doc = json.loads(_report(db, "gitlab", tmp_path))
    assert len(doc["vulnerabilities"]) == len(fps)
    assert stat.S_IMODE((tmp_path / "report.gitlab").stat().st_mode) == 0o600
