"""Hostile file trees: special files, loops, depth, huge folders, odd names, races and denied access.

Every scan must finish, report what it skipped and why, and never print a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.testing.cli import run
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(180)


def _scan_json(*args: str, timeout: float = 60) -> tuple[int, dict[str, Any], str]:
    proc = run("dir", *args, "--format", "json", timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _reasons(doc: dict[str, Any]) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in doc["stats"]["skipped"]}


def _plant(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"MINDEE_V2_API_KEY={key}\n")


# --- special files -------------------------------------------------------------------------------


def test_fifo_socket_and_device_are_skipped_never_read(tmp_path: Path) -> None:
    """A FIFO with no writer would block an open() forever; the scan must skip it and finish."""
    key = v2_key()
    _plant(tmp_path / "real.env", key)
    os.mkfifo(tmp_path / "pipe")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp_path / "sock"))
    specials = ["pipe", "sock"]
    try:
        os.mknod(tmp_path / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        specials.append("null")
    except (PermissionError, OSError):
        pass  # no CAP_MKNOD in this sandbox: /dev/zero below covers devices
    try:
        rc, doc, _ = _scan_json(str(tmp_path), timeout=30)
    finally:
        sock.close()
    assert rc == 1
    assert [f["secret"] for f in doc["findings"]] == [key[:7] + "…" + key[-3:]]
    reasons = _reasons(doc)
    for name in specials:
        assert reasons[name].startswith("special file"), reasons
    assert doc["stats"]["files_scanned"] == 1


def test_special_files_named_on_the_command_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    rc, doc, _ = _scan_json(str(tmp_path / "pipe"), "/dev/zero", timeout=30)
    assert rc == 2  # named, yet not scanned: an error, never a clean result (issue 13)
    assert len(doc["stats"]["errors"]) == 2, doc["stats"]
    reasons = {s["reason"].split(":")[0] for s in doc["stats"]["skipped"]}
    assert reasons == {"special file"}
    assert doc["stats"]["skipped_count"] == 2


def test_followed_symlink_to_a_fifo_or_device_is_not_read(tmp_path: Path) -> None:
    key = v2_key()
    _plant(tmp_path / "a.env", key)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to-pipe").symlink_to(tmp_path / "pipe")
    (tmp_path / "to-zero").symlink_to("/dev/zero")
    rc, doc, _ = _scan_json(str(tmp_path), "--follow-symlinks", timeout=30)
    assert rc == 1
    reasons = _reasons(doc)
    assert reasons["to-zero"].startswith("special file")
    assert reasons["to-pipe"].startswith("special file")


def test_fifo_swapped_in_after_the_walk_does_not_block(tmp_path: Path) -> None:
    """The reader opens with O_NONBLOCK and checks the type on the open file (race after the walk)."""
    from scanner.sources.files import FileItem, read_file

    os.mkfifo(tmp_path / "was-a-file")
    result: list[BaseException | bytes] = []

    def reader() -> None:
        try:
            result.append(read_file(FileItem(str(tmp_path / "was-a-file"), "was-a-file", 10), 1 << 20))
        except OSError as exc:
            result.append(exc)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "read_file blocked on a FIFO"
    # Either refused, or the empty read of a writer-less non-blocking FIFO: never a hang.
    assert isinstance(result[0], OSError) or result[0] == b""


# --- loops, depth, breadth -----------------------------------------------------------------------


def test_symlink_loops_terminate(tmp_path: Path) -> None:
    key = v2_key()
    _plant(tmp_path / "sub" / "k.env", key)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "self").symlink_to(tmp_path / "self")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for extra in ((), ("--follow-symlinks",)):
        rc, doc, _ = _scan_json(str(tmp_path), *extra, timeout=30)
        assert rc == 1
        assert len(doc["findings"]) == 1, doc["findings"]
        reasons = _reasons(doc)
        if extra:
            assert reasons["sub/loop"] == "symlink loop"
            assert reasons["self"].startswith("unreadable")
        else:
            assert all(reasons[p].startswith("symlink") for p in ("sub/loop", "self", "a", "b"))


def test_directories_1000_deep(tmp_path: Path) -> None:
    key = v2_key()
    # Build it relative to a moving cwd: the absolute path (2,000+ chars) stays under PATH_MAX.
    deep = tmp_path / "deep"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1000):
            os.mkdir("d", dir_fd=fd)
            nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open("k.env", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, f"k={key}\n".encode())
        os.close(wfd)
    finally:
        os.close(fd)
    try:
        rc, doc, _ = _scan_json(str(deep), timeout=60)
        assert rc == 1
        assert doc["findings"][0]["path"] == "d/" * 1000 + "k.env"
    finally:
        # pytest's recursive tmp cleanup would hit the recursion limit on 1,000 levels.
        subprocess.run(["rm", "-rf", str(deep)], check=False)


def _fast_tmp(tmp_path: Path) -> Path:
    """100,000 files on a disk-backed overlay take a minute to create; tmpfs takes a second."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        return Path(tempfile.mkdtemp(prefix="mindee-scan-test-", dir=shm))
    return tmp_path


