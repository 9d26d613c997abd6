"""Terminal output is inert (issue 13): what the scanned code controls never drives the terminal.

Author names, e-mails, paths, ref names and triage notes were printed raw: an OSC 52 sequence set the
clipboard, `ESC[2J` cleared the screen, a newline in a path forged report lines. Human-readable
output escapes them; machine formats keep them exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
CLEAR = "\x1b[2J"
BIDI = "\u202e"


def _hostile_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    env = {"GIT_AUTHOR_NAME": f"Mallory{OSC52}{CLEAR}", "GIT_AUTHOR_EMAIL": f"m{BIDI}@example.com"}
    (repo / "app.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "app.env")
    git(repo, "commit", "-q", "-m", "add", env=env)
    forged = "x\nforged.py:1:1  mindee-api-key  clean\x1b[8m"
    commit_file(repo, forged, f"MINDEE_API_KEY={v2_key()}\n")
    return repo


def _assert_inert(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and BIDI not in out
    assert not any(line.startswith("forged.py") for line in out.splitlines())


@pytest.mark.timeout(120)
def test_git_text_report_escapes_author_and_path(tmp_path: Path) -> None:
    repo = _hostile_repo(tmp_path)
    proc = run("git", str(repo), "--no-color")
    assert proc.returncode == 1, proc.stderr
    _assert_inert(proc.stdout + proc.stderr)
    assert "Mallory\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J" in proc.stdout  # shown, escaped


@pytest.mark.timeout(120)
def test_machine_formats_stay_exact(tmp_path: Path) -> None:
    repo = _hostile_repo(tmp_path)
    proc = run("git", str(repo), "--format", "json")
    doc = json.loads(proc.stdout)
    authors = {f.get("author") for f in doc["findings"]}
    assert any(a and OSC52 in a for a in authors)


@pytest.mark.timeout(120)
def test_notes_and_errors_are_escaped(tmp_path: Path) -> None:
    tree = tmp_path / f"t{CLEAR}"
    tree.mkdir()
    (tree / "a.txt").write_text("nothing\n")
    (tree / ".mindee-scan.yaml").write_text('exclude: ["x\\e]52;c;ZXZpbA==\\a"]\n')  # YAML escapes ESC, BEL
    proc = run("dir", str(tree))
    assert proc.returncode == 0, proc.stderr
    assert "excludes path(s) x\\x1b]52" in proc.stdout
    _assert_inert(proc.stdout + proc.stderr)
    (tree / ".mindee-scan.yaml").write_text("exclude: [\n")
    proc = run("dir", str(tree))
    assert proc.returncode == 2
    _assert_inert(proc.stdout + proc.stderr)  # the error names the path, escaped


@pytest.mark.timeout(180)
def test_findings_list_and_show_escape_triage_notes_and_names(tmp_path: Path) -> None:
    repo = _hostile_repo(tmp_path)
    db = tmp_path / "audit.db"
    proc = run("audit", str(repo), "--db", str(db), "--cache-dir", str(tmp_path / "cache"), "-j", "1")
    assert proc.returncode in (0, 1), proc.stderr
    listed = run("findings", "list", "--db", str(db), "--format", "json")
    fingerprints = [f["fingerprint"] for f in json.loads(listed.stdout)["findings"]]
    assert fingerprints
    note = f"ok{OSC52}\nforged.py:1:1 fine"
    triage = run("findings", "triage", fingerprints[0], "--db", str(db), "--state", "false-positive", "--note", note)
    assert triage.returncode == 0, triage.stderr
    shown = run("findings", "show", fingerprints[0], "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    _assert_inert(shown.stdout)
    assert "ok\\x1b]52;c;ZXZpbA==\\x07\\nforged.py" in shown.stdout
    listed = run("findings", "list", "--db", str(db), "--all")
    _assert_inert(listed.stdout + listed.stderr)
