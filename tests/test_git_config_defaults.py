"""`baseline:` in the repository's .mindee-scan.yaml applies to history scans, unless the repo is untrusted."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run, run_json
from tests.gitutil import commit_file, init_repo
from tests.keys import detectable, v2_key


def test_config_baseline_applies_to_git_scans_but_not_with_ignore_repo_config(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    old, new = detectable(v2_key), detectable(v2_key)
    commit_file(repo, "a.py", f"A = '{old}'\n", "old key")
    baseline = tmp_path / "repo" / "known.json"
    proc = run("baseline", "create", "-o", str(baseline), "git", str(repo))
    assert proc.returncode == 0, proc.stderr
    commit_file(repo, ".mindee-scan.yaml", "baseline: known.json\nallowlist:\n  paths: [known.json]\n", "config")
    commit_file(repo, "known.json", baseline.read_text(), "baseline")
    commit_file(repo, "b.py", f"B = '{new}'\n", "new key")
    _, doc = run_json("git", str(repo), "--show-secrets")
    assert [f["secret"] for f in doc["findings"]] == [new]
    _, doc = run_json("git", str(repo), "--show-secrets", "--ignore-repo-config")
    assert sorted(f["secret"] for f in doc["findings"]) == sorted([old, new])
