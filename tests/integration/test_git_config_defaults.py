"""`baseline:` in the repository's .mindee-scan.yaml applies to history scans, unless the repo is untrusted."""

from __future__ import annotations

from pathlib import Path

from tests.testing.cli import invoke, invoke_json
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key


def test_config_baseline_applies_to_git_scans_but_not_with_ignore_repo_config(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    old, new = v2_key(), v2_key()
    commit_file(repo, "a.py", f"A = '{old}'\n", "old key")
    baseline = tmp_path / "repo" / "known.json"
    proc = invoke("baseline", "create", "-o", str(baseline), "git", str(repo))
    assert proc.returncode == 0, proc.stderr
    commit_file(repo, ".mindee-scan.yaml", "baseline: known.json\nallowlist:\n  paths: [known.json]\n", "config")
    commit_file(repo, "known.json", baseline.read_text(), "baseline")
    commit_file(repo, "b.py", f"B = '{new}'\n", "new key")
    _, doc = invoke_json("git", str(repo), "--show-secrets")
    assert [f["secret"] for f in doc["findings"]] == [new]
    _, doc = invoke_json("git", str(repo), "--show-secrets", "--ignore-repo-config")
    assert sorted(f["secret"] for f in doc["findings"]) == sorted([old, new])


def _repo_with_baselined_key(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose .mindee-scan.yaml names a baseline that holds one known (test fixture) key."""
    repo = init_repo(tmp_path / "repo")
    known = v2_key()
    fixture = tmp_path / "fixture.py"
    fixture.write_text(f"KNOWN = '{known}'\n")
    baseline = repo / "known.json"
    proc = invoke("baseline", "create", "-o", str(baseline), "dir", str(fixture))
    assert proc.returncode == 0, proc.stderr
    commit_file(repo, ".mindee-scan.yaml", "baseline: known.json\nallowlist:\n  paths: [known.json]\n", "config")
    commit_file(repo, "known.json", baseline.read_text(), "baseline")
    return repo, known


def test_config_baseline_applies_to_staged_scans_and_the_hook(tmp_path: Path) -> None:
    """The same fixture key copied into a new file is known; a new key next to it still blocks."""
    import subprocess
    import sys

    from tests.testing.gitutil import git

    repo, known = _repo_with_baselined_key(tmp_path)
    (repo / "tests_copy.py").write_text(f"KNOWN = '{known}'\n")
    git(repo, "add", "tests_copy.py")
    hook = [sys.executable, "-m", "scanner.hookrun", "pre-commit", "tests_copy.py"]
    for label, proc in (
        ("staged", invoke("staged", cwd=repo)),
        ("staged --format json", invoke("staged", "--format", "json", cwd=repo)),
        ("hook", subprocess.run(hook, cwd=repo, capture_output=True, text=True)),
    ):
        assert proc.returncode == 0, (label, proc.stdout, proc.stderr)
    new = v2_key()
    (repo / "tests_copy.py").write_text(f"KNOWN = '{known}'\nNEW = '{new}'\n")
    git(repo, "add", "tests_copy.py")
    proc = invoke("staged", "--show-secrets", cwd=repo)
    assert proc.returncode == 1 and new in proc.stdout and known not in proc.stdout, proc.stdout


def test_config_baseline_applies_to_pre_push(tmp_path: Path) -> None:
    from tests.testing.gitutil import git

    repo, known = _repo_with_baselined_key(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    commit_file(repo, "copy.py", f"KNOWN = '{known}'\n", "copy of the fixture")
    tip = git(repo, "rev-parse", "HEAD")
    stdin = f"refs/heads/main {tip} refs/heads/main {base}\n".encode()
    proc = invoke("pre-push", "origin", "url", cwd=repo, input=stdin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
