"""A history scan reports its progress through a callback: the application counts, the CLI draws."""

from __future__ import annotations

from pathlib import Path

from scanner.app.history import GitScanOptions, scan_repository
from scanner.app.progress import ObjectProgress
from tests.testing.gitutil import commit_file, init_repo


def test_a_history_scan_reports_progress_to_its_callback_and_ends_with_a_final_report(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    for i in range(3):
        commit_file(repo, f"f{i}.txt", f"line {i}\n" * 50)
    seen: list[ObjectProgress] = []
    result = scan_repository(GitScanOptions(repo=str(repo), jobs=1, on_progress=seen.append))
    assert seen, "at least the first and the final report"
    assert seen[-1].final and not any(p.final for p in seen[:-1])
    last = seen[-1]
    assert last.total == last.objects == result.stats.history.objects_scanned  # type: ignore[union-attr]
    assert last.done_bytes == last.total_bytes > 0


def test_without_a_callback_nothing_is_reported(tmp_path: Path, capfd: object) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    scan_repository(GitScanOptions(repo=str(repo), jobs=1))
    assert "scanning objects" not in capfd.readouterr().err  # type: ignore[attr-defined]
