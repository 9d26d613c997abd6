"""Memory stays bounded: a file bigger than memory should be (a raised --max-file-size) is streamed.

The streamed path must find exactly what a whole-file scan finds, with file-absolute lines.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

import scanner.sources.files as files
from scanner.app.dir import DirOptions, scan_paths
from scanner.config import Config
from tests.testing.cli import cli_path
from tests.testing.keys import keys_in_noise, v1_key, v2_key

pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("long_lines", [False, True], ids=["lines", "one-line"])
def test_streamed_scan_matches_whole_file_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long_lines: bool
) -> None:
    rng = random.Random(7)
    keys = [v2_key() if i % 3 else v1_key() for i in range(60)]
    path = tmp_path / "big.txt"
    path.write_bytes(keys_in_noise(rng, keys, long_lines))
    whole = scan_paths(DirOptions(paths=(str(path),), config=Config()))
    # Tiny chunks force hundreds of cuts, inside lines and between them.
    monkeypatch.setattr(files, "STREAM_THRESHOLD", 1024)
    monkeypatch.setattr(files, "STREAM_CHUNK", 997)
    streamed = scan_paths(DirOptions(paths=(str(path),), config=Config()))
    key_of = lambda r: sorted((f.secret.reveal(), f.where.line, f.where.column) for f in r.findings)  # noqa: E731
    assert len(whole.findings) == len(keys)
    assert key_of(streamed) == key_of(whole)
    assert streamed.stats.bytes_scanned == path.stat().st_size
    assert streamed.stats.files_scanned == 1


def test_file_growing_past_the_cap_while_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"x\n" * 5000)
    monkeypatch.setattr(files, "STREAM_THRESHOLD", 1024)
    monkeypatch.setattr(files, "STREAM_CHUNK", 4096)
    real = files.read_chunks

    def growing(item: files.FileItem, max_size: int, chunk: int | None = None):  # type: ignore[no-untyped-def]
        for piece in real(item, max_size, chunk):
            with open(path, "ab") as fh:
                fh.write(b"y" * 4096)
            yield piece

    monkeypatch.setattr("scanner.app.dir.read_chunks", growing)
    result = scan_paths(DirOptions(paths=(str(path),), config=Config(), max_file_size=20_000))
    assert dict(result.stats.skipped)["big.log"].startswith("too large: grew past")
    assert result.stats.files_scanned == 0


def test_2gb_sparse_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """2 GB of holes with keys at 1.5 GB and at the very end, cap raised to 3 GB: found, under 400 MB."""
    path = tmp_path / "sparse.img"
    size = 2 * 1024**3
    k1, k2 = v2_key(), v2_key()
    with open(path, "wb") as fh:
        fh.truncate(size)
        fh.seek(1536 * 1024**2)
        fh.write(f"\nMINDEE_V2_API_KEY={k1}\n".encode())
        tail = f"\nkey={k2}".encode()
        fh.seek(size - len(tail))
        fh.write(tail)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child: exec the CLI so wait4 measures it alone
        fd = os.open(tmp_path / "out.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        try:
            os.execv(cli_path()[0], [*cli_path(), "dir", str(path), "--max-file-size", "3G", "--format", "json"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    doc = json.loads((tmp_path / "out.json").read_text())
    peak_mb = usage.ru_maxrss / 1024
    assert rc == 1
    assert sorted(f["redacted"] for f in doc["findings"]) == sorted(k[:7] + "…" + k[-3:] for k in (k1, k2))
    assert doc["stats"]["bytes_scanned"] == size
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"


def test_a_huge_staged_file_is_streamed_without_being_held(tmp_path: Path) -> None:
    """A 200 MB text file staged beside a small file with a key: the hook reports the key and scans
    the big file in bounded windows. Neither git's diff of it nor its content ever sits in the hook's
    memory (measured from a small launcher: a child's peak RSS starts from its parent's)."""
    import subprocess
    import sys

    from tests.testing.gitutil import git, init_repo

    repo = init_repo(tmp_path / "r")
    line = b"plain text of a generated file, nothing secret in it at all\n"
    with open(repo / "huge.txt", "wb") as fh:
        for _ in range(200 * 1024 * 1024 // len(line)):
            fh.write(line)
    key = v2_key()
    (repo / "app.env").write_text(f"MINDEE_API_KEY={key}\n")
    git(repo, "add", "huge.txt", "app.env")
    launcher = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "sys.stderr.write(proc.stdout + proc.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", launcher, *cli_path(), "staged", "--format", "json"],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    rc, peak_mb = (int(x) for x in proc.stdout.split())
    doc = json.loads(proc.stderr[proc.stderr.index("{") :])
    assert rc == 1, proc.stderr[-2000:]
    assert [f["redacted"] for f in doc["findings"]] == [key[:7] + "…" + key[-3:]]
    assert doc["stats"]["files_scanned"] == 2 and not doc["stats"]["skipped"]
    assert doc["stats"]["bytes_scanned"] > 200 * 1024 * 1024 - len(line)
    assert peak_mb < 120, f"peak RSS {peak_mb} MB for a 200 MB staged file"
