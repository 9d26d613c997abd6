"""What the user named and could not be scanned is an error (exit 2), never "scanned 0 file(s)", exit 0.
An empty folder is "nothing to scan" (exit 0, said so); a normal tree and the pre-commit hook keep exit 0."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.gitutil import commit_file, git, init_repo

pytestmark = pytest.mark.timeout(60)


def _dir(*args: str, cwd: Path | None = None) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    proc = run("dir", *args, "--format", "json", cwd=cwd, timeout=30)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "too-large", "link-to-device", "link-to-fifo"])
def test_a_named_target_that_cannot_be_scanned_is_an_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / kind
    extra: list[str] = []
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target = Path("/dev/zero")
    elif kind == "too-large":
        target.write_bytes(b"x" * 5000)
        extra = ["--max-file-size", "1000"]
    elif kind == "link-to-device":
        target.symlink_to("/dev/null")
    else:
        os.mkfifo(tmp_path / "pipe")
        target.symlink_to(tmp_path / "pipe")
    rc, doc, _ = _dir(str(target), *extra)
    assert rc == 2, doc
    assert any(str(target) in e and "not scanned" in e for e in doc["stats"]["errors"]), doc["stats"]
    text = run("dir", str(target), *extra, timeout=30)
    assert text.returncode == 2 and "not scanned" in text.stdout + text.stderr


def test_one_unscannable_target_among_good_ones_is_still_an_error(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text("nothing secret\n")
    os.mkfifo(tmp_path / "pipe")
    rc, doc, _ = _dir(str(good), str(tmp_path / "pipe"))
    assert rc == 2 and doc["stats"]["files_scanned"] == 1, doc


def test_a_folder_where_nothing_could_be_scanned_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "only-special"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    (folder / "link").symlink_to("/dev/null")
    rc, doc, _ = _dir(str(folder))
    assert rc == 2 and any("nothing was scanned" in e for e in doc["stats"]["errors"]), doc


def test_an_empty_folder_is_nothing_to_scan(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, doc, _ = _dir(str(empty))
    assert rc == 0 and any("nothing to scan" in n for n in doc["stats"]["notes"]), doc
    text = run("dir", str(empty), timeout=30)
    assert text.returncode == 0 and "nothing to scan" in text.stdout + text.stderr


def test_a_normal_tree_and_the_hook_stay_exit_0(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "src/a.py", "x = 1\n")
    commit_file(repo, "assets/big.bin", b"\0" * 5000)
    os.mkfifo(repo / "pipe")  # inside a tree, a special file is a skip, as always
    rc, doc, _ = _dir(str(repo))
    assert rc == 0 and not doc["stats"]["errors"], doc["stats"]
    assert run("staged", cwd=repo, timeout=30).returncode == 0  # nothing staged
    # pre-commit run --all-files names every file: one over the cap is a skip there, not an error
    hook = run("staged", "--max-file-size", "1000", "src/a.py", "assets/big.bin", cwd=repo, timeout=30)
    assert hook.returncode == 0, hook.stdout + hook.stderr
    git(repo, "status")  # the repository is untouched and readable
