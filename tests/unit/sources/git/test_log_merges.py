"""The provenance walk without the merges' combined diffs (`HistoryLog(merges=False)`, issue 18): the
same introductions, commit metas and commit graph as the one walk that diffs merges too, on real
repositories with merges, evil merges, conflict resolutions, octopus merges, mode changes, several
roots and tips, gitlinks and reflog-only commits; and a whole-history scan, which reports missing
objects, still diffs merges."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.app.history import GitScanOptions, scan_repository
from scanner.model import ScanResult
from scanner.sources.git.gitio import Git
from scanner.sources.git.log import HistoryLog, Introduction
from scanner.sources.git.objects import CommitMeta
from tests.testing.gitutil import HERMETIC_ENV, commit_file, git, init_repo, stage_file, write_file
from tests.testing.keys import v2_key

Walk = tuple[list[Introduction], dict[str, CommitMeta], dict[str, str]]


def _commit(repo: Path, message: str, date: str | None = None) -> str:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    git(repo, "commit", "-q", "--allow-empty", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD")


def _merge(repo: Path, *branches: str, edit: Callable[[], None] | None = None, date: str | None = None) -> str:
    """A merge of `branches` into the current branch; `edit` changes the index before it is committed
    (an evil merge, or the resolution of a conflict)."""
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
    # A conflict makes `git merge` fail: `edit` resolves it, then the merge is committed.
    subprocess.run(
        ["git", "-C", str(repo), "merge", "-q", "--no-ff", "--no-commit", "--allow-unrelated-histories", *branches],
        env={**os.environ, **HERMETIC_ENV, **env},
        capture_output=True,
    )
    if edit is not None:
        edit()
    git(repo, "commit", "-q", "--no-edit", "-m", f"merge {' '.join(branches)}", env={**env, "GIT_AUTHOR_NAME": "M"})
    return git(repo, "rev-parse", "HEAD")


_MERGE_ONLY = "only the evil merge wrote this\n"


def _make_executable(repo: Path, rel: str) -> None:
    os.chmod(repo / rel, 0o755)
    git(repo, "add", rel)


def _history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with every shape the walk meets; the keys it holds by role."""
    repo = init_repo(tmp_path / "r")
    keys = {name: v2_key() for name in ("plain", "evil", "conflict", "octopus", "copied", "mode", "orphan", "side")}
    commit_file(repo, "README.md", "hello\n")
    commit_file(repo, "conf/a.env", f"KEY={keys['plain']}\n", date="2024-01-02T00:00:00+00:00")
    # A branch that adds a file, and main that moves on: an evil merge adds a key neither side has, and
    # writes at a second path a blob an ordinary commit introduced elsewhere (credited to that commit).
    git(repo, "checkout", "-q", "-b", "topic")
    commit_file(repo, "topic.txt", "topic\n")
    commit_file(repo, "shared.txt", "same content\n")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "main.txt", "main\n")

    def evil() -> None:
        stage_file(repo, "evil.env", f"KEY={keys['evil']}\n")
        stage_file(repo, "elsewhere/shared.txt", "same content\n")
        stage_file(repo, "merge-only.txt", _MERGE_ONLY)

    _merge(repo, "topic", edit=evil)
    # A conflict, resolved with content neither side had.
    git(repo, "checkout", "-q", "-b", "left")
    commit_file(repo, "c.txt", "left\n")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "c.txt", "right\n")
    _merge(repo, "left", edit=lambda: stage_file(repo, "c.txt", f"resolved KEY={keys['conflict']}\n"))
    # An octopus merge of three branches, one of them adding a mode change, with an edit of its own.
    for i in range(3):
        git(repo, "checkout", "-q", "-b", f"o{i}", "main")
        commit_file(repo, f"o{i}.txt", f"octo {i}\n", date=f"2024-01-0{3 + i}T00:00:00+00:00")
    git(repo, "checkout", "-q", "o2")
    _make_executable(repo, "o2.txt")
    _commit(repo, "make it executable")
    git(repo, "checkout", "-q", "main")
    _merge(repo, "o0", "o1", "o2", edit=lambda: stage_file(repo, "octo.env", f"KEY={keys['octopus']}\n"))
    # The same key copied in a plain commit after a merge introduced it (the merge is not credited).
    commit_file(repo, "copy/evil.env", f"KEY={keys['evil']}\n")
    # A mode-only change of a file holding a key; a symlink; a gitlink (not a blob).
    commit_file(repo, "run.sh", f"KEY={keys['mode']}\n")
    _make_executable(repo, "run.sh")
    _commit(repo, "executable")
    os.symlink("run.sh", repo / "link")
    git(repo, "add", "link")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/sub")
    _commit(repo, "symlink and submodule")
    # A deleted then re-added key (introduced twice), and a file that becomes a folder.
    git(repo, "rm", "-q", "conf/a.env")
    _commit(repo, "remove")
    commit_file(repo, "conf/a.env", f"KEY={keys['plain']}\n")
    commit_file(repo, "copied.env", f"KEY={keys['copied']}\n")
    # A second root (an orphan branch) and a tip no other branch reaches.
    git(repo, "checkout", "-q", "--orphan", "orphan")
    git(repo, "rm", "-q", "-rf", ".")
    commit_file(repo, "o.env", f"KEY={keys['orphan']}\n")
    commit_file(repo, "copied.env", f"KEY={keys['copied']}\n")
    git(repo, "checkout", "-q", "-b", "side", "main")
    commit_file(repo, "side.env", f"KEY={keys['side']}\n", date="2023-12-31T00:00:00+00:00")
    # A merge of the orphan history: brings a whole other root along.
    git(repo, "checkout", "-q", "main")
    _merge(repo, "orphan", edit=lambda: write_file(repo, "unused.txt", "not staged\n"))
    return repo, keys


