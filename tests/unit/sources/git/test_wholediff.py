"""The whole-context diff rebuilds every staged text file byte for byte, or says it cannot."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from scanner.sources.git import wholediff
from scanner.sources.git.gitenv import HOOK_ENV, scrubbed_env
from scanner.sources.git.staged import read_staged, repo_info, staged_git
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.gitutil import stage_file as stage


def read(repo: Path) -> dict[str, bytes | None]:
    return {change.path: data for change, data in wholediff.staged_files(str(repo), scrubbed_env(HOOK_ENV))}


def full_reader(repo: Path) -> tuple[set[str], dict[str, bytes]]:
    """What the full staged reader sees: every path, and the blobs it scans."""
    g = staged_git(str(repo))
    staged = read_staged(g, repo_info(g), 1 << 30)
    return staged.paths, {f.change.path: f.data for f in staged.files}


def assert_same_as_full_reader(repo: Path) -> dict[str, bytes | None]:
    got = read(repo)
    paths, blobs = full_reader(repo)
    assert set(got) == paths
    assert {p: d for p, d in got.items() if d is not None} == blobs
    for path, data in blobs.items():
        blob = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", f":{path}"], capture_output=True)
        assert data == blob.stdout
    return got


@pytest.mark.timeout(120)
def test_edits_of_every_shape(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    base = b"".join(b"line %d\n" % i for i in range(60))
    for name in ("top", "middle", "end", "gone", "no-eol", "eol-back", "crlf", "emptied", "moved", "same"):
        commit_file(repo, f"{name}.txt", name.encode() * 40 + b"\n" + base)
    commit_file(repo, "noeol-old.txt", base.rstrip(b"\n"))
    stage(repo, "top.txt", b"new first\n" + base)
    stage(repo, "middle.txt", base.replace(b"line 30\n", b"line 30\nadded\n\n\\ not a marker\n+ plus\n- minus\n"))
    stage(repo, "end.txt", base + b"tail")
    git(repo, "rm", "-q", "gone.txt")
    stage(repo, "no-eol.txt", base.rstrip(b"\n"))
    stage(repo, "noeol-old.txt", base.rstrip(b"\n") + b"\nmore\n")
    stage(repo, "crlf.txt", base.replace(b"\n", b"\r\n"))
    stage(repo, "emptied.txt", b"")
    git(repo, "mv", "moved.txt", "renamed.txt")
    stage(repo, "renamed.txt", b"moved" * 40 + b"\n" + base.replace(b"line 59\n", b"line 59 changed\n"))
    git(repo, "mv", "same.txt", "same-renamed.txt")
    stage(repo, "new.txt", b"")
    stage(repo, 'dir/with space/été "q".txt', b"odd name\n")
    git(repo, "update-index", "--chmod=+x", "top.txt")
    got = assert_same_as_full_reader(repo)
    assert got["gone.txt"] is None and got["same-renamed.txt"] is None
    assert got["new.txt"] == b"" and got["emptied.txt"] == b""


@pytest.mark.timeout(120)
def test_random_edits(tmp_path: Path) -> None:
    rng = random.Random(18)
    repo = init_repo(tmp_path / "r")
    pieces = [b"a\n", b"b\n", b"\n", b"  x = 1\n", b"\r\n", b"+x\n", b"-y\n", b" z\n", b"@@ -1 +1 @@\n", b"tail"]
    for i in range(12):
        commit_file(repo, f"f{i}.txt", b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))))
    git(repo, "config", "diff.suppressBlankEmpty", "true")
    for _ in range(6):
        for i in range(12):
            if rng.random() < 0.7:
                stage(repo, f"f{i}.txt", b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))))
        assert_same_as_full_reader(repo)
        git(repo, "commit", "-q", "--allow-empty", "-m", "step")


@pytest.mark.timeout(120)
def test_what_it_cannot_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", b"a\n")
    stage(repo, "b.bin", b"\x00\x01\x02")
    with pytest.raises(wholediff.Undecided):
        read(repo)
    git(repo, "rm", "-q", "--cached", "b.bin")
    stage(repo, "many.txt", b"x\n" * 50)
    monkeypatch.setattr(wholediff, "HOLD_LINES", 49)  # the full reader would hold no more line numbers
    with pytest.raises(wholediff.Undecided):
        read(repo)
    monkeypatch.setattr(wholediff, "HOLD_LINES", 50)
    assert read(repo)["many.txt"] == b"x\n" * 50
    monkeypatch.setattr(wholediff, "HOLD_BYTES", 99)
    with pytest.raises(wholediff.Undecided):
        read(repo)


@pytest.mark.timeout(120)
def test_git_failing_is_undecided_and_git_is_waited_for(tmp_path: Path) -> None:
    with pytest.raises(wholediff.Undecided):
        read(tmp_path)  # not a repository: git exits 128
    repo = init_repo(tmp_path / "r")
    for i in range(200):
        stage(repo, f"f{i}.txt", b"y\n" * 100)
    stage(repo, "z.bin", b"\x00")
    files = wholediff.staged_files(str(repo), scrubbed_env(HOOK_ENV))
    next(files)
    files.close()  # left early: git is stopped and reaped, no zombie left behind
    assert "git" not in children()


def children() -> list[str]:
    """Names of this process's children, zombies included (they keep their /proc entry until reaped)."""
    out = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except (OSError, ValueError):
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if int(rest[1]) == os.getpid():
            out.append(name)
    return out
