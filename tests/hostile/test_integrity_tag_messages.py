"""Annotated tag messages are scanned like commit messages: a whole history, an incremental re-scan
(where a walk from peeled commits never meets the tag object) and an audit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from scanner.app.history import GitScanOptions, scan_repository
from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(120)


def test_a_key_in_an_annotated_tag_message_is_found(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    base = commit_file(repo, "a.txt", "a\n")
    tip = commit_file(repo, "b.txt", "b\n")
    key, nested = v2_key(), v2_key()
    git(repo, "tag", "-a", "v1.0", "-m", f"release notes\n\nMINDEE_V2_API_KEY={key}\n", tip)
    git(repo, "tag", "-a", "inner", "-m", f"MINDEE_V2_API_KEY={nested}\n", base)
    git(repo, "tag", "-a", "outer", "-m", "a tag of a tag", "inner")
    git(repo, "tag", "-d", "inner")  # reachable only through `outer`

    proc = run("git", str(repo), "--format", "json", "--show-secrets")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    found = {f["secret"]: f for f in doc["findings"]}
    assert set(found) == {key, nested}, found
    assert found[key]["path"] == "<tag message>" and found[key]["commit"] == tip
    assert "refs/tags/v1.0" in found[key]["refs"]

    incremental = scan_repository(GitScanOptions(repo=str(repo), exclude_revs=(base,)))
    assert key in {f.secret.reveal() for f in incremental.findings}
    assert nested in {f.secret.reveal() for f in incremental.findings}, "a nested tag is listed through its outer tag"


def test_an_incremental_audit_finds_a_key_in_a_new_tag(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    db = tmp_path / "store.db"
    first = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert first.returncode == 0, first.stderr
    key = v2_key()
    git(repo, "tag", "-a", "v2", "-m", f"MINDEE_V2_API_KEY={key}")
    second = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert second.returncode == 1, second.stderr
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM scans ORDER BY id")]
        paths = [r[0] for r in conn.execute("SELECT path FROM repo_secrets")]
    assert statuses == ["full", "incremental"] and paths == ["<tag message>"]
