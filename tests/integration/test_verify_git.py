"""Verification over git history: pushed keys, the history note, and hooks that never verify by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock

NO_PROXY_ENV = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "", "ALL_PROXY": ""}


@pytest.fixture
def pushed_then_deleted(tmp_path: Path) -> tuple[Path, str]:
    """A key committed, pushed to origin, then deleted from the file in a later local commit."""
    key = v2_key()
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "settings.py", f'MINDEE_V2_API_KEY = "{key}"\n', "add key")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    commit_file(repo, "settings.py", 'MINDEE_V2_API_KEY = os.environ["MINDEE_V2_API_KEY"]\n', "remove key")
    return repo, key


def test_git_history_verify_says_pushed_and_history_note(
    pushed_then_deleted: tuple[Path, str], mindee: MindeeMock
) -> None:
    repo, key = pushed_then_deleted
    mindee.live_v2(key, ["Invoices"])
    urls = ("--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url)
    proc = invoke("git", str(repo), "--verify", *urls, "--format", "json", env=NO_PROXY_ENV)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    [f] = [f for f in doc["findings"] if f["rule_id"].startswith("mindee-")]
    assert f["verification"]["verdict"] == "live"
    assert f["remediation"]["pushed"] is True
    [plan] = [p for p in doc["remediation"] if p["action"] == "revoke-now"]
    assert any("refs/remotes/origin/" in r for r in plan["pushed_refs"])
    assert "does not remove the key from git history" in plan["history_note"]
    proc = invoke("git", str(repo), "--verify", *urls, env=NO_PROXY_ENV)
    assert "REVOKE NOW" in proc.stdout and "PUSHED history" in proc.stdout
    assert "does not remove the key from git history" in proc.stdout
    assert len(mindee.requests) == 2  # one per run


def test_hooks_never_verify_by_default(tmp_path: Path, mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.live_v2(key, [])
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "README.md", "hello\n", "init")
    (repo / "app.py").write_text(f'MINDEE_V2_API_KEY = "{key}"\n')
    git(repo, "add", "app.py")
    env = {**NO_PROXY_ENV, "MINDEE_SCAN_V2_URL": mindee.v2_url, "MINDEE_SCAN_V1_URL": mindee.v1_url}
    proc = invoke("staged", cwd=repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the hook blocks the commit...
    assert mindee.requests == []  # ...without ever sending the key anywhere
    lean = subprocess.run(  # the pre-commit framework's entry point
        [sys.executable, "-m", "scanner.hookrun", "pre-commit", "app.py"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lean.returncode == 1, lean.stdout + lean.stderr
    assert mindee.requests == []
