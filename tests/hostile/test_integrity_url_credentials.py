"""A clone URL's `user:token@` is used to clone and fetch, and nowhere else: not printed, not logged, not in
the store (every byte of it), not in the mirror's config, not in any report."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(180)


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_clone_url_credentials_never_leave_the_clone(tmp_path: Path) -> None:
    token = "tok" + secrets.token_hex(12)
    work = init_repo(tmp_path / "work")
    commit_file(work, "k.env", f"MINDEE_V2_API_KEY={v2_key()}\n")
    bare = tmp_path / "served" / "app.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    url = f"file://deploy:{token}@localhost{bare}"
    gone = f"file://deploy:{token}@localhost{tmp_path / 'served' / 'gone.git'}"
    db, cache = tmp_path / "store" / "audit.db", tmp_path / "cache"

    outputs: list[str] = []
    for _ in range(2):  # a clone, then a fetch into the same mirror
        proc = run("audit", url, gone, "--db", str(db), "--cache-dir", str(cache), "-j", "1")
        assert proc.returncode == 2, proc.stderr  # `gone` failed: listed, without its token
        assert "deploy:" not in proc.stderr and f"file://localhost{bare}" in proc.stderr, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    for fmt in ("text", "json", "sarif", "html", "csv", "junit"):
        report = run("findings", "report", "--db", str(db), "--format", fmt)
        assert report.returncode == 0, report.stderr
        outputs += [report.stdout, report.stderr]
    listed = run("findings", "list", "--db", str(db))
    assert "1 secret(s)" in listed.stdout, listed.stdout
    outputs += [listed.stdout, run("findings", "repos", "--db", str(db), "--format", "json").stdout]
    for text in outputs:
        assert token not in text

    store_bytes = _all_bytes(db.parent)  # the database and any -wal/-shm beside it
    assert f"localhost{bare}".encode() in store_bytes, "the repository is recorded, by its bare URL"
    assert token.encode() not in store_bytes
    (mirror,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert token.encode() not in _all_bytes(mirror), "the mirror's config keeps the URL without its token"
    assert git(mirror, "config", "remote.origin.url") == f"file://localhost{bare}"
