"""`mindee-scan staged`: exactly the index, only what the commit adds, line numbers of the staged file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scanner.app.staged import StagedOptions, scan_staged
from scanner.model import ScanResult
from scanner.sources.git.diffparse import parse_diff, unquote
from scanner.sources.git.staged import repo_info, staged_git
from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, git, init_repo, stage_file, write_file
from tests.testing.keys import v2_key


def staged(repo: Path, all_lines: bool = False) -> ScanResult:
    g = staged_git(str(repo))
    return scan_staged(g, repo_info(g), StagedOptions(all_lines=all_lines))


def found(result: ScanResult) -> list[tuple[str, int, str]]:
    return [(f.where.path, f.where.line, f.secret.reveal()) for f in result.findings]


def test_partially_staged_file_is_scanned_as_staged(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "app.py", "a = 1\nb = 2\n")
    key = v2_key()
    stage_file(repo, "app.py", f"a = 1\nb = 2\nMINDEE_API_KEY = '{key}'\n")
    write_file(repo, "app.py", "a = 1\nb = 2\nMINDEE_API_KEY = os.environ['MINDEE_API_KEY']\n")  # fixed, not staged
    assert found(staged(repo)) == [("app.py", 3, key)]
    # and the reverse: a key only in the working tree is not part of the commit
    other = v2_key()
    commit_file(repo, "app.py", "a = 1\n")
    write_file(repo, "app.py", f"a = 1\nMINDEE_API_KEY = '{other}'\n")
    assert found(staged(repo)) == []


def test_line_numbers_are_those_of_the_staged_file(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "conf.py", "".join(f"line{i} = {i}\n" for i in range(1, 21)))
    k1, k2 = v2_key(), v2_key()
    lines = [f"line{i} = {i}\n" for i in range(1, 21)]
    lines.insert(2, f"MINDEE_API_KEY = '{k1}'\n")
    lines.insert(15, f"mindee_key = '{k2}'\n")
    del lines[8]
    stage_file(repo, "conf.py", "".join(lines))
    assert found(staged(repo)) == [("conf.py", 3, k1), ("conf.py", 15, k2)]


def test_only_added_lines_count_unless_all_lines(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    old = v2_key()
    commit_file(repo, "settings.env", f"MINDEE_API_KEY={old}\nDEBUG=0\n")
    stage_file(repo, "settings.env", f"MINDEE_API_KEY={old}\nDEBUG=1\n")
    assert found(staged(repo)) == []
    assert found(staged(repo, all_lines=True)) == [("settings.env", 1, old)]


def test_empty_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    assert staged(repo).findings == []
    key = v2_key()
    stage_file(repo, "first.env", f"x=1\nMINDEE_API_KEY={key}\n")
    assert found(staged(repo)) == [("first.env", 2, key)]


def test_renames_and_deletions(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    old = v2_key()
    body = "".join(f"setting_{i} = {i}\n" for i in range(30)) + f"MINDEE_API_KEY = '{old}'\n"
    commit_file(repo, "old_name.py", body)
    git(repo, "mv", "old_name.py", "new_name.py")
    assert found(staged(repo)) == []  # a pure rename adds nothing
    new = v2_key()
    stage_file(repo, "new_name.py", body + f"OTHER_MINDEE_KEY = '{new}'\n")
    assert found(staged(repo)) == [("new_name.py", 32, new)]
    git(repo, "commit", "-q", "-m", "rename")
    git(repo, "rm", "-q", "new_name.py")
    result = staged(repo)
    assert result.findings == [] and result.stats.errors == []


def test_binary_files(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    key = v2_key()
    blob = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dtEXtComment\x00token " + key.encode() + b" \x00\xff\xfe"
    stage_file(repo, "img.png", blob)
    assert [(p, s) for p, _, s in found(staged(repo))] == [("img.png", key)]
    git(repo, "commit", "-q", "-m", "img")
    stage_file(repo, "img.png", blob + b"\x00more")  # changed, but the key was already there
    assert found(staged(repo)) == []


def test_git_index_file_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    key = v2_key()
    alt = tmp_path / "alt-index"
    env = {"GIT_INDEX_FILE": str(alt)}
    git(repo, "read-tree", "HEAD", env=env)
    write_file(repo, "tool.env", f"MINDEE_API_KEY={key}\n")
    git(repo, "add", "tool.env", env=env)
    assert found(staged(repo)) == []  # the default index has nothing staged
    monkeypatch.setenv("GIT_INDEX_FILE", str(alt))
    assert found(staged(repo)) == [("tool.env", 1, key)]


def test_merge_in_progress(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "shared.py", "x = 0\n")
    git(repo, "checkout", "-q", "-b", "other")
    theirs = v2_key()
    commit_file(repo, "other.env", f"MINDEE_API_KEY={theirs}\n")  # committed (and scanned) on its branch
    commit_file(repo, "shared.py", "x = 'other'\n")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "shared.py", "x = 'main'\n")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "merge", "-q", "other")
    conflicted = staged(repo)
    assert conflicted.findings == []
    assert ("shared.py", "unmerged (resolve the conflict and stage the file)") in conflicted.stats.skipped
    ours = v2_key()
    stage_file(repo, "shared.py", f"x = 'both'\nMINDEE_API_KEY = '{ours}'\n")
    result = staged(repo)
    assert found(result) == [("shared.py", 2, ours)]  # the resolution's key, not the merged branch's
    assert any("merge in progress" in n for n in result.stats.notes)


def test_cli_files_not_staged_are_scanned_whole(tmp_path: Path) -> None:
    """`pre-commit run --all-files` passes every file with nothing staged: they must be scanned."""
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "committed.env", f"MINDEE_API_KEY={key}\n")
    proc = invoke("staged", "--format", "json", "--show-secrets", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    proc = invoke("staged", "committed.env", "--show-secrets", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert key in proc.stdout and "committed.env:1" in proc.stdout


def test_cli_blocks_with_the_three_ways_forward(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    key = v2_key()
    stage_file(repo, "b.py", f"\n\nMINDEE_API_KEY = '{key}'\n")
    for argv in (["staged"], [sys.executable, "-m", "scanner.hookrun", "pre-commit"]):
        if argv[0] == "staged":
            proc = invoke(*argv, cwd=repo)
        else:
            proc = subprocess.run(argv, cwd=repo, capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert "b.py:3:" in proc.stdout
        assert key not in proc.stdout  # redacted
        assert "Three ways forward" in proc.stdout and "revoke" in proc.stdout


def test_lean_hook_path_stays_light(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    stage_file(repo, "a.txt", "a\nb\n")
    code = (
        "import sys, scanner.hookrun as h; rc = h.main(['pre-commit']);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'git', 'multiprocessing', 'requests'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_not_a_repository(tmp_path: Path) -> None:
    proc = invoke("staged", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not inside a git repository" in proc.stderr


def test_diffparse_paths_and_hunks() -> None:
    assert unquote(b'"a\\tb\\303\\251.txt"') == "a\tbé.txt"
    out = b"\n".join(
        [
            b'diff --git "a/we\\tird" "b/we\\tird"',
            b"index " + b"1" * 40 + b".." + b"2" * 40 + b" 100644",
            b'--- "a/we\\tird"',
            b'+++ "b/we\\tird"',
            b"@@ -1,0 +2,2 @@",
            b"+x",
            b"+y",
            b"@@ -5 +8 @@",
            b"-old",
            b"+new",
            b"diff --git a/with space.txt b/with space.txt",
            b"new file mode 100644",
            b"index " + b"0" * 40 + b".." + b"3" * 40,
            b"--- /dev/null",
            b"+++ b/with space.txt\t",
            b"@@ -0,0 +1 @@",
            b"+z",
            b"diff --git a/o.txt b/n.txt",
            b"similarity index 100%",
            b"rename from o.txt",
            b"rename to n.txt",
            b"diff --git a/m.bin b/m.bin",
            b"index " + b"4" * 40 + b".." + b"5" * 40 + b" 100644",
            b"Binary files a/m.bin and b/m.bin differ",
            b"* Unmerged path c.txt",
        ]
    )
    changes = parse_diff(out)
    assert [(c.path, c.status, sorted(c.added)) for c in changes] == [
        ("we\tird", "M", [2, 3, 8]),
        ("with space.txt", "A", [1]),
        ("n.txt", "R", []),
        ("m.bin", "M", []),
        ("c.txt", "U", []),
    ]
    assert changes[0].new_sha == "2" * 40 and changes[1].old_sha is None and changes[3].binary
    assert changes[2].old_path == "o.txt"


def test_console_staged_without_options_skips_click(tmp_path: Path) -> None:
    """`mindee-scan staged` and `mindee-scan pre-commit` (what the hooks run) start without click."""
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    stage_file(repo, "a.txt", "a\nb\n")
    for command, quiet in (("staged", False), ("pre-commit", True)):
        code = (
            f"import sys, scanner.hookrun as h; rc = h.console(['{command}', 'a.txt']);"
            "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'click', 'git', 'multiprocessing'}))"
        )
        proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.strip().splitlines()
        assert lines[-1] == "0 []"
        # `pre-commit` (the framework's hook entry) says nothing on a clean commit; `staged` sums up.
        assert (len(lines) == 1) is quiet, lines
