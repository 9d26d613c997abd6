"""The one fork pool: workers inherit what the scan built, and a pool that fails says so in the notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.config import Config
from tests.testing.keys import v2_key


def _tree(root: Path) -> Path:
    root.mkdir()
    for i in range(6):
        (root / f"f{i}.env").write_text(f"MINDEE_V2_API_KEY={v2_key()}\n")
    return root


def test_a_dir_scan_whose_workers_cannot_start_finishes_serially_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    tree = _tree(tmp_path / "t")
    expected = scan_paths(DirOptions(paths=(str(tree),), config=Config(), jobs=1))

    class NoWorkers:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoWorkers)
    result = scan_paths(DirOptions(paths=(str(tree),), config=Config(), jobs=2))
    assert [f.to_dict() for f in result.findings] == [f.to_dict() for f in expected.findings]
    assert result.stats.files_scanned == expected.stats.files_scanned == 6
    assert any(n.startswith("scan workers failed (") and "one process" in n for n in result.stats.notes)


def test_forked_workers_find_what_one_process_finds(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t")
    serial = scan_paths(DirOptions(paths=(str(tree),), config=Config(), jobs=1))
    forked = scan_paths(DirOptions(paths=(str(tree),), config=Config(), jobs=2))
    assert [f.to_dict() for f in forked.findings] == [f.to_dict() for f in serial.findings]
    assert forked.stats.notes == serial.stats.notes


def test_a_parallel_dir_scan_lists_skips_and_findings_as_a_serial_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process scans batches too while its workers are busy; what each batch found and skipped
    is merged in walk order all the same."""
    import scanner.app.dir as dir_scan

    monkeypatch.setattr(dir_scan, "_QUEUED_PER_WORKER", 1)  # this process takes every other batch or so
    tree = tmp_path / "t"
    tree.mkdir()
    for i in range(3000):
        text = "x" * 3000 if i % 97 == 0 else f"line {i}\n"  # over the size cap below: skipped
        (tree / f"f{i:04}.txt").write_text(text + (f"MINDEE_V2_API_KEY={v2_key()}\n" if i % 250 == 1 else ""))
    serial = scan_paths(DirOptions(paths=(str(tree),), config=Config(), max_file_size=2048, jobs=1))
    parallel = scan_paths(DirOptions(paths=(str(tree),), config=Config(), max_file_size=2048, jobs=2))
    assert parallel.stats.jobs == 2
    assert parallel.stats.skipped == serial.stats.skipped
    assert len(serial.stats.skipped) == 31
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]
    assert len(serial.findings) == 12
    assert parallel.stats.files_scanned == serial.stats.files_scanned == 3000 - 31
