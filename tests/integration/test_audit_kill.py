"""An audit killed with SIGKILL half-way keeps every repository it recorded, and the re-run finishes
the rest: nothing lost, nothing duplicated, the same store as an audit that was never interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from scanner.audit.store import Store
from tests.testing.cli import cli_path, run
from tests.testing.fleet import scan_count, wait_for
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key

REPOS = 30


def _build(root: Path) -> Path:
    shared = v2_key()
    folder = root / "org"
    for i in range(REPOS):
        repo = init_repo(folder / f"repo-{i:02d}")
        for j in range(4):
            commit_file(repo, f"src/file{j}.py", f"# module {i}.{j}\n" + "x = 1\n" * 50, f"c{j}")
        commit_file(repo, "conf/.env", f"MINDEE_API_KEY={shared}\nOTHER={v2_key() if i % 3 == 0 else 'none'}\n")
    return folder


def _without_scans(db: Path) -> dict[str, object]:
    store = Store.open(str(db), create=False)
    try:
        return {k: v for k, v in store.snapshot().items() if k != "scans"}
    finally:
        store.close()


@pytest.mark.slow  # a fleet of repositories audited, killed and resumed
def test_sigkill_mid_audit_then_resume(tmp_path: Path) -> None:
    folder = _build(tmp_path)
    db = tmp_path / "killed.db"
    proc = subprocess.Popen(
        [*cli_path(), "audit", str(folder), "--db", str(db), "-j", "1", "--cache-dir", str(tmp_path / "c")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: scan_count(db) >= 3, timeout=60), "the audit never recorded anything"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the audit and every git process it started
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    recorded = scan_count(db)
    assert 3 <= recorded < REPOS, f"kill landed after {recorded} repositories: not mid-audit"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        half = conn.execute("SELECT COUNT(DISTINCT repo_id) FROM occurrences").fetchone()[0]
    finally:
        conn.close()
    assert half == recorded, "every recorded repository has its findings; no half-written one"

    resumed = run("audit", str(folder), "--db", str(db), "-j", "1", "--cache-dir", str(tmp_path / "c"))
    assert resumed.returncode == 1, resumed.stderr
    assert f"{recorded} unchanged" in resumed.stderr and f"{REPOS - recorded} full" in resumed.stderr

    clean = tmp_path / "clean.db"
    once = run("audit", str(folder), "--db", str(clean), "-j", "2", "--cache-dir", str(tmp_path / "c"))
    assert once.returncode == 1, once.stderr
    assert _without_scans(db) == _without_scans(clean)
    store = Store.open(str(db), create=False)
    try:
        full = store.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT repo_id) FROM scans WHERE status = 'full'"
        ).fetchone()
        shared = store.conn.execute("SELECT COUNT(*) FROM occurrences GROUP BY secret_id ORDER BY 1 DESC").fetchone()
    finally:
        store.close()
    assert full == (REPOS, REPOS), "each repository scanned in full exactly once across both runs"
    assert shared[0] == REPOS, "the shared key: one occurrence per repository, none duplicated"
