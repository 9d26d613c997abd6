"""`mindee-scan git` end to end: the JSON fields, exit codes, progress only on a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

PROVENANCE = ["commit", "author", "date", "path", "line", "occurrences", "present_at_head", "refs"]


def test_json_report_carries_provenance(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    first = commit_file(repo, "a.env", f"MINDEE_API_KEY={key}\n", date="2023-05-06T07:08:09+00:00")
    second = commit_file(repo, "b/c.py", f"\nMINDEE_API_KEY = '{key}'\n")
    proc = invoke("git", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    (finding,) = report["findings"]
    assert {k: finding[k] for k in PROVENANCE} == {
        "commit": first,
        "author": "Test Author <author@example.com>",
        "date": "2023-05-06T07:08:09+00:00",
        "path": "a.env",
        "line": 1,
        "occurrences": [
            {"commit": first, "path": "a.env", "line": 1, "column": 16},
            {"commit": second, "path": "b/c.py", "line": 2, "column": 19},
        ],
        "present_at_head": True,
        "refs": ["refs/heads/main"],
    }
    assert key not in proc.stdout  # redacted by default
    stats = report["stats"]
    assert stats["refs"] == {"HEAD": second, "refs/heads/main": second}
    assert stats["objects_scanned"] == 4 and stats["commits_scanned"] == 2


def test_text_report_and_progress_only_on_request(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.env", f"MINDEE_API_KEY={v2_key()}\n")
    proc = invoke("git", str(repo))
    assert proc.returncode == 1
    assert "a.env:1:16" in proc.stdout and "introduced in" in proc.stdout
    assert proc.stderr == ""  # not a terminal: no progress line
    forced = invoke("git", str(repo), "--progress")
    assert "scanning objects: " in forced.stderr and "MiB/s" in forced.stderr


def test_exit_codes(tmp_path: Path) -> None:
    empty = init_repo(tmp_path / "empty")
    proc = invoke("git", str(empty))
    assert proc.returncode == 0, proc.stderr
    assert "no commits" in proc.stdout
    clean = init_repo(tmp_path / "clean")
    commit_file(clean, "a.txt", "nothing to see\n")
    assert invoke("git", str(clean)).returncode == 0
    assert invoke("git", str(tmp_path / "nope")).returncode == 2
    not_repo = tmp_path / "plain"
    not_repo.mkdir()
    proc = invoke("git", str(not_repo))
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
    proc = invoke("git", str(clean), "--since", "no-such-rev")
    assert proc.returncode == 2 and "is not a commit" in proc.stderr


def test_repo_config_is_read_unless_ignored(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    (repo / ".mindee-scan.yaml").write_text("allowlist:\n  paths:\n    - fixtures/**\n")
    git(repo, "add", ".mindee-scan.yaml")
    commit_file(repo, "fixtures/k.env", f"MINDEE_API_KEY={v2_key()}\n")
    assert invoke("git", str(repo)).returncode == 0
    assert invoke("git", str(repo), "--ignore-repo-config").returncode == 1
