"""The pre-commit fast path on what an attacker can stage: memory stays bounded by one file, a repository's
own config is still reported (the full path decides then), and git is never left behind."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import scanner.app.quickstaged as quickstaged
from scanner.sources.git.diffparse import STREAM_OVER
from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.gitutil import stage_file as stage


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINDEE_SCAN_CACHE_DIR", str(tmp_path / "cache"))
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "README.md", "hello\n")
    monkeypatch.chdir(repo)
    return repo


def peak_of_clean_commit(quiet: bool = True) -> tuple[int | None, int]:
    quickstaged.clean_commit([], quiet)  # warm: the database is built and cached outside the measure
    tracemalloc.start()
    try:
        code = quickstaged.clean_commit([], quiet)
        return code, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"x" * (STREAM_OVER - 1), id="one-two-megabyte-line"),
        pytest.param(b"\n" * 300_000, id="many-empty-lines"),
        pytest.param(b"a = 1\n" * 50_000, id="many-short-lines"),
    ],
)
def test_memory_is_one_file_whatever_its_lines(repo: Path, content: bytes) -> None:
    stage(repo, "big0.txt", content)
    code, one = peak_of_clean_commit()
    assert code == 0
    for i in range(1, 3):
        stage(repo, f"big{i}.txt", content)
    code, three = peak_of_clean_commit()
    assert code == 0
    assert three < one * 1.25 + 256 * 1024, f"3 files held {three} bytes, 1 file {one}"
    assert three < 5 * len(content) + 1024 * 1024


@pytest.mark.timeout(300)
def test_more_added_lines_than_the_full_reader_holds(repo: Path) -> None:
    stage(repo, "lines.txt", b"\n" * (STREAM_OVER - 1))  # two million lines: the full reader streams it
    code, peak = peak_of_clean_commit()
    assert code is None
    assert peak < 5 * STREAM_OVER
    assert invoke("pre-commit").returncode == 0


@pytest.mark.timeout(300)
def test_many_files_hold_no_more_than_one(repo: Path) -> None:
    for i in range(1500):
        (repo / f"f{i:04}.txt").write_bytes(b"line\n" * 20)
    git(repo, "add", ".")
    code, peak = peak_of_clean_commit()
    assert code == 0
    assert peak < 2 * 1024 * 1024  # the paths, not the contents


@pytest.mark.timeout(300)
def test_bigger_than_streamed_files_and_dense_hits_go_to_the_full_path(repo: Path) -> None:
    stage(repo, "huge.txt", b"y\n" * STREAM_OVER)
    assert quickstaged.clean_commit([], True) is None
    git(repo, "rm", "-q", "--cached", "huge.txt")
    stage(repo, "dense.txt", b"md_" * (STREAM_OVER // 3))
    assert quickstaged.clean_commit([], True) is None
    full = invoke("pre-commit")
    assert full.returncode == 0, full.stderr


@pytest.mark.timeout(120)
def test_untrusted_repository_config_is_still_reported(repo: Path) -> None:
    commit_file(repo, ".mindee-scan.yaml", "exclude: ['vendor/**']\n")
    stage(repo, "a.py", b"x = 1\n")
    assert quickstaged.clean_commit([], False) is None
    out = invoke("staged")
    assert out.returncode == 0
    assert "narrowed by the scanned repository's own config" in out.stdout
    assert "excludes path(s) vendor/**" in out.stdout
