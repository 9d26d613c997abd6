"""Baselines on real repositories edited with the git CLI: rebases, line moves, new keys, stale entries."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from scanner.model import fingerprint_for
from tests.testing.cli import invoke, invoke_json
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key, v2_long_key

RULE = "mindee-api-key"


def _settings(key: str, pad: int = 0) -> str:
    filler = "".join(f"OPTION_{i} = {i}\n" for i in range(pad))
    return f'"""Settings."""\n{filler}DEBUG = False\nMINDEE_API_KEY = "{key}"\nTIMEOUT = 30\n'


def _create(repo: Path, *scan: str) -> Path:
    bfile = repo / ".mindee-scan-baseline.json"
    proc = invoke("baseline", "create", "-o", str(bfile), *(scan or ("dir", str(repo))))
    assert proc.returncode == 0, proc.stderr
    return bfile


def test_baseline_survives_rebase_line_move_and_rename(tmp_path: Path) -> None:
    key = v2_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "app/settings.py", _settings(key), "add settings")
    bfile = _create(repo)
    git(repo, "add", bfile.name)
    git(repo, "commit", "-q", "-m", "baseline known findings")

    # A feature branch moves the key 25 lines down; main moves on; the branch is rebased onto main.
    git(repo, "switch", "-q", "-c", "feature")
    commit_file(repo, "app/settings.py", _settings(key, pad=25), "more options")
    git(repo, "switch", "-q", "main")
    commit_file(repo, "README.md", "# project\n", "readme")
    git(repo, "switch", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    assert (repo / "README.md").exists()
    git(repo, "mv", "app/settings.py", "app/config.py")
    git(repo, "commit", "-q", "-m", "rename")

    code, doc = invoke_json("dir", str(repo))
    assert code == 1 and doc["findings"][0]["line"] == 28 and doc["findings"][0]["path"] == "app/config.py"
    code, doc = invoke_json("dir", str(repo), "--baseline", str(bfile))
    assert code == 0, doc["findings"]
    assert doc["suppressed"] == 1


def test_new_key_on_a_baselined_line_is_reported(tmp_path: Path) -> None:
    old, new = v2_key(), v2_long_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "settings.py", _settings(old), "add settings")
    bfile = _create(repo)
    line = (repo / "settings.py").read_text().splitlines().index(f'MINDEE_API_KEY = "{old}"') + 1

    # Same file, same line number, same variable: only the key differs.
    commit_file(repo, "settings.py", _settings(new), "rotate key")
    code, doc = invoke_json("dir", str(repo), "--baseline", str(bfile))
    assert code == 1
    assert [(f["line"], f["fingerprint"]) for f in doc["findings"]] == [(line, fingerprint_for(RULE, new))]

    # Both keys on that line: the known one stays quiet, the new one is reported.
    commit_file(repo, "settings.py", f'KEYS = ["{old}", "{new}"]\n', "two keys")
    code, doc = invoke_json("dir", str(repo), "--baseline", str(bfile))
    assert code == 1
    assert [f["fingerprint"] for f in doc["findings"]] == [fingerprint_for(RULE, new)]
    assert doc["suppressed"] == 1


def test_update_reports_and_drops_stale_entries(tmp_path: Path) -> None:
    kept, gone = v2_key(), v2_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "a.py", _settings(kept), "a")
    commit_file(repo, "b.py", _settings(gone), "b")
    bfile = _create(repo)
    assert len(json.loads(bfile.read_text())["entries"]) == 2

    git(repo, "rm", "-q", "b.py")
    git(repo, "commit", "-q", "-m", "remove b")
    proc = invoke("baseline", "update", "-b", str(bfile))  # reuses the scan recorded in the baseline
    assert proc.returncode == 0, proc.stderr
    assert f"stale: {fingerprint_for(RULE, gone)} (last seen in b.py)" in proc.stdout
    assert "1 entry kept, 1 stale removed" in proc.stdout
    entries = json.loads(bfile.read_text())["entries"]
    assert [e["fingerprint"] for e in entries] == [fingerprint_for(RULE, kept)]

    # The dropped key is no longer accepted if it comes back.
    commit_file(repo, "b.py", _settings(gone), "b again")
    code, doc = invoke_json("dir", str(repo), "--baseline", str(bfile))
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["b.py"]


def test_update_adds_new_findings_only_when_asked(tmp_path: Path) -> None:
    first, second = v2_key(), v2_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "a.py", _settings(first), "a")
    bfile = _create(repo)
    commit_file(repo, "b.py", _settings(second), "b")

    proc = invoke("baseline", "update", "-b", str(bfile), "dir", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert f"new: {fingerprint_for(RULE, second)} in b.py" in proc.stdout
    assert len(json.loads(bfile.read_text())["entries"]) == 1

    proc = invoke("baseline", "update", "-b", str(bfile), "--add-new", "dir", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(bfile.read_text())["entries"]) == 2
    code, _ = invoke_json("dir", str(repo), "--baseline", str(bfile))
    assert code == 0


_HAS_GIT_SCAN = importlib.util.find_spec("scanner.cli.git_cmd") is not None


@pytest.mark.skipif(not _HAS_GIT_SCAN, reason="`mindee-scan git` (scanner/cli/git_cmd.py) is not in this checkout yet")
def test_history_baseline_survives_rebase_and_line_move(tmp_path: Path) -> None:
    key, new = v2_key(), v2_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "README.md", "# project\n", "readme")
    git(repo, "switch", "-q", "-c", "feature")
    commit_file(repo, "settings.py", _settings(key), "add key")
    commit_file(repo, "settings.py", _settings("os.environ['K']"), "remove key")
    bfile = tmp_path / "history-baseline.json"
    proc = invoke("baseline", "create", "-o", str(bfile), "git", str(repo))
    assert proc.returncode == 0, proc.stderr
    code, doc = invoke_json("git", str(repo), "--baseline", str(bfile))
    assert code == 0 and doc["suppressed"] == 1

    # main moves on, the branch is rebased (every commit id changes) and the key reappears lower down.
    git(repo, "switch", "-q", "main")
    commit_file(repo, "CHANGELOG.md", "v1\n", "changelog")
    git(repo, "switch", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    commit_file(repo, "moved.py", _settings(key, pad=12), "key moved to another file")
    code, doc = invoke_json("git", str(repo), "--baseline", str(bfile))
    assert code == 0, doc["findings"]

    commit_file(repo, "settings.py", _settings(new), "a new key")
    code, doc = invoke_json("git", str(repo), "--baseline", str(bfile))
    assert code == 1 and [f["fingerprint"] for f in doc["findings"]] == [fingerprint_for(RULE, new)]


@pytest.mark.skipif(not _HAS_GIT_SCAN, reason="`mindee-scan git` (scanner/cli/git_cmd.py) is not in this checkout yet")
def test_history_baseline_update_drops_keys_purged_from_history(tmp_path: Path) -> None:
    """After the only branch holding a key is deleted and pruned, `baseline update` reports it stale."""
    kept, purged = v2_key(), v2_key()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "a.py", _settings(kept), "kept key")
    git(repo, "switch", "-q", "-c", "experiment")
    commit_file(repo, "b.py", _settings(purged), "experimental key")
    git(repo, "switch", "-q", "main")
    bfile = tmp_path / "baseline.json"
    proc = invoke("baseline", "create", "-o", str(bfile), "git", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "2 entries" in proc.stdout

    git(repo, "branch", "-q", "-D", "experiment")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    proc = invoke("baseline", "update", "-b", str(bfile))
    assert proc.returncode == 0, proc.stderr
    assert f"stale: {fingerprint_for(RULE, purged)} (last seen in b.py)" in proc.stdout
    assert [e["fingerprint"] for e in json.loads(bfile.read_text())["entries"]] == [fingerprint_for(RULE, kept)]
