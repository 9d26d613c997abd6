"""action.yml's scan step, run as GitHub would run it (bash, env from the event) in a real clone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.gitutil import HERMETIC_ENV, commit_file, git, init_repo
from tests.keys import v2_key

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
ZERO = "0" * 40


def scan_step() -> dict[str, Any]:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    return step


def run_step(clone: Path, **env: str) -> subprocess.CompletedProcess[str]:
    step = scan_step()
    assert set(env) <= set(step["env"]), "the test may only set what the action maps from the event"
    base = {k: "" for k in step["env"]}
    full = {**os.environ, **HERMETIC_ENV, **base, "MS_SCAN": "changes", **env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    return subprocess.run(["bash", "-c", step["run"]], cwd=clone, env=full, capture_output=True, text=True)


def test_action_scans_what_a_push_or_pr_introduces(tmp_path: Path) -> None:
    origin = init_repo(tmp_path / "origin")
    old, new = v2_key(), v2_key()
    base = commit_file(origin, "old.env", f"MINDEE_API_KEY={old}\n")
    git(origin, "checkout", "-q", "-b", "feature")
    commit_file(origin, "work.txt", "clean\n")
    clean_tip = git(origin, "rev-parse", "HEAD")
    leaky_tip = commit_file(origin, "new.env", f"MINDEE_API_KEY={new}\n")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "feature")

    push = run_step(clone, MS_EVENT="push", MS_BEFORE=clean_tip, MS_SHA=leaky_tip, MS_REF="refs/heads/feature")
    assert push.returncode == 1, push.stdout + push.stderr
    assert "new.env:1:" in push.stdout and "old.env" not in push.stdout

    clean = run_step(clone, MS_EVENT="push", MS_BEFORE=base, MS_SHA=clean_tip, MS_REF="refs/heads/feature")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    pr = run_step(clone, MS_EVENT="pull_request", MS_BASE=base, MS_SHA=leaky_tip)
    assert pr.returncode == 1 and "new.env:1:" in pr.stdout and "old.env" not in pr.stdout

    # a new branch: only the commits no other remote branch has (main's old key is not this push's)
    new_branch = run_step(clone, MS_EVENT="push", MS_BEFORE=ZERO, MS_SHA=clean_tip, MS_REF="refs/heads/feature")
    assert new_branch.returncode == 0, new_branch.stdout + new_branch.stderr

    full = run_step(clone, MS_SCAN="full", MS_ARGS="--format json")
    assert full.returncode == 1 and '"findings"' in full.stdout
    assert old[:7] in full.stdout and new[:7] in full.stdout