def _all_blobs(repo: Path) -> set[str]:
    out = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)")
    return {line.split()[1] for line in out.splitlines() if line.startswith("blob ")}


def _walk(
    repo: Path, revs: list[str], exclude: list[str], blobs: set[str], merges: bool
) -> tuple[Walk, dict[str, str]]:
    graph: dict[str, str] = {}
    log = HistoryLog(Git(str(repo)), revs, exclude, merges=merges)
    return log.introductions(blobs, None, graph), graph


def _same_walk(repo: Path, revs: list[str], exclude: list[str], blobs: set[str]) -> list[Introduction]:
    """The two-step walk gives exactly what the one walk with merges gave: introductions in the same
    order, the same author and date for each, the same graph."""
    (old, old_metas, old_absent), old_graph = _walk(repo, revs, exclude, blobs, merges=True)
    (new, new_metas, new_absent), new_graph = _walk(repo, revs, exclude, blobs, merges=False)
    assert new == old
    assert {i.commit: new_metas[i.commit] for i in new} == {i.commit: old_metas[i.commit] for i in old}
    assert list(new_graph.items()) == list(old_graph.items())
    assert new_absent == old_absent == {}
    return new


def _tips(repo: Path) -> list[str]:
    return sorted(set(git(repo, "for-each-ref", "--format=%(objectname)").split()))


@pytest.mark.timeout(120)
def test_the_walk_without_merge_diffs_gives_the_same_introductions(tmp_path: Path) -> None:
    repo, _ = _history(tmp_path)
    blobs = _all_blobs(repo)
    tips = _tips(repo)
    found = _same_walk(repo, tips, [], blobs)
    merges = set(git(repo, "rev-list", "--merges", "--all").split())
    assert merges & {i.commit for i in found}, "the evil and conflict merges are credited"
    # Every blob alone, and limited walks: one branch, a range (an exclusion), a tip alone.
    for blob in sorted(blobs):
        _same_walk(repo, tips, [], {blob})
    main = git(repo, "rev-parse", "main")
    _same_walk(repo, [main], [], blobs)
    _same_walk(repo, [main], [git(repo, "rev-parse", "topic")], blobs)
    _same_walk(repo, [git(repo, "rev-parse", "side")], [git(repo, "rev-parse", "main~3")], blobs)
    _same_walk(repo, [git(repo, "rev-parse", "orphan")], [], blobs)


