"""One listing of a repository's refs, read two ways: as stored (the audit's "did it move") and peeled to
commits (where a history scan starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.sources.git.gitio import Git
from scanner.sources.git.refs import read_refs
from tests.testing.gitutil import commit_file, git, init_repo


def _as_stored(repo: Path) -> dict[str, str]:
    """git's own reading of every ref as stored, HEAD last: what an audit compares between runs."""
    out = {}
    for line in git(repo, "for-each-ref", "--format=%(objectname) %(refname)").splitlines():
        sha, _, name = line.partition(" ")
        out[name] = sha
    head = git(repo, "rev-parse", "--verify", "-q", "HEAD")
    if head:
        out["HEAD"] = head
    return out


def _many_kinds(tmp_path: Path) -> Path:
    """Branches, a light and annotated tags, a tag of a tag, a tag of a tree, a stash, a pull ref, a
    detached HEAD."""
    repo = init_repo(tmp_path / "r")
    first = commit_file(repo, "a.txt", "a\n")
    second = commit_file(repo, "b.txt", "b\n")
    git(repo, "branch", "side", first)
    git(repo, "tag", "light", first)
    git(repo, "tag", "-a", "-m", "annotated", "v1", second)
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "-m", "outer", "nested", "v1")
    git(repo, "tag", "-a", "-m", "of a tree", "tree-tag", f"{second}^{{tree}}")
    git(repo, "update-ref", "refs/pull/7/head", first)
    (repo / "b.txt").write_text("stashed\n")
    git(repo, "stash", "-q")
    git(repo, "checkout", "-q", "--detach", first)
    return repo


@pytest.mark.parametrize("packed", [False, True], ids=["loose-refs", "packed-refs"])
def test_both_readings_of_many_kinds_of_ref(tmp_path: Path, packed: bool) -> None:
    repo = _many_kinds(tmp_path)
    if packed:
        git(repo, "pack-refs", "--all")
    refs = read_refs(Git(str(repo)))
    assert refs.stored == _as_stored(repo)
    assert list(refs.stored) == list(_as_stored(repo))  # same order: the audit store keeps it
    peeled = {name: git(repo, "rev-parse", f"{sha}^{{}}") for name, sha in _as_stored(repo).items()}
    assert refs.tips == peeled
    assert refs.tips["refs/tags/nested"] == git(repo, "rev-parse", "v1^{commit}")  # fully peeled
    assert refs.tips["refs/tags/tree-tag"] == git(repo, "rev-parse", "tree-tag^{tree}")
    assert refs.tags == {
        name: _as_stored(repo)[name] for name in ("refs/tags/nested", "refs/tags/tree-tag", "refs/tags/v1")
    }
    assert refs.broken == []


def test_a_ref_at_a_missing_object_is_listed_as_stored_and_named_broken(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    head = commit_file(repo, "a.txt", "a\n")
    git(repo, "tag", "-a", "-m", "annotated", "v1")
    (repo / ".git" / "refs" / "heads" / "ghost").write_text("1234567890abcdef1234567890abcdef12345678\n")
    refs = read_refs(Git(str(repo)))
    assert refs.stored == _as_stored(repo)
    assert refs.stored["refs/heads/ghost"] == "1234567890abcdef1234567890abcdef12345678"
    assert refs.broken == ["refs/heads/ghost (1234567890ab)"]
    assert refs.tips == {"refs/heads/main": head, "refs/tags/v1": head, "HEAD": head}


def test_an_empty_repository_has_no_refs(tmp_path: Path) -> None:
    assert read_refs(Git(str(init_repo(tmp_path / "r")))) == ({}, {}, {}, [])
