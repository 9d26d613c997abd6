"""Auditing a GitHub organisation or a GitLab group: the repositories come from the forge's API (a loopback
fake with real pagination), are cloned over HTTP with the token as a header, and land in the same store,
incrementally. The token comes from the environment and is never printed, stored or put in a URL."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.audit.orgs import github_repos, gitlab_projects
from scanner.cli.main import main
from scanner.errors import ScanError
from tests.testing.forge_mock import Forge, files_containing
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[Forge]:
    token = "tok_" + secrets.token_hex(16)
    with Forge(token=token) as f:
        yield f


def _repo(tmp_path: Path, name: str, key: str | None) -> Path:
    repo = init_repo(tmp_path / "src" / name.replace("/", "_"))
    commit_file(repo, "README", f"{name}\n")
    if key:
        commit_file(repo, "app.env", f"MINDEE_API_KEY={key}\n")
    return repo


def _audit(forge: Forge, tmp_path: Path, *extra: str) -> int:
    return main(
        ["audit", "--db", str(tmp_path / "audit.db"), "--cache-dir", str(tmp_path / "cache"), "-j", "1",
         "--github-api", forge.url, "--gitlab-url", forge.url, *extra]
    )  # fmt: skip


def test_org_and_group_audit_through_the_api(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = {"acme/api": v2_key(), "grp/sub/worker": v2_key()}
    forge.github["acme"] = ["api", "web", "old-archived"]
    forge.gitlab["grp"] = ["tools", "sub/worker", "docs"]
    for owner, names in (("acme", forge.github["acme"]), ("grp", forge.gitlab["grp"])):
        for name in names:
            full = f"{owner}/{name}"
            forge.add_repo(owner, name, _repo(tmp_path, full, keys.get(full)))
    monkeypatch.setenv("GITHUB_TOKEN", forge.token)
    monkeypatch.setenv("GITLAB_TOKEN", forge.token)

    assert _audit(forge, tmp_path, "--github-org", "acme", "--gitlab-group", "grp") == 1
    captured = capsys.readouterr()
    assert "6 repositories listed" in captured.err
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        repos = sorted(r[0] for r in conn.execute("SELECT key FROM repositories"))
        statuses = [r[0] for r in conn.execute("SELECT status FROM scans")]
    assert repos == sorted(f"{forge.url}/git/{o}/{n}.git" for o in ("acme", "grp") for n in
                           (forge.github["acme"] if o == "acme" else forge.gitlab["grp"]))  # fmt: skip
    assert statuses == ["full"] * 6
    # both forges paginated the way they do
    pages = [path for path, _ in forge.requests if "page=2" in path]
    assert any(p.startswith("/orgs/acme/repos") for p in pages)
    assert any(p.startswith("/api/v4/groups/grp/projects") for p in pages)
    assert main(["findings", "list", "--db", str(tmp_path / "audit.db"), "-f", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    assert {f["repo"].split("/git/")[1] for f in found} == {"acme/api.git", "grp/sub/worker.git"}

    # Nowhere: not in the output, the store, the mirrors (their config), the clone URLs.
    token = forge.token.encode()
    assert forge.token not in captured.out + captured.err
    assert files_containing(tmp_path / "cache", token) == []
    assert token not in (tmp_path / "audit.db").read_bytes()
    assert all(forge.token not in path for path, _ in forge.requests)

    # Incremental: nothing moved, nothing rescanned; a new commit is scanned alone.
    new_key = v2_key()
    commit_file(tmp_path / "src" / "acme_web", "new.env", f"MINDEE_API_KEY={new_key}\n")
    forge.add_repo("acme", "web", tmp_path / "src" / "acme_web")
    assert _audit(forge, tmp_path, "--github-org", "acme", "--gitlab-group", "grp") == 1
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        latest = dict(conn.execute(
            "SELECT r.key, s.status FROM scans s JOIN repositories r ON r.id = s.repo_id"
            " WHERE s.id IN (SELECT MAX(id) FROM scans GROUP BY repo_id)").fetchall())  # fmt: skip
    assert latest.pop(f"{forge.url}/git/acme/web.git") == "incremental"
    assert set(latest.values()) == {"unchanged"}


def test_listing_needs_the_token_and_says_so(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forge.github["acme"] = ["api"]
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    assert _audit(forge, tmp_path, "--github-org", "acme") == 2
    assert "HTTP 401 (the token is missing, wrong or expired)" in capsys.readouterr().err
    monkeypatch.setenv("GH_TOKEN", "wrong-" + forge.token)
    assert _audit(forge, tmp_path, "--github-org", "acme") == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and forge.token not in err


def test_clone_urls_off_the_forge_are_refused(forge: Forge) -> None:
    forge.github["acme"] = ["api"]
    forge.gitlab["grp"] = ["tools"]
    forge.foreign_clone_url = True
    env = {"GITHUB_TOKEN": forge.token, "GITLAB_TOKEN": forge.token}
    with pytest.raises(ScanError, match="clone URL is not on"):
        github_repos("acme", forge.url, env)
    with pytest.raises(ScanError, match="clone URL is not on"):
        gitlab_projects("grp", forge.url, env)


def test_api_must_be_https_off_loopback() -> None:
    from scanner.errors import UsageError

    with pytest.raises(UsageError, match="https"):
        github_repos("acme", "http://api.example.com", {})
    with pytest.raises(UsageError, match="without credentials"):
        gitlab_projects("grp", "https://user:pw@gitlab.example.com", {})


def test_the_token_reaches_git_in_its_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.audit.gitops import _authorised, _remote_git
    from scanner.audit.orgs import CloneAuth

    token = "tok_" + secrets.token_hex(16)
    monkeypatch.setenv("GITLAB_TOKEN", token)
    auth = CloneAuth("https://gitlab.example.com/", "GITLAB_TOKEN", "oauth2")
    git = _authorised(_remote_git("."), "https://gitlab.example.com/grp/p.git", auth)
    assert token not in " ".join(git.argv(["clone", "--", "https://gitlab.example.com/grp/p.git", "x"]))
    assert git.env["GIT_CONFIG_KEY_0"] == "http.https://gitlab.example.com/.extraHeader"
    assert git.env["GIT_CONFIG_VALUE_0"].startswith("Authorization: Basic ")
    # another host never gets it
    other = _authorised(_remote_git("."), "https://elsewhere.example.com/p.git", auth)
    assert "GIT_CONFIG_VALUE_0" not in other.env
