"""The whole-history walk names missing objects from the merges' combined diffs too: a blob only an evil
merge wrote, gone from the store, is still reported with its path (why that walk keeps diffing merges;
docs/git.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scanner.app.history import GitScanOptions, scan_repository
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo, stage_file
from tests.testing.keys import v2_key


@pytest.mark.timeout(60)
def test_a_missing_blob_only_a_merge_names_is_still_reported(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "k.env", f"KEY={key}\n")  # a finding, so the walk runs
    git(repo, "branch", "topic")
    for branch in ("topic", "main"):  # one empty commit on each side
        git(repo, "checkout", "-q", branch)
        git(repo, "commit", "-q", "--allow-empty", "-m", f"{branch} moves on")
    # An empty topic branch merged with a file neither side has: only the merge's combined diff names it.
    subprocess.run(
        ["git", "-C", str(repo), "merge", "-q", "--no-ff", "--no-commit", "topic"],
        env={**os.environ, **HERMETIC_ENV},
        check=True,
        capture_output=True,
    )
    stage_file(repo, "merge-only.txt", "only the evil merge wrote this\n")
    git(repo, "commit", "-q", "--no-edit", "-m", "evil merge")
    assert len(git(repo, "rev-list", "--no-walk", "--parents", "HEAD").split()) == 3
    lost = git(repo, "rev-parse", "HEAD:merge-only.txt")
    os.remove(repo / ".git" / "objects" / lost[:2] / lost[2:])
    result = scan_repository(GitScanOptions(repo=str(repo)))
    assert (f"merge-only.txt ({lost[:12]})", "missing object") in result.stats.skipped
    assert result.stats.errors
    assert [f.secret.reveal() for f in result.findings] == [key]
