"""The GitLab job's script (`python -m scanner.ci.gitlab`) with the variables GitLab sets, in a checkout
made from a bare "remote"; each case asserts the objects scanned, the exit code and the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.testing import paths
from tests.testing.ci_repos import checkout, objects, remote_and_dev
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git
from tests.testing.keys import v2_key

pytestmark = pytest.mark.slow  # each test runs the wrapper's real bash step on real pushes

ROOT = paths.ROOT
TEMPLATE = ROOT / "ci" / "gitlab" / "mindee-scan.gitlab-ci.yml"
SCHEMA = json.loads((ROOT / "tests" / "data" / "gitlab-secret-detection-report-format.json").read_text())
ZERO = "0" * 40


def job_variables() -> dict[str, str]:
    job = yaml.safe_load(TEMPLATE.read_text())["mindee-scan"]
    assert job["artifacts"]["reports"]["secret_detection"] == "gl-secret-detection-report.json"
    assert job["artifacts"]["when"] == "always"
    return {k: str(v) for k, v in job["variables"].items()}


def run_job(repo: Path, **ci: str) -> tuple[int, int | None, str]:
    env = {**os.environ, **HERMETIC_ENV, **job_variables(), **ci}
    proc = subprocess.run(
        [sys.executable, "-m", "scanner.ci.gitlab"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    log = proc.stdout + proc.stderr
    found = re.search(r"scanned (\d+) object\(s\)", log)
    return proc.returncode, int(found.group(1)) if found else None, log


def _report(repo: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((repo / "gl-secret-detection-report.json").read_text())
    jsonschema.Draft7Validator(SCHEMA).validate(doc)
    return doc


@pytest.fixture()
def project(tmp_path: Path) -> dict[str, Any]:
    remote, dev = remote_and_dev(tmp_path)
    commit_file(dev, "old.env", f"MINDEE_API_KEY={v2_key()}\n")
    base = commit_file(dev, "README", "hello\n")
    git(dev, "push", "-q", "origin", "main")
    git(dev, "checkout", "-q", "-b", "feature")
    commit_file(dev, "x.txt", "x\n")
    new = v2_key()
    head = commit_file(dev, "mr.env", f"MINDEE_API_KEY={new}\n")
    git(dev, "push", "-q", "origin", "feature")
    return {"remote": remote, "dev": dev, "base": base, "head": head, "new": new}


@pytest.mark.timeout(180)
def test_merge_request_push_and_schedule(tmp_path: Path, project: dict[str, Any]) -> None:
    remote, base, head = project["remote"], project["base"], project["head"]
    co = checkout(remote, tmp_path / "mr", "refs/heads/feature", head)
    code, scanned, log = run_job(
        co, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_SHA=head, CI_MERGE_REQUEST_DIFF_BASE_SHA=base
    )
    assert code == 1, log
    assert scanned == objects(co, head, f"^{base}") == 4, log
    assert "mr.env:1:" in log and "old.env" not in log, "findings are in the job log, not only in the report"
    report = _report(co)
    assert [v["location"]["file"] for v in report["vulnerabilities"]] == ["mr.env"]
    assert project["new"] not in (co / "gl-secret-detection-report.json").read_text() + log

    code, scanned, log = run_job(
        co, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA=head, CI_COMMIT_BEFORE_SHA=ZERO, CI_COMMIT_BRANCH="feature"
    )
    assert code == 1 and scanned == 4, log  # a new branch: only what main does not have

    code, scanned, log = run_job(co, CI_PIPELINE_SOURCE="schedule", CI_COMMIT_SHA=head, CI_COMMIT_BRANCH="feature")
    assert code == 1 and scanned == objects(co, "--all") == 8, log
    assert {v["location"]["file"] for v in _report(co)["vulnerabilities"]} == {"old.env", "mr.env"}


@pytest.mark.timeout(180)
def test_tag_pipeline_and_a_shallow_clone(tmp_path: Path, project: dict[str, Any]) -> None:
    remote, dev, base = project["remote"], project["dev"], project["base"]
    git(dev, "checkout", "-q", "main")
    git(dev, "tag", "-a", "-m", "v2", "v2", base)
    git(dev, "push", "-q", "origin", "v2")
    co = checkout(remote, tmp_path / "tag", "refs/tags/v2", base)
    code, scanned, log = run_job(co, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA=base, CI_COMMIT_TAG="v2")
    # The tagged commit is already on a pushed branch (feature): the tag adds no commit, and says so.
    assert code == 0 and scanned is None and "nothing to scan" in log and "no other branch or tag has (0)" in log

    shallow = checkout(remote, tmp_path / "shallow", "refs/heads/main", base, depth=1)
    code, scanned, log = run_job(shallow, CI_PIPELINE_SOURCE="schedule", CI_COMMIT_SHA=base)
    assert "was shallow" in log and code == 1, log
    # Every blob and commit of every ref, fetched; the annotated tag's own message may count as one more.
    tags = objects(shallow, "--all", kinds=("tag",))
    assert tags == 1 and scanned is not None and scanned - objects(shallow, "--all") in (0, tags), log
