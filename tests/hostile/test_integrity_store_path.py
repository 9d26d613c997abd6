"""`--db` touches only a file the tool created or one verified to be its store: never chmod first."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, init_repo

pytestmark = pytest.mark.timeout(120)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_db_pointing_at_something_else_is_refused_and_left_untouched(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "a.txt", "nothing here\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious notes\n")
    victim.chmod(0o644)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    foreign = tmp_path / "other-app.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    foreign.chmod(0o644)
    before = foreign.read_bytes()

    for cmd in (["findings", "list"], ["findings", "repos"], ["audit", str(repo), "-j", "1"]):
        for target in (victim, fifo, foreign):
            proc = run(*cmd, "--db", str(target), timeout=60)
            assert proc.returncode == 2, (cmd, target, proc.stdout, proc.stderr)
            assert "not a" in proc.stderr and "store" in proc.stderr, proc.stderr
            assert "Traceback" not in proc.stderr
    assert _mode(victim) == 0o644 and victim.read_text() == "precious notes\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and _mode(fifo) == 0o644
    assert _mode(foreign) == 0o644 and foreign.read_bytes() == before
    assert not list(tmp_path.glob("*-wal")) and not list(tmp_path.glob("*-shm"))


def test_store_is_created_private_and_reopened(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "a.txt", "nothing here\n")
    db = tmp_path / "new" / "store.db"
    for _ in range(2):  # created, then reopened as a verified store
        proc = run("audit", str(repo), "--db", str(db), "-j", "1")
        assert proc.returncode == 0, proc.stderr
        assert _mode(db) == 0o600
    listed = run("findings", "list", "--db", str(db))
    assert listed.returncode == 0 and "0 secret(s)" in listed.stdout
