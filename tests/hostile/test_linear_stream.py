"""Big files and blobs are scanned, not skipped, in bounded overlapping windows; memory stays constant.

A key near the end of a 12 MB CSV committed to history was missed (10 MB default size cap); a 63 MB
single-line blob of `md_` text took 2.9 GB below the old 64 MB streaming threshold.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.app.history import GitScanOptions, scan_repository
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.model import Finding
from tests.testing.cli import cli_path
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import keys_in_noise, v1_key, v2_key

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def builder() -> FindingBuilder:
    return FindingBuilder(build_detector(Config()))


def _located(findings: list[Finding]) -> list[tuple[str, int, int, str]]:
    return sorted((f.secret.reveal(), f.where.line, f.where.column, f.context.text) for f in findings)


@pytest.mark.parametrize("long_lines", [False, True], ids=["lines", "one-line"])
@pytest.mark.parametrize("window", [4096, 5003, 65536])
def test_windows_find_what_a_whole_scan_finds(builder: FindingBuilder, long_lines: bool, window: int) -> None:
    rng = random.Random(7)
    keys = [v2_key() if i % 3 else v1_key() for i in range(60)]
    raw = keys_in_noise(rng, keys, long_lines)
    whole, _ = builder.from_bytes(raw, "big.txt")
    streamed = builder.scan_stream((raw[i : i + 997] for i in range(0, len(raw), 997)), "big.txt", window=window)
    assert len(whole) == len(keys)
    assert _located(streamed.findings) == _located(whole)
    assert streamed.size == len(raw)


@pytest.mark.parametrize("shift", range(-40, 4, 3))
def test_key_straddling_a_window_boundary_is_found_once(builder: FindingBuilder, shift: int) -> None:
    """Keys (and a legacy key's `MINDEE_API_KEY=` context) cut by the window edge: found once, right place."""
    window = 8192
    v2, v1 = v2_key(), v1_key()
    for key in (v2, v1):
        prefix = "x" * (window + shift - len("MINDEE_API_KEY=")) + " MINDEE_API_KEY="
        raw = f"first line\n{prefix}{key} tail {'y' * 20000}\n".encode()
        scan = builder.scan_stream([raw], "cut.txt", window=window)
        assert [(f.secret.reveal(), f.where.line, f.where.column) for f in scan.findings] == [(key, 2, len(prefix) + 1)]


def test_context_seen_in_another_window_counts(builder: FindingBuilder) -> None:
    """A rule that needs the file to talk to Mindee is judged on the whole stream, not per window."""
    key = v1_key()
    filler = "# filler line\n" * 3000
    text = f"import mindee\n{filler}headers = {{'Authorization': 'Token {key}'}}\n"
    whole, _ = builder.from_bytes(text.encode(), "client.py")
    streamed = builder.scan_stream([text.encode()], "client.py", window=4096)
    assert [f.secret.reveal() for f in whole] == [key]
    assert _located(streamed.findings) == _located(whole)
    alone = text.replace("import mindee\n", "import requests\n").encode()
    assert builder.scan_stream([alone], "client.py", window=4096).findings == []


def test_findings_per_file_are_capped_and_said(builder: FindingBuilder, tmp_path: Path) -> None:
    keys = [v2_key() for _ in range(300)]
    raw = "".join(f"k = '{k}'\n" for k in keys).encode()
    scan = builder.scan_stream([raw], "many.py", window=4096, max_findings=100)
    assert len(scan.findings) == 100
    assert scan.dropped == 200


def _big_csv(key: str, size: int = 12 * 1024 * 1024) -> bytes:
    row = b"2024-01-01,order-1234,customer@example.com,42.00,EUR,shipped\n"
    body = row * (size // len(row))
    return body + f"2024-12-31,MINDEE_API_KEY,{key}\n".encode()


@pytest.mark.slow
def test_key_at_the_end_of_a_12mb_csv_in_a_folder(tmp_path: Path) -> None:
    key = v2_key()
    data = _big_csv(key)
    (tmp_path / "export.csv").write_bytes(data)
    result = scan_paths(DirOptions(paths=(str(tmp_path),), config=Config()))
    assert [(f.secret.reveal(), f.where.line) for f in result.findings] == [(key, data.count(b"\n"))]
    assert result.stats.bytes_scanned == len(data)
    assert not result.stats.skipped


@pytest.mark.slow
def test_key_at_the_end_of_a_12mb_csv_in_history(tmp_path: Path) -> None:
    key = v2_key()
    data = _big_csv(key)
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "export.csv", data, "add export")
    commit_file(repo, "export.csv", b"id,total\n", "trim export")
    result = scan_repository(GitScanOptions(repo=str(repo), config=Config()))
    assert [(f.secret.reveal(), f.where.path, f.where.line) for f in result.findings] == [
        (key, "export.csv", data.count(b"\n"))
    ]
    assert not any(reason.startswith("too large") for _, reason in result.stats.skipped)


_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "open(sys.argv[0] + '.out', 'wb').write(proc.stdout)\n"
    "print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_63mb_single_line_md_blob_in_bounded_memory(tmp_path: Path) -> None:
    """63 MB on one line, `md_` after `md_` (every position a prefilter hit): peak RSS stays under 300 MB."""
    size = 63 * 1024 * 1024
    key = v2_key()
    blob = ("md_" * (size // 3)).encode() + f" MINDEE_V2_API_KEY={key}".encode()
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "blob.txt", blob, "blob")
    launcher = tmp_path / "launch.py"
    launcher.write_text(_LAUNCHER)
    proc = subprocess.run(
        [sys.executable, str(launcher), *cli_path(), "git", str(repo), "--format", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    rc, peak_mb = (int(x) for x in proc.stdout.split())
    doc = json.loads((tmp_path / "launch.py.out").read_text())
    assert rc == 1, proc.stderr[-2000:]
    assert [f["redacted"] for f in doc["findings"]] == [key[:7] + "…" + key[-3:]]
    assert doc["stats"]["bytes_scanned"] == len(blob)
    assert peak_mb < 300, f"peak RSS {peak_mb} MB for a 63 MB blob"


@pytest.mark.slow
def test_big_staged_file_reports_only_the_key_the_commit_adds(tmp_path: Path) -> None:
    """A 12 MB staged CSV: the key already committed is not new; the one this commit adds is reported."""
    from tests.testing.cli import run
    from tests.testing.gitutil import git

    old_key, new_key = v2_key(), v2_key()
    data = _big_csv(old_key)
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "export.csv", data, "add export")
    (repo / "export.csv").write_bytes(data + f"2025-01-01,MINDEE_API_KEY,{new_key}\n".encode())
    git(repo, "add", "export.csv")
    proc = run("staged", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert [(f["redacted"], f["line"]) for f in doc["findings"]] == [
        (new_key[:7] + "…" + new_key[-3:], data.count(b"\n") + 1)
    ]
