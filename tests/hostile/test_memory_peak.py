"""Peak memory of a real `mindee-scan` process stays under 300 MB whatever the input (issue 13).

Findings were held per file, not per scan: many files full of keys, or a history of such blobs, grew
without bound. A scan now keeps at most 20,000 findings (scanner.app.cap), Mindee keys first, and says
how many it left out.

Each test runs the installed CLI as a child of a small helper process and reads the child's own peak
RSS from wait4 (a child forked from pytest itself would start from pytest's peak). Before, 30,000
findings in one 1.4 MB file peaked at 327 MB rendered to JSON and 373 MB to JSON Lines or GitLab:
every finding's dict and the encoder's fragments were held at once, then the whole text and its
UTF-8 copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import cli_path
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

LIMIT_MB = 300

# Runs argv[4:] with stdout to the file argv[1], feeding its stdin argv[2] MB of text (the key argv[3]
# once per MB) when argv[2] is not 0, then prints the child's exit code and peak RSS (KB).
_HELPER = """
import os, subprocess, sys
feed = int(sys.argv[2])
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(
        sys.argv[4:], stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE if feed else subprocess.DEVNULL
    )
    if feed:
        line = b'value = "lorem ipsum dolor sit amet, consectetur adipiscing elit"\\n'
        block = line * (1024 * 1024 // len(line))
        for _ in range(feed):
            child.stdin.write(block + b"MINDEE_V2_API_KEY=" + sys.argv[3].encode() + b"\\n")
        child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss(args: list[str], stdout: Path, feed_mb: int = 0, cwd: Path | None = None) -> tuple[int, float]:
    """Exit code and peak RSS in MB of one `mindee-scan` run, measured alone."""
    proc = subprocess.run(
        [sys.executable, "-c", _HELPER, str(stdout), str(feed_mb), v2_key(), *cli_path(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=850,
    )
    code, kb = proc.stdout.split()
    return int(code), int(kb) / 1024


def json_report(args: list[str], stdout: Path, feed_mb: int = 0, cwd: Path | None = None) -> dict[str, Any]:
    """The JSON report of one run that found keys (exit 1) and peaked under the limit."""
    code, mb = peak_rss(args, stdout, feed_mb, cwd)
    assert mb < LIMIT_MB, f"peak {mb:.0f} MB"
    assert code == 1
    doc: dict[str, Any] = json.loads(stdout.read_text())
    return doc


@pytest.fixture(scope="module")
def keys() -> list[str]:
    return [v2_key() for _ in range(30_000)]


def _dense(keys: list[str], name: str) -> str:
    """30,000 keys, one per line, 1.4 MB: a file scanned whole (under the 2 MiB streaming size)."""
    return "".join(f"{name}{i} = '{key}'\n" for i, key in enumerate(keys))


@pytest.fixture(scope="module")
def dense_file(tmp_path_factory: pytest.TempPathFactory, keys: list[str]) -> Path:
    path = tmp_path_factory.mktemp("dense") / "keys.py"
    path.write_text(_dense(keys, "k"))
    return path


@pytest.mark.parametrize("fmt", ["json", "jsonl", "gitlab"])
def test_thirty_thousand_findings_rendered(dense_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "report"
    code, mb = peak_rss(["dir", str(dense_file), "--format", fmt], out)
    assert code == 1
    assert mb < LIMIT_MB, f"{fmt}: peak {mb:.0f} MB"
    text = out.read_text()
    if fmt == "jsonl":
        lines = text.splitlines()
        assert len(lines) == 20_001  # the scan's findings cap, then the summary
        assert json.loads(lines[-1])["type"] == "summary"
    else:
        doc = json.loads(text)
        # 30,000 keys, the scan's cap keeps 20,000; the rest are counted, never silently dropped
        assert len(doc["findings" if fmt == "json" else "vulnerabilities"]) == 20_000
        if fmt == "json":  # (a random key now and then reads as a placeholder, so "about" 10,000)
            assert 9_900 < doc["stats"]["findings_over_cap"] <= 10_000


def test_report_file_written_in_pieces(dense_file: Path, tmp_path: Path) -> None:
    """`-o FILE` writes the report as it is rendered, as stdout does."""
    report = tmp_path / "report.json"
    code, mb = peak_rss(["dir", str(dense_file), "--format", "json", "-o", str(report)], tmp_path / "stdout")
    assert code == 1
    assert mb < LIMIT_MB, f"json -o: peak {mb:.0f} MB"
    doc = json.loads(report.read_text())
    assert len(doc["findings"]) == 20_000
    assert 9_900 < doc["stats"]["findings_over_cap"] <= 10_000


def test_many_files_full_of_keys(keys: list[str], tmp_path: Path) -> None:
    """240,000 findings in 8 files: before, every one was held until the report (over 300 MB)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for n in range(8):
        (tree / f"keys{n}.py").write_text(_dense(keys, f"f{n}_"))
    doc = json_report(["dir", str(tree), "--format", "json"], tmp_path / "report.json")
    assert len(doc["findings"]) == 20_000
    dropped = doc["stats"]["findings_over_cap"]
    assert len(doc["findings"]) + dropped > 239_000
    assert any(f"{dropped} more finding(s) not reported" in n for n in doc["stats"]["notes"])


def test_history_of_blobs_full_of_keys(tmp_path: Path) -> None:
    """8 commits, each a new 30,000-key version of one file: 240,000 findings across blobs, all held
    until provenance folded them before."""
    repo = init_repo(tmp_path / "repo")
    for n in range(8):
        commit_file(repo, "keys.py", _dense([v2_key() for _ in range(30_000)], f"v{n}_"), message=f"v{n}")
    doc = json_report(["git", str(repo), "--format", "json"], tmp_path / "report.json")
    assert len(doc["findings"]) == 20_000
    assert doc["stats"]["findings_over_cap"] > 0
    assert any("not reported" in n for n in doc["stats"]["notes"])


def test_standard_input_is_streamed(tmp_path: Path) -> None:
    """400 MB piped to `dir -`: before, the whole input was read into memory, then scanned whole."""
    doc = json_report(["dir", "-", "--format", "json"], tmp_path / "report.json", feed_mb=400)
    assert doc["stats"]["bytes_scanned"] > 400 * 1024 * 1024
    assert len(doc["findings"]) == 400  # the key once per megabyte


def test_a_huge_staged_commit_is_read_file_by_file(tmp_path: Path) -> None:
    """160 staged files of 1.9 MB (300 MB of text, 5.6 million added lines): the staged scan held every
    blob and the whole `diff --cached` at once, and a set entry per added line. Past 64 MB of blobs or a
    million added lines, files are now streamed one at a time; keys the commit adds are found before and
    past that point, and a key the file already had in HEAD is still not reported."""
    repo = init_repo(tmp_path / "repo")
    early, late, old = v2_key(), v2_key(), v2_key()
    commit_file(repo, "part150.txt", f"MINDEE_V2_API_KEY={old}\n", message="start")
    for n in range(160):
        body = b"".join(b"row %07d of part %03d: plain text\n" % (i, n) for i in range(35_000))
        if n == 3:
            body += f"MINDEE_V2_API_KEY={early}\n".encode()
        if n == 150:
            body += f"MINDEE_V2_API_KEY={old}\nMINDEE_KEY_2={late}\n".encode()
        (repo / f"part{n:03d}.txt").write_bytes(body)
    git(repo, "add", ".")
    doc = json_report(["staged", "--format", "json", "--show-secrets"], tmp_path / "report.json", cwd=repo)
    assert sorted((f["path"], f["secret"]) for f in doc["findings"]) == [("part003.txt", early), ("part150.txt", late)]
    assert doc["stats"]["files_scanned"] == 160
