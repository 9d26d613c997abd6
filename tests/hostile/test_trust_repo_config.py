"""The scanned repository is not the one in charge (issue 13, scanner.trust).

Its `.mindee-scan.yaml` and `.mindee-scan-ignore` may narrow what it reports only visibly, never turn on
symlink following, attach a verifier, or make us read a file outside it; a team's `--config` and
`--ignore-repo-config` leave them out entirely.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scanner.config import load_config
from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock

NO_PROXY_ENV = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "", "ALL_PROXY": ""}

_DISABLE = "rules:\n  disable: [mindee-api-key]\n"


def _tree(tmp_path: Path, config: str | None = None) -> tuple[Path, str]:
    tree = tmp_path / "repo"
    tree.mkdir()
    key = v2_key()
    (tree / "app.env").write_text(f"MINDEE_API_KEY={key}\n")
    if config is not None:
        (tree / ".mindee-scan.yaml").write_text(config)
    return tree, key


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "html", "junit"])
def test_repository_narrowing_is_shown_in_every_format(tmp_path: Path, fmt: str) -> None:
    tree, _ = _tree(tmp_path, _DISABLE + "allowlist:\n  paths: ['secrets/**']\nexclude: ['vendor']\n")
    proc = run("dir", str(tree), "--format", fmt)
    assert proc.returncode == 0, proc.stderr  # the repository may narrow its own report...
    out = proc.stdout
    # ...but every format says so, naming the file and what it did
    assert ".mindee-scan.yaml" in out
    assert "disables rule(s) mindee-api-key" in out
    assert "allowlists path(s) secrets/**" in out and "excludes path(s) vendor" in out
    if fmt == "json":
        effects = json.loads(out)["stats"]["repository_config"]["effects"]
        assert {e["setting"] for e in effects} == {"rules.disable", "allowlist.paths", "exclude"}
    if fmt == "sarif":
        props = json.loads(out)["runs"][0]["properties"]
        assert props["repositoryConfig"]["effects"][0]["value"] == ["mindee-api-key"]


@pytest.mark.timeout(120)
def test_repository_ignore_file_suppression_is_counted(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path)
    proc = run("dir", str(tree), "--format", "json")
    fingerprint = json.loads(proc.stdout)["findings"][0]["fingerprint"]
    (tree / ".mindee-scan-ignore").write_text(f'{fingerprint} reason="test"\n')
    proc = run("dir", str(tree), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    effects = stats["repository_config"]["effects"]
    assert [(os.path.basename(e["file"]), e["setting"], e["value"]) for e in effects] == [
        (".mindee-scan-ignore", "suppressed", 1)
    ]
    assert any(".mindee-scan-ignore: suppressed 1 finding(s)" in n for n in stats["notes"])


@pytest.mark.timeout(120)
def test_repository_config_cannot_turn_on_symlink_following(tmp_path: Path) -> None:
    outside = tmp_path / "runner-home"
    outside.mkdir()
    (outside / "credentials").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.txt").write_text("nothing here\n")
    os.symlink(outside, tree / "link")
    (tree / ".mindee-scan.yaml").write_text("follow_symlinks: true\n")
    proc = run("dir", str(tree), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the runner's file was not read
    doc = json.loads(proc.stdout)
    assert doc["findings"] == []
    assert any("follow_symlinks" in n and "refused" in n for n in doc["stats"]["notes"])
    # the user may still ask for it
    assert run("dir", str(tree), "--follow-symlinks").returncode == 1


_RULE_WITH_VERIFIER = """\
rules:
  add:
    - id: ci-token
      description: anything that looks like a CI token
      regex: '(?P<secret>tok_[a-z0-9]{16})'
      keywords: [tok_]
      verifier: mindee-v2
      examples:
        match: ['tok_q9w8e7r6t5y4u3i2']
"""


@pytest.mark.timeout(120)
def test_repository_rule_gets_no_verifier(tmp_path: Path, mindee: MindeeMock) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "ci.sh").write_text("TOKEN=" + "tok_" + "q1w2e3r4t5y6u7i8\n")  # split: this file passes our own scan
    (tree / ".mindee-scan.yaml").write_text(_RULE_WITH_VERIFIER)
    assert all(r.verifier is None for r in load_config(None, tree).extra_rules)
    proc = run("dir", str(tree), "--verify", "--mindee-v2-url", mindee.v2_url, "--format", "json", env=NO_PROXY_ENV)
    assert proc.returncode == 1, proc.stderr
    assert mindee.requests == []  # nothing the repository's rule matched went to Mindee
    notes = json.loads(proc.stdout)["stats"]["notes"]
    assert any("verifier mindee-v2 on its rule ci-token" in n for n in notes)
    # the team's config may attach one
    team = tmp_path / "team.yaml"
    team.write_text(_RULE_WITH_VERIFIER)
    assert load_config(str(team), tree).extra_rules[0].verifier == "mindee-v2"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("key", ["baseline", "ignore_file"])
@pytest.mark.parametrize("target", ["/dev/zero", "outside", "fifo"])
def test_repository_config_cannot_name_a_file_outside_or_special(tmp_path: Path, key: str, target: str) -> None:
    tree, _ = _tree(tmp_path)
    if target == "outside":
        (tmp_path / "outside").write_text("{}")
        name = "../outside"
    elif target == "fifo":
        os.mkfifo(tree / "pipe")
        name = "pipe"
    else:
        name = target
    (tree / ".mindee-scan.yaml").write_text(f"{key}: {name}\n")
    proc = run("dir", str(tree), timeout=50)
    assert proc.returncode == 2
    expected = "not a regular file" if target == "fifo" else "outside the scanned repository"
    assert expected in proc.stderr


@pytest.mark.timeout(120)
def test_ignore_repo_config_on_dir(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path, _DISABLE)
    assert run("dir", str(tree)).returncode == 0
    proc = run("dir", str(tree), "--ignore-repo-config", "--format", "json")
    assert proc.returncode == 1
    assert "repository_config" not in json.loads(proc.stdout)["stats"]


@pytest.mark.timeout(120)
def test_ignore_repo_config_on_staged(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, ".mindee-scan.yaml", _DISABLE)
    (repo / "app.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "app.env")
    assert run("staged", cwd=repo).returncode == 0
    assert run("staged", "--ignore-repo-config", cwd=repo).returncode == 1


@pytest.mark.timeout(120)
def test_team_config_wins_over_the_repository_ignore_file(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path)
    fingerprint = json.loads(run("dir", str(tree), "--format", "json").stdout)["findings"][0]["fingerprint"]
    (tree / ".mindee-scan-ignore").write_text(f'{fingerprint} reason="trust me"\n')
    (tree / ".mindee-scan.yaml").write_text(_DISABLE)
    assert run("dir", str(tree)).returncode == 0
    team = tmp_path / "team.yaml"
    team.write_text("exclude: ['node_modules']\n")
    proc = run("dir", str(tree), "--config", str(team), "--format", "json")
    assert proc.returncode == 1, proc.stderr  # neither the repository's config nor its ignore file applied
    assert json.loads(proc.stdout)["suppressed"] == 0


@pytest.mark.timeout(120)
def test_quiet_hook_stays_silent_on_a_clean_commit_with_a_repository_config(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, ".mindee-scan.yaml", "exclude: [vendor]\n")
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "add", "app.py")
    proc = run("pre-commit", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    # without -q the narrowing is listed
    assert "excludes path(s) vendor" in run("staged", cwd=repo).stdout
