"""`app.run`: one way in; each request drives its own source."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scanner.app.request import DirOptions, StdinRequest
from scanner.app.run import run
from scanner.config import Config
from tests.testing.keys import v2_key


def test_a_dir_request_and_a_stdin_request_find_the_same_key(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "a.env").write_text(f"MINDEE_V2_API_KEY={key}\n")
    on_disk = run(DirOptions(paths=(str(tmp_path),), config=Config(), jobs=1))
    piped = run(StdinRequest(io.BytesIO(f"MINDEE_V2_API_KEY={key}\n".encode()), Config()))
    assert [f.secret.hash for f in on_disk.findings] == [f.secret.hash for f in piped.findings]
    assert on_disk.source == "dir" and piped.findings[0].where.path == "<stdin>"


def test_anything_else_is_not_a_request() -> None:
    with pytest.raises(TypeError):
        run("dir .")  # type: ignore[arg-type]


def test_a_staged_request_reports_what_the_commit_adds_in_the_files_named(tmp_path: Path) -> None:
    from scanner.app.request import StagedRequest
    from scanner.sources.git.staged import repo_info, staged_git
    from tests.testing.gitutil import commit_file, git, init_repo

    repo = init_repo(tmp_path / "repo")
    old, new, other = v2_key(), v2_key(), v2_key()
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={old}\n", message="old key")
    (repo / "a.env").write_text(f"MINDEE_V2_API_KEY={old}\nMINDEE_KEY_2={new}\n")
    (repo / "b.env").write_text(f"MINDEE_V2_API_KEY={other}\n")
    git(repo, "add", "a.env", "b.env")
    g = staged_git(str(repo))
    info = repo_info(g)
    every = run(StagedRequest(g, info, Config()))
    assert sorted(f.secret.reveal() for f in every.findings) == sorted([new, other])  # not the committed one
    named = run(StagedRequest(g, info, Config(), files=(str(repo / "a.env"),)))
    assert [(f.where.path, f.secret.reveal()) for f in named.findings] == [("a.env", new)]
