"""The fast walker and reader behind `mindee-scan dir`: no stat per file, but nothing lost or looped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.config import Config
from scanner.model import ScanStats
from scanner.pathmatch import PathMatcher
from scanner.sources.files import FileItem, TooLarge, read_file, walk
from tests.testing.keys import v2_key


def _walk(*roots: Path, follow: bool = False, exclude: tuple[str, ...] = ()) -> tuple[list[str], ScanStats]:
    stats = ScanStats()
    items = list(walk([str(r) for r in roots], stats, PathMatcher(exclude), 1 << 20, follow))
    return [i.rel for i in items], stats


def test_walk_order_relative_paths_and_git_skipped(tmp_path: Path) -> None:
    for rel in ("b/z.txt", "b/a.txt", "a.txt", ".git/config", "c/.git", "c/d/e.txt"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    rels, stats = _walk(tmp_path, exclude=("c/d",))
    assert rels == ["a.txt", "b/a.txt", "b/z.txt"]
    assert ("c/d/", "excluded") in stats.skipped
    rels, _ = _walk(tmp_path / "b", tmp_path / "c")
    assert rels == ["b/a.txt", "b/z.txt", "c/d/e.txt"], "several roots: paths are prefixed by the root's name"


def test_symlink_loop_is_reported_when_following(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("x")
    os.symlink("..", tmp_path / "d" / "up")
    os.symlink("f.txt", tmp_path / "d" / "link.txt")
    rels, stats = _walk(tmp_path)
    assert rels == ["d/f.txt"]
    assert {r for _, r in stats.skipped} == {"symlink: not followed (use --follow-symlinks)"}
    rels, stats = _walk(tmp_path, follow=True)
    assert rels == ["d/f.txt", "d/link.txt"]
    assert ("d/up", "symlink loop") in stats.skipped


def test_special_files_are_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.txt").write_text("x")
    rels, stats = _walk(tmp_path)
    assert rels == ["a.txt"]
    assert ("pipe", "special file: not a regular file") in stats.skipped


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 300_000])
def test_read_file_sizes_and_cap(tmp_path: Path, size: int) -> None:
    p = tmp_path / "f.bin"
    data = os.urandom(size)
    p.write_bytes(data)
    for known in (-1, size):
        assert read_file(FileItem(str(p), "f.bin", known), 1 << 20) == data
    if size:
        with pytest.raises(TooLarge, match=f"too large: {size} bytes > {size - 1}"):
            read_file(FileItem(str(p), "f.bin", -1), size - 1)
    assert read_file(FileItem(str(p), "f.bin", -1), size) == data


def test_file_grown_since_the_walk_is_capped(tmp_path: Path) -> None:
    p = tmp_path / "grows.txt"
    p.write_bytes(b"a" * 200_000)
    with pytest.raises(TooLarge):
        read_file(FileItem(str(p), "grows.txt", 10), 100_000)  # the walk saw 10 bytes


def test_small_scans_stay_serial_and_big_ones_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.app.dir as dir_scan

    keys: list[str] = []
    while len(keys) < 300:
        key = v2_key()  # a key the detector keeps on its own: this test is about the walk and the workers
        (tmp_path / f"f{len(keys):03}.py").write_text(f"K = '{key}'\n")
        keys.append(key)
    small = scan_paths(DirOptions(paths=(str(tmp_path / "f000.py"),), config=Config()))
    assert small.stats.jobs == 1
    many_small = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config()))
    assert many_small.stats.jobs == 1, "300 tiny files: forking would cost more than it saves"
    forked = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config(), jobs=2))
    assert forked.stats.jobs == 2
    big = tmp_path / "big"
    big.mkdir()
    for i in range(3):
        (big / f"b{i}.txt").write_bytes(b"x = 1\n" * 400_000)
    cpus = len(os.sched_getaffinity(0))
    assert scan_paths(DirOptions(paths=(str(big),), config=Config())).stats.jobs == 1, "7 MB: serial"
    monkeypatch.setattr(dir_scan, "_SERIAL_MAX_BYTES", 4 * 1024 * 1024)
    assert scan_paths(DirOptions(paths=(str(big),), config=Config())).stats.jobs == cpus, "few but large"
    monkeypatch.setattr(dir_scan, "_SERIAL_MAX_FILES", 200)
    monkeypatch.setattr(dir_scan, "_WARM_UP_FILES", 50)  # these first, here; the rest in the workers
    many = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config()))
    assert many.stats.jobs == cpus, "more files than the look-ahead"
    for result in (many_small, forked, many):
        assert sorted(f.secret.reveal() for f in result.findings) == sorted(keys)
        assert result.stats.files_scanned == 300 + 3 * (result is many)


def test_chosen_jobs_fork_after_the_same_warm_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs N` forks whatever the tree's size, but only after this process has scanned the first files
    (the workers then inherit the detector's state built, instead of each building it again)."""
    import scanner.app.dir as dir_scan

    keys = [v2_key() for _ in range(120)]
    for i, key in enumerate(keys):
        (tmp_path / f"f{i:03}.py").write_text(f"K = '{key}'\n")
    monkeypatch.setattr(dir_scan, "_WARM_UP_FILES", 40)
    first_calls: list[int] = []
    scan_items = dir_scan._scan_items

    def spy(builder, items, max_size, stats, out):  # type: ignore[no-untyped-def]
        items = list(items)
        first_calls.append(len(items))
        return scan_items(builder, items, max_size, stats, out)

    monkeypatch.setattr(dir_scan, "_scan_items", spy)
    result = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config(), jobs=2))
    assert result.stats.jobs == 2
    assert first_calls[0] == 40, "the warm-up comes first, in this process, before any batch"
    assert sorted(f.secret.reveal() for f in result.findings) == sorted(keys)
    assert result.stats.files_scanned == 120
    few = tmp_path / "few"
    few.mkdir()
    (few / "a.py").write_text(f"K = '{keys[0]}'\n")
    first_calls.clear()
    small = scan_paths(DirOptions(paths=(str(few),), config=Config(), jobs=2))
    assert small.stats.jobs == 2, "fewer files than the warm-up: still the jobs asked for"
    assert [f.secret.reveal() for f in small.findings] == [keys[0]]


@pytest.mark.parametrize(
    "root",
    ["a", "a/b", "a/b/", "/", "//a", "a//b", ".", "./", "..", "a/..", "a/./b", "a/b/.", "../x", " s p/x y", ".hidden"],
)
def test_each_root_of_a_multi_root_scan_is_named_as_pathlib_names_it(root: str) -> None:
    from scanner.sources.files import _last_name

    assert _last_name(root) == Path(root).name
