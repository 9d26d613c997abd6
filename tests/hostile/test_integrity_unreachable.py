"""A key in an object outside every branch's history: name what still reaches it (a pull-request ref, a
ref pointing at the blob, a reflog entry) or say it is unreachable, and advise revocation, never `gc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(120)


def _scan(repo: Path) -> tuple[dict[str, Any], str]:
    proc = run("git", str(repo), "--format", "json", "--show-secrets")
    assert proc.returncode == 1, proc.stderr
    text = run("git", str(repo))
    return json.loads(proc.stdout), proc.stdout + text.stdout + text.stderr


def _by_secret(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["secret"]: f for f in doc["findings"]}


def test_objects_outside_every_branch_name_what_reaches_them(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    pr_key, tag_key, reflog_key, lost_key = (v2_key() for _ in range(4))

    # a pull request's commit, fetched as refs/pull/1/head, its branch never in this clone
    git(repo, "checkout", "-q", "-b", "feature")
    pr_commit = commit_file(repo, "pr.env", f"MINDEE_V2_API_KEY={pr_key}\n", "pr")
    git(repo, "update-ref", "refs/pull/1/head", pr_commit)
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-q", "-D", "feature")
    # a tag pointing at a blob itself (no commit holds it)
    blob = git(repo, "hash-object", "-w", "--stdin", input=f"MINDEE_V2_API_KEY={tag_key}\n".encode())
    git(repo, "tag", "keyblob", blob)
    # an amended commit: only the reflog still names it
    amended = commit_file(repo, "oops.env", f"MINDEE_V2_API_KEY={reflog_key}\n", "oops")
    (repo / "oops.env").write_text("MINDEE_V2_API_KEY=${FROM_ENV}\n")
    git(repo, "commit", "-q", "-a", "--amend", "-m", "fixed")
    # a blob nothing names at all
    lost = git(repo, "hash-object", "-w", "--stdin", input=f"MINDEE_V2_API_KEY={lost_key}\n".encode())

    doc, everything = _scan(repo)
    found = _by_secret(doc)
    assert found[pr_key]["path"] == "pr.env" and found[pr_key]["commit"] == pr_commit
    assert found[pr_key]["refs"] == ["refs/pull/1/head"]
    assert found[tag_key]["refs"] == ["refs/tags/keyblob"] and "refs/tags/keyblob" in found[tag_key]["note"]
    assert found[reflog_key]["path"] == "oops.env" and found[reflog_key]["commit"] == amended
    assert "reflog" in found[reflog_key]["note"] and "revoke" in found[reflog_key]["note"]
    assert found[lost_key]["path"] == f"blob {lost}" and found[lost_key]["refs"] == []
    assert "unreachable" in found[lost_key]["note"] and "revoke the key first" in found[lost_key]["note"]
    assert any("revoke the key first" in n for n in doc["stats"]["notes"]), doc["stats"]["notes"]
    # never advice that deletes the evidence before the key is revoked
    assert "gc --prune=now" not in everything and "removes them" not in everything
