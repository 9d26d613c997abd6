"""A location entry (gitleaks `.gitleaksignore`, detect-secrets baseline) suppresses exactly the place it
names; `.gitleaksignore` at the scan root is read without being named, as gitleaks does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scanner.cli.main import main
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "-f", "json", "--show-secrets"])
    return code, json.loads(capsys.readouterr().out)


def _repo_with_key_twice(tmp_path: Path) -> tuple[Path, str, str]:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "a.env", f"MINDEE_API_KEY={key}\n")
    sha = commit_file(repo, "b/c.env", f"x=1\nMINDEE_API_KEY={key}\n")
    return repo, key, sha


def test_gitleaks_entry_suppresses_only_the_place_it_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, key, _ = _repo_with_key_twice(tmp_path)
    first = git(repo, "rev-list", "--max-parents=0", "HEAD")
    (repo / ".gitleaksignore").write_text(f"{first}:a.env:generic-api-key:1\n")
    code, doc = _json(capsys, "git", str(repo))
    assert code == 1
    (finding,) = doc["findings"]
    assert finding["secret"] == key
    assert (finding["path"], finding["line"]) == ("b/c.env", 2)
    assert [(o["path"], o["line"]) for o in finding["occurrences"]] == [("b/c.env", 2)]
    assert doc["suppressed"] == 1


def test_gitleaks_entries_for_every_place_suppress_the_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _, second = _repo_with_key_twice(tmp_path)
    (repo / ".gitleaksignore").write_text(f"a.env:generic-api-key:1\n{second}:b/c.env:generic-api-key:2\n")
    code, doc = _json(capsys, "git", str(repo))
    assert code == 0 and doc["findings"] == [] and doc["suppressed"] == 2


def test_root_gitleaksignore_is_read_in_a_folder_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.py").write_text(f'x = 1\nMINDEE_API_KEY = "{v2_key()}"\n')
    (tmp_path / "b.py").write_text(f'MINDEE_API_KEY = "{v2_key()}"\n')
    (tmp_path / ".gitleaksignore").write_text("a.py:generic-api-key:2\n")
    code, doc = _json(capsys, "dir", str(tmp_path))
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["b.py"] and doc["suppressed"] == 1
    # alongside our own ignore file, and alongside --ignore-file
    fp = doc["findings"][0]["fingerprint"]
    (tmp_path / ".mindee-scan-ignore").write_text(f'{fp} reason="fixture"\n')
    code, doc = _json(capsys, "dir", str(tmp_path))
    assert code == 0 and doc["suppressed"] == 2


def test_detect_secrets_entry_suppresses_only_its_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, key, _ = _repo_with_key_twice(tmp_path)
    baseline = tmp_path / ".secrets.baseline"
    entry = {"type": "Secret Keyword", "filename": "a.env", "line_number": 1,
             "hashed_secret": hashlib.sha1(key.encode()).hexdigest(), "is_verified": False}  # fmt: skip
    baseline.write_text(json.dumps({"version": "1.5.0", "plugins_used": [], "results": {"a.env": [entry]}}))
    code, doc = _json(capsys, "git", str(repo), "--baseline", str(baseline))
    assert code == 1
    (finding,) = doc["findings"]
    assert finding["path"] == "b/c.env" and [o["path"] for o in finding["occurrences"]] == ["b/c.env"]
    assert doc["suppressed"] == 1
