"""A repository git cannot read is an error (exit 2), never "no commits yet", and never recorded by an
audit as scanned: the next audit scans it again once it is repaired."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(120)


def _packed_repo(path: Path, key: str) -> Path:
    repo = init_repo(path)
    commit_file(repo, "a.txt", "filler\n" * 50)
    commit_file(repo, "k.env", f"MINDEE_V2_API_KEY={key}\n")
    commit_file(repo, "b.txt", "more filler\n" * 50)
    git(repo, "gc", "-q")
    assert not list((repo / ".git" / "objects").glob("??/*")), "every object packed"
    return repo


def _pack(repo: Path) -> Path:
    (pack,) = (repo / ".git" / "objects" / "pack").glob("*.pack")
    return pack


def _scan(repo: Path) -> tuple[int, dict[str, Any], str]:
    proc = run("git", str(repo), "--format", "json")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def _scans(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status, error FROM scans ORDER BY id").fetchall()


def _tips(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT ref, sha FROM ref_tips ORDER BY ref").fetchall()


def test_missing_pack_index_is_an_error_and_never_recorded_as_scanned(tmp_path: Path) -> None:
    key = v2_key()
    repo = _packed_repo(tmp_path / "r", key)
    idx = _pack(repo).with_suffix(".idx")
    saved = tmp_path / "saved.idx"
    shutil.copy(idx, saved)
    idx.unlink()

    rc, doc, _ = _scan(repo)
    assert rc == 2, doc
    assert not any("no commits" in n for n in doc["stats"]["notes"]), doc["stats"]
    assert any(".idx" in e for e in doc["stats"]["errors"]), doc["stats"]

    db = tmp_path / "store.db"
    audit = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert audit.returncode == 2, audit.stderr
    assert "could not be scanned" in audit.stderr and str(repo) in audit.stderr
    assert [s for s, _ in _scans(db)] == ["error"]
    assert _tips(db) == [], "a repository that was not read has no recorded ref tips"

    shutil.copy(saved, idx)  # repaired: the next audit must scan it, not skip it as unchanged
    again = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert again.returncode == 1, again.stderr
    assert [s for s, _ in _scans(db)] == ["error", "full"]
    assert _tips(db), "ref tips recorded once the scan succeeded"


def test_truncated_pack_is_an_error_not_an_empty_repository(tmp_path: Path) -> None:
    repo = _packed_repo(tmp_path / "r", v2_key())
    pack = _pack(repo)
    pack.chmod(0o644)
    with open(pack, "r+b") as fh:
        fh.truncate(pack.stat().st_size // 2)
    rc, doc, _ = _scan(repo)
    assert rc == 2, doc
    assert doc["stats"]["errors"], doc["stats"]
    assert not any("no commits" in n for n in doc["stats"]["notes"]), doc["stats"]
    db = tmp_path / "store.db"
    audit = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert audit.returncode == 2, audit.stderr
    assert _tips(db) == []


def test_empty_repository_is_nothing_to_scan_in_git_and_audit(tmp_path: Path) -> None:
    """No commits yet is legitimately empty: said so, exit 0, recorded as `empty`, never as a scan."""
    repo = init_repo(tmp_path / "empty")
    rc, doc, _ = _scan(repo)
    assert rc == 0 and any("nothing to scan" in n for n in doc["stats"]["notes"]), doc
    db = tmp_path / "store.db"
    audit = run("audit", str(repo), "--db", str(db), "-j", "1")
    assert audit.returncode == 0, audit.stderr
    assert "nothing to scan" in audit.stderr
    assert [s for s, _ in _scans(db)] == ["empty"]


def test_audit_exits_2_and_lists_failures_when_any_repository_failed(tmp_path: Path) -> None:
    good = init_repo(tmp_path / "good")
    commit_file(good, "k.env", f"MINDEE_V2_API_KEY={v2_key()}\n")
    broken = init_repo(tmp_path / "broken")
    commit_file(broken, "a.txt", "a\n")
    shutil.rmtree(broken / ".git" / "objects")
    (broken / ".git" / "objects").mkdir()
    db = tmp_path / "store.db"
    proc = run("audit", str(good), str(broken), "--db", str(db), "-j", "1")
    assert proc.returncode == 2, proc.stderr
    assert "1 of 2 repositories could not be scanned" in proc.stderr
    assert f"failed: {broken}" in proc.stderr
    statuses = sorted(s for s, _ in _scans(db))
    assert statuses == ["error", "full"], statuses