def test_folder_with_100000_files(tmp_path: Path) -> None:
    import shutil

    base = _fast_tmp(tmp_path)
    try:
        folder = base / "many"
        folder.mkdir()
        fd = os.open(folder, os.O_RDONLY)
        try:
            for i in range(100_000):
                os.close(os.open(f"f{i:06d}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
        finally:
            os.close(fd)
        key = v2_key()
        _plant(folder / "f054321.txt", key)
        rc, doc, _ = _scan_json(str(folder), timeout=120)
        assert rc == 1
        assert doc["stats"]["files_scanned"] == 100_000
        assert [f["path"] for f in doc["findings"]] == ["f054321.txt"]
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


# --- names ---------------------------------------------------------------------------------------

HOSTILE_NAMES = [b"new\nline.env", b"bad\xff\xfe.env", b"-rf", b"--output=x", b"esc\x1b[31mred.env", b" space .env"]


def _hostile_tree(tmp_path: Path, key: str) -> Path:
    root = tmp_path / "names"
    root.mkdir()
    for name in HOSTILE_NAMES:
        with open(os.path.join(os.fsencode(root), name), "wb") as fh:
            fh.write(f"k={key}\n".encode())
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "csv", "junit", "html"])
def test_hostile_file_names_in_every_format(tmp_path: Path, fmt: str) -> None:
    key = v2_key()
    root = _hostile_tree(tmp_path, key)
    out = tmp_path / f"report.{fmt}"
    proc = run("dir", str(root), "--format", fmt, "--output", str(out), timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    body = out.read_bytes().decode("utf-8")  # valid UTF-8 whatever the names were
    assert key not in body
    if fmt == "text":
        heads = [line for line in body.splitlines() if "  mindee-api-key  " in line]
        assert len(heads) == len(HOSTILE_NAMES), body  # a newline in a name cannot forge a line
        assert "\x1b" not in body  # nor an escape sequence drive the terminal
        assert "new\\nline.env:1:3" in body
    elif fmt == "json":
        paths = sorted(f["path"] for f in json.loads(body)["findings"])
        assert "new\nline.env" in paths and "-rf" in paths and "--output=x" in paths
        assert "bad\ufffd\ufffd.env" in paths
    elif fmt == "sarif":
        json.loads(body)


def test_leading_dash_path_after_double_dash(tmp_path: Path) -> None:
    key = v2_key()
    _plant(tmp_path / "-rf", key)
    proc = run("dir", "--format", "json", "--", "-rf", cwd=tmp_path, timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["path"] == "-rf"


# --- races ---------------------------------------------------------------------------------------


def test_files_that_vanish_grow_or_shrink_after_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk streams into the reader; change each file between the two and check every outcome."""
    import scanner.app.dir as scan_dir
    from scanner.config import Config

    key = v2_key()
    for name in ("vanish.env", "grow.env", "shrink.env", "steady.env"):
        _plant(tmp_path / name, key)
    real_walk = scan_dir.walk

    def racing_walk(*args: Any, **kwargs: Any) -> Any:
        for item in real_walk(*args, **kwargs):
            if item.rel == "vanish.env":
                os.unlink(item.path)
            elif item.rel == "grow.env":
                with open(item.path, "ab") as fh:
                    fh.write(b"x" * 5000)
            elif item.rel == "shrink.env":
                os.truncate(item.path, 0)
            yield item

    monkeypatch.setattr(scan_dir, "walk", racing_walk)
    result = scan_dir.scan_paths(scan_dir.DirOptions(paths=(str(tmp_path),), config=Config(), max_file_size=1000))
    reasons = dict(result.stats.skipped)
    assert reasons["vanish.env"].startswith("unreadable"), reasons
    assert reasons["grow.env"].startswith("too large"), reasons
    assert [f.where.path for f in result.findings] == ["steady.env"]
    assert result.stats.files_scanned == 2  # steady + the (now empty) shrunk file


def test_tree_mutating_during_a_real_scan(tmp_path: Path) -> None:
    """Files appear, grow and disappear while the CLI walks: no traceback, a normal exit code."""
    key = v2_key()
    _plant(tmp_path / "keep.env", key)
    for i in range(300):
        (tmp_path / f"churn{i}.txt").write_text("x" * 1000)
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            p = tmp_path / f"churn{i % 300}.txt"
            try:
                if i % 3 == 0:
                    p.unlink()
                elif i % 3 == 1:
                    p.write_text("y" * (i % 5000))
                else:
                    with open(p, "a") as fh:
                        fh.write("z" * 4096)
            except OSError:
                pass
            i += 1

    t = threading.Thread(target=churn, daemon=True)
    t.start()
    try:
        for _ in range(3):
            rc, doc, _ = _scan_json(str(tmp_path), "--jobs", "2", timeout=60)
            assert rc == 1
            assert [f["path"] for f in doc["findings"]] == ["keep.env"]
    finally:
        stop.set()
        t.join(5)


# --- permissions ---------------------------------------------------------------------------------


def _as_nobody(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in a forked child that dropped root, so permission bits really apply.

    The interpreter lives under /root (0700), so the child cannot exec a new Python as `nobody`:
    it calls the already-imported entry point instead, after warming every import it will need.
    """
    import sys
    import tempfile

    from scanner.cli.main import main

    main([*argv, "--output", os.devnull])  # warm imports as root
    with tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 2
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                sys.stdout = os.fdopen(1, "w", closefd=False)
                sys.stderr = os.fdopen(2, "w", closefd=False)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                code = main(argv)
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another uid")
def test_permission_denied_files_and_dirs_as_non_root() -> None:
    import shutil
    import tempfile

    # pytest's tmp_path sits under a 0700 folder that `nobody` cannot enter.
    root = Path(tempfile.mkdtemp(prefix="mindee-scan-perm-"))
    try:
        root.chmod(0o755)
        _plant(root / "ok.env", v2_key())
        _plant(root / "secret.env", v2_key())
        _plant(root / "locked" / "inner.env", v2_key())
        os.chmod(root / "ok.env", 0o644)
        os.chmod(root / "secret.env", 0o000)
        os.chmod(root / "locked", 0o000)
        rc, out = _as_nobody(["dir", str(root), "--format", "json"])
        assert rc == 1, out
        doc = json.loads(out)
        reasons = _reasons(doc)
        assert reasons["secret.env"] == "unreadable: Permission denied"
        assert reasons["locked"] == "unreadable directory: Permission denied"
        assert [f["path"] for f in doc["findings"]] == ["ok.env"]
        rc, text = _as_nobody(["dir", str(root)])
        assert rc == 1
        assert "skipped 1 unreadable, 1 unreadable directory" in text, text
        assert "Traceback" not in text
        # Nothing readable at all is not a clean result.
        os.chmod(root / "ok.env", 0o000)
        rc, text = _as_nobody(["dir", str(root)])
        assert rc == 2, text
    finally:
        os.chmod(root / "locked", 0o755)
        shutil.rmtree(root, ignore_errors=True)


# --- summary -------------------------------------------------------------------------------------


def test_every_skip_reason_is_summarised(tmp_path: Path) -> None:
    key = v2_key()
    _plant(tmp_path / "k.env", key)
    (tmp_path / "big.bin").write_bytes(b"a" * 5000)
    (tmp_path / "link").symlink_to(tmp_path / "k.env")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.txt").write_text("x")
    proc = run("dir", str(tmp_path), "--max-file-size", "1000", "--exclude", "vendor", timeout=30)
    assert proc.returncode == 1
    summary = proc.stdout.strip().splitlines()[-1]
    for reason in ("too large", "symlink", "special file", "excluded"):
        assert reason in summary, summary
    verbose = run("dir", str(tmp_path), "--max-file-size", "1000", "--exclude", "vendor", "-v", timeout=30)
    for path in ("big.bin", "link", "pipe", "vendor/"):
        assert f"skipped: {path}: " in verbose.stdout, verbose.stdout