@pytest.mark.timeout(60)
def test_merges_are_walked_only_when_a_wanted_blob_needs_them(tmp_path: Path) -> None:
    repo, _ = _history(tmp_path)
    tips = _tips(repo)
    plain = git(repo, "rev-parse", "main:conf/a.env")
    evil_only = git(repo, "rev-parse", "main:octo.env")  # only the octopus merge wrote it
    log = HistoryLog(Git(str(repo)), tips, [], merges=False)
    intros, _, _ = log.introductions({plain})
    assert not log.merges_walked and len(intros) == 2  # added twice, by ordinary commits
    log = HistoryLog(Git(str(repo)), tips, [], merges=False)
    intros, metas, _ = log.introductions({plain, evil_only})
    assert log.merges_walked
    octopus = [i for i in intros if i.blob == evil_only]
    assert [i.path for i in octopus] == ["octo.env"]
    assert len(git(repo, "rev-list", "--no-walk", "--parents", octopus[0].commit).split()) == 5
    assert metas[octopus[0].commit].author == "M <author@example.com>"


def test_a_walk_without_merge_diffs_takes_no_known_objects(tmp_path: Path) -> None:
    """Missing objects a merge alone names would be left out: such a walk refuses to name any."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    log = HistoryLog(Git(str(repo)), [git(repo, "rev-parse", "HEAD")], [], merges=False)
    with pytest.raises(ValueError, match="merges"):
        log.introductions(set(), known=[])


def _scan(repo: Path, **kwargs: Any) -> ScanResult:
    return scan_repository(GitScanOptions(repo=str(repo), **kwargs))


def _report(result: ScanResult) -> tuple[Any, ...]:
    return (
        [f.to_dict() for f in result.findings],
        sorted(result.stats.skipped),
        result.stats.errors,
        result.stats.notes,
    )


@pytest.mark.timeout(180)
def test_scans_report_what_they_reported_with_one_walk_diffing_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kind of scan, against the same scan whose walks all diff merges (the walk before issue 18's
    second round): whole history, a branch, revisions, a range, --since, and a reflog-only commit."""
    repo, keys = _history(tmp_path)
    # A commit only the reflog names (amended away), holding a key no ref's history has.
    commit_file(repo, "amended.env", f"KEY={v2_key()}\n")
    git(repo, "commit", "-q", "--amend", "-m", "amended")
    git(repo, "rm", "-q", "amended.env")
    git(repo, "commit", "-q", "--amend", "--allow-empty", "-m", "amended again")
    import scanner.app.provenance as provenance

    real = provenance.HistoryLog
    kinds: list[dict[str, Any]] = [
        {},
        {"branch": "main"},
        {"branch": "side"},
        {"revs": (git(repo, "rev-parse", "orphan"), git(repo, "rev-parse", "side"))},
        {"range": "topic..main"},
        {"since": "main~4"},
        {"branch": "main", "jobs": 2},
    ]
    walked: list[bool] = []

    def two_step(*args: Any, merges: bool = True) -> HistoryLog:
        walk = real(*args, merges=merges)
        walked.append(merges)
        return walk

    for kind in kinds:
        monkeypatch.setattr(provenance, "HistoryLog", lambda *args, merges=True: real(*args, merges=True))
        before = _scan(repo, **kind)
        monkeypatch.setattr(provenance, "HistoryLog", two_step)
        after = _scan(repo, **kind)
        assert _report(after) == _report(before), kind
        assert before.findings
    assert False in walked and True in walked  # limited scans and the reflog: two steps; the whole: one walk
    whole = _scan(repo)
    assert set(keys.values()) <= {f.secret.reveal() for f in whole.findings}
    reflog = [f for f in whole.findings if "reflog" in f.rule.note]
    assert reflog and reflog[0].history.commit


def _drop_loose(repo: Path, sha: str) -> None:
    os.remove(repo / ".git" / "objects" / sha[:2] / sha[2:])


@pytest.mark.timeout(60)
def test_a_missing_blob_only_a_merge_names_is_still_reported(tmp_path: Path) -> None:
    """A whole-history scan reports blobs the store lacks with a path: one an evil merge alone wrote
    is named by the merge's combined diff only, so that walk still diffs merges."""
    repo, _ = _history(tmp_path)
    lost = git(repo, "hash-object", "--stdin", input=_MERGE_ONLY.encode())
    _drop_loose(repo, lost)
    result = _scan(repo)
    assert (f"merge-only.txt ({lost[:12]})", "missing object") in result.stats.skipped
    assert result.stats.errors and result.findings
