"""action.yml's scan step, run as GitHub runs it: bash, GitHub's variables, a real event JSON, in a
checkout made as actions/checkout makes it from a bare "remote". Each case asserts the objects scanned
and the exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.testing import paths
from tests.testing.ci_repos import checkout, objects, remote_and_dev
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git
from tests.testing.keys import v2_key

pytestmark = pytest.mark.slow  # each test runs the wrapper's real bash step on real pushes

ROOT = paths.ROOT
ZERO = "0" * 40


def scan_step() -> dict[str, Any]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    return step


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str], outputs: dict[str, str], summary: str) -> None:
        self.proc, self.outputs, self.summary = proc, outputs, summary
        self.code = proc.returncode
        self.log = proc.stdout + proc.stderr

    @property
    def objects(self) -> int:
        return int(self.outputs["objects-scanned"])

    def __repr__(self) -> str:
        return f"exit {self.code}\n{self.log}\n{self.outputs}"


def run_action(
    repo: Path,
    tmp_path: Path,
    event: str,
    payload: dict[str, Any],
    ref: str,
    sha: str,
    scan: str = "changes",
    args: str = "",
    base_ref: str = "",
) -> Run:
    """The step's own `run:` line with the variables GitHub sets (inputs arrive as the step maps them)."""
    step = scan_step()
    assert set(step["env"]) == {"MS_VENV", "INPUT_SCAN", "INPUT_ARGS"}
    work = tmp_path / f"gh-{len(list(tmp_path.glob('gh-*')))}"
    work.mkdir()
    (work / "event.json").write_text(json.dumps(payload))
    env = {
        **os.environ,
        **HERMETIC_ENV,
        "MS_VENV": str(Path(sys.executable).parent.parent),
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(work / "event.json"),
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_BASE_REF": base_ref,
        "GITHUB_OUTPUT": str(work / "output"),
        "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
        "INPUT_SCAN": scan,
        "INPUT_ARGS": args,
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    out = (work / "output").read_text() if (work / "output").exists() else ""
    outputs = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    summary = (work / "summary.md").read_text() if (work / "summary.md").exists() else ""
    return Run(proc, outputs, summary)


def key_line() -> tuple[str, str]:
    key = v2_key()
    return key, f"MINDEE_API_KEY={key}\n"


@pytest.fixture()
def pushed(tmp_path: Path) -> dict[str, Any]:
    """main (an old key, pushed long ago) and the commits of later pushes, all on a bare remote."""
    remote, dev = remote_and_dev(tmp_path)
    old, old_line = key_line()
    first = commit_file(dev, "old.env", old_line)
    base = commit_file(dev, "README", "hello\n")
    git(dev, "push", "-q", "origin", "main")
    return {"remote": remote, "dev": dev, "old": old, "first": first, "base": base}


@pytest.mark.timeout(120)
def test_push_scans_what_it_adds(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    commit_file(dev, "work.txt", "clean\n")
    new, new_line = key_line()
    tip = commit_file(dev, "new.env", new_line)
    git(dev, "push", "-q", "origin", "main")
    co = checkout(remote, tmp_path / "co", "refs/heads/main", tip)
    payload = {"ref": "refs/heads/main", "before": base, "after": tip, "created": False, "forced": False}
    run = run_action(co, tmp_path, "push", payload, "refs/heads/main", tip)
    assert run.code == 1, run
    assert run.objects == objects(co, tip, f"^{base}") == 4, run
    assert "new.env:1:" in run.log and "old.env" not in run.log
    assert run.outputs["findings"] == "1" and run.outputs["exit-code"] == "1"
    assert "::error file=new.env,line=1,title=mindee-scan%3A " in run.proc.stdout
    assert new not in run.log + run.summary and "new.env:1" in run.summary


@pytest.mark.timeout(120)
def test_new_branch_scans_only_commits_no_other_ref_has(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote = pushed["dev"], pushed["remote"]
    git(dev, "checkout", "-q", "-b", "feature")
    commit_file(dev, "a.txt", "a\n")
    tip = commit_file(dev, "b.txt", "b\n")
    git(dev, "push", "-q", "origin", "feature")
    co = checkout(remote, tmp_path / "co", "refs/heads/feature", tip)
    payload = {"ref": "refs/heads/feature", "before": ZERO, "after": tip, "created": True, "forced": False}
    run = run_action(co, tmp_path, "push", payload, "refs/heads/feature", tip)
    assert run.code == 0, run  # main's old key is not this push's
    assert run.objects == objects(co, tip, "^origin/main") == 4, run


@pytest.mark.timeout(120)
def test_forced_push_scans_the_rewritten_commits(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote = pushed["dev"], pushed["remote"]
    git(dev, "checkout", "-q", "-b", "feature")
    old_tip = commit_file(dev, "w.txt", "first try\n")
    git(dev, "push", "-q", "origin", "feature")
    git(dev, "reset", "-q", "--hard", "main")
    _, new_line = key_line()
    tip = commit_file(dev, "w.env", new_line, message="second try")
    git(dev, "push", "-q", "--force", "origin", "feature")
    co = checkout(remote, tmp_path / "co", "refs/heads/feature", tip)
    assert subprocess.run(["git", "-C", str(co), "cat-file", "-e", old_tip]).returncode != 0  # gone, as on GitHub
    payload = {"ref": "refs/heads/feature", "before": old_tip, "after": tip, "created": False, "forced": True}
    run = run_action(co, tmp_path, "push", payload, "refs/heads/feature", tip)
    assert run.code == 1, run
    assert run.objects == objects(co, tip, "^origin/main") == 2, run
    assert "w.env:1:" in run.log and "old.env" not in run.log


@pytest.mark.timeout(120)
def test_annotated_tag_push_does_not_exclude_itself(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote = pushed["dev"], pushed["remote"]
    git(dev, "checkout", "-q", "--detach")
    _, new_line = key_line()
    commit = commit_file(dev, "release.env", new_line, message="release build")
    git(dev, "tag", "-a", "-m", "release 1.0", "v1.0")
    tag_object = git(dev, "rev-parse", "v1.0")
    assert tag_object != commit
    git(dev, "push", "-q", "origin", "v1.0")
    co = checkout(remote, tmp_path / "co", "refs/tags/v1.0", commit)
    payload = {"ref": "refs/tags/v1.0", "before": ZERO, "after": tag_object, "created": True, "base_ref": None}
    run = run_action(co, tmp_path, "push", payload, "refs/tags/v1.0", commit)
    assert run.code == 1, run
    assert run.objects == objects(co, commit, "^origin/main") == 2, run
    assert "release.env:1:" in run.log


@pytest.mark.timeout(120)
def test_pull_request_scans_base_to_head(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    pr = _pull_request(dev, base)
    co = checkout(remote, tmp_path / "co", "refs/pull/7/merge", pr["merge"])
    run = run_action(co, tmp_path, "pull_request", pr["payload"], "refs/pull/7/merge", pr["merge"], base_ref="main")
    assert run.code == 1, run
    assert run.objects == objects(co, pr["head"], f"^{base}") == 4, run
    assert "pr.env:1:" in run.log and "old.env" not in run.log


@pytest.mark.timeout(120)
def test_shallow_pull_request_fetches_the_history_it_needs(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    pr = _pull_request(dev, base)
    co = checkout(remote, tmp_path / "co", "refs/pull/7/merge", pr["merge"], depth=1)  # checkout's default
    assert git(co, "rev-parse", "--is-shallow-repository") == "true"
    run = run_action(co, tmp_path, "pull_request", pr["payload"], "refs/pull/7/merge", pr["merge"], base_ref="main")
    assert run.code == 1, run
    assert "was shallow" in run.log
    assert run.objects == objects(co, pr["head"], f"^{base}") == 4, run

    # Without a way to fetch (the remote is gone), the message says exactly what to change.
    co2 = checkout(remote, tmp_path / "co2", "refs/pull/7/merge", pr["merge"], depth=1)
    git(co2, "remote", "set-url", "origin", (tmp_path / "nowhere.git").as_uri())
    failed = run_action(co2, tmp_path, "pull_request", pr["payload"], "refs/pull/7/merge", pr["merge"])
    assert failed.code == 2, failed
    assert "fetch-depth: 0" in failed.log and "::error" in failed.proc.stdout
    assert failed.outputs["exit-code"] == "2"


def _pull_request(dev: Path, base: str) -> dict[str, Any]:
    git(dev, "checkout", "-q", "-b", "feature")
    commit_file(dev, "x.txt", "x\n")
    _, line = key_line()
    head = commit_file(dev, "pr.env", line)
    git(dev, "push", "-q", "origin", "feature")
    git(dev, "checkout", "-q", "--detach", base)
    git(dev, "merge", "-q", "--no-ff", "-m", "Merge into main", head)
    merge = git(dev, "rev-parse", "HEAD")
    git(dev, "push", "-q", "origin", f"{merge}:refs/pull/7/merge")
    payload = {
        "action": "synchronize",
        "number": 7,
        "pull_request": {"head": {"sha": head, "ref": "feature"}, "base": {"sha": base, "ref": "main"}},
    }
    return {"head": head, "merge": merge, "payload": payload}


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("event", "payload"),
    [("schedule", {"schedule": "17 3 * * *"}), ("workflow_dispatch", {"ref": "refs/heads/main", "inputs": {}})],
)
def test_events_without_a_base_scan_the_whole_history(
    tmp_path: Path, pushed: dict[str, Any], event: str, payload: dict[str, Any]
) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    git(dev, "checkout", "-q", "-b", "feature")
    tip = commit_file(dev, "f.txt", "f\n")
    git(dev, "push", "-q", "origin", "feature")
    git(dev, "tag", "v0")
    git(dev, "push", "-q", "origin", "v0")
    co = checkout(remote, tmp_path / "co", "refs/heads/main", base)
    run = run_action(co, tmp_path, event, payload, "refs/heads/main", base)  # default `scan: changes`
    assert run.code == 1, run  # the old key on main is found: a nightly scan that scans nothing is gone
    assert run.objects == objects(co, "--all") == 6, run
    assert "whole history" in run.log and "old.env:1:" in run.log
    assert tip


@pytest.mark.timeout(120)
def test_zero_objects_fails_unless_the_change_set_is_empty(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    co = checkout(remote, tmp_path / "co", "refs/heads/main", base)
    deleted = {"ref": "refs/heads/gone", "before": base, "after": ZERO, "deleted": True}
    run = run_action(co, tmp_path, "push", deleted, "refs/heads/gone", ZERO)
    assert run.code == 0 and "nothing to scan" in run.log and run.outputs["objects-scanned"] == "0", run

    git(dev, "commit", "-q", "--allow-empty", "-m", "empty")
    tip = git(dev, "rev-parse", "HEAD")
    git(dev, "push", "-q", "origin", "main")
    co2 = checkout(remote, tmp_path / "co2", "refs/heads/main", tip)
    payload = {"ref": "refs/heads/main", "before": base, "after": tip}
    # One commit to scan, but with --no-messages nothing in it is read: that is not a pass.
    run = run_action(co2, tmp_path, "push", payload, "refs/heads/main", tip, args="--no-messages")
    assert run.code == 2, run
    assert "scanned 0 objects" in run.log and run.outputs["exit-code"] == "2"
    assert "scanned nothing" in run.proc.stdout  # the annotation


@pytest.mark.timeout(120)
def test_multi_line_quoted_args_and_a_report_file(tmp_path: Path, pushed: dict[str, Any]) -> None:
    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    new, line = key_line()
    tip = commit_file(dev, "new.env", line)
    git(dev, "push", "-q", "origin", "main")
    co = checkout(remote, tmp_path / "co", "refs/heads/main", tip)
    args = "--format sarif\n--output 'my report.sarif'   # for code scanning\n--no-progress\n"
    payload = {"ref": "refs/heads/main", "before": base, "after": tip}
    run = run_action(co, tmp_path, "push", payload, "refs/heads/main", tip, args=args)
    assert run.code == 1, run
    report = co / "my report.sarif"
    assert report.is_file() and json.loads(report.read_text())["runs"][0]["results"]
    assert "new.env:1:" in run.log, "the findings are in the log even when the report went to a file"
    assert run.outputs["report"] == "my report.sarif" and run.outputs["findings"] == "1"
    assert "::error file=new.env,line=1" in run.proc.stdout
    assert new not in run.log and new not in run.summary

    bad = run_action(co, tmp_path, "push", payload, "refs/heads/main", tip, args="--output 'unterminated")
    assert bad.code == 2 and "quote" in bad.log, bad


@pytest.mark.timeout(300)
def test_exclude_list_of_thousands_of_tags_is_one_git_call(tmp_path: Path, pushed: dict[str, Any]) -> None:
    """3,000 tags (GitHub's ansible has 45,000): the old bash loop re-copied its argument list per tag."""
    from scanner.ci.changes import Event, plan

    dev, remote, base = pushed["dev"], pushed["remote"], pushed["base"]
    lines = [f"create refs/tags/t{i} {pushed['first'] if i % 2 else base}" for i in range(3000)]
    git(dev, "update-ref", "--stdin", input=("\n".join(lines) + "\n").encode())
    git(dev, "checkout", "-q", "-b", "feature")
    tip = commit_file(dev, "f.txt", "f\n")
    git(dev, "push", "-q", "origin", "feature", "--tags")
    co = checkout(remote, tmp_path / "co", "refs/heads/feature", tip)
    chosen = plan(str(co), Event("push", tip=tip, base=ZERO, ref="refs/heads/feature"))
    assert chosen.commits == 1
    assert chosen.args == ("--branch", tip, "--exclude-rev", base)  # only the boundary, not 3,000 revisions
