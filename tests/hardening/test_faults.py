"""Faults around a scan: Ctrl-C, full or unwritable outputs, closed pipes, a hostile network.

Each runs the real CLI as a subprocess and checks the exit code, that stderr holds one clear line
and never a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testing.cli import cli_path, hold_env, run, wait_held
from tests.testing.keys import v1_key, v2_key

pytestmark = pytest.mark.timeout(120)


def _held_scan(tmp_path: Path, jobs: str, files: int = 6) -> tuple[subprocess.Popen[bytes], Path]:
    """A real `dir` scan held mid-scan: whichever process (the CLI or a worker) opens hold.txt stops there.

    The tests used to sleep and hope the scan of a flood was still running; on a fast machine it was not.
    """
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(files):
        (tree / f"f{i}.txt").write_text(f"KEY{i}={v2_key()}\n")
    (tree / "hold.txt").write_text("nothing to see\n")
    env, marker = hold_env(tmp_path, "open", "/hold.txt")
    proc = subprocess.Popen(
        [*cli_path(), "dir", str(tree), "--jobs", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    return proc, marker


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_scan_exits_130_without_traceback(tmp_path: Path, jobs: str) -> None:
    proc, marker = _held_scan(tmp_path, jobs)
    wait_held(proc, marker)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group, workers included
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (proc.returncode, err)
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err.decode()
    assert err.decode().strip().endswith("mindee-scan: interrupted")
    assert out == b""


def test_sigterm_mid_scan_stops(tmp_path: Path) -> None:
    proc, marker = _held_scan(tmp_path, "1", files=3)
    wait_held(proc, marker)
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert b"Traceback" not in err


def _key_tree(tmp_path: Path, n: int = 1) -> Path:
    root = tmp_path / "src"
    root.mkdir()
    (root / "leak.env").write_text("".join(f"KEY{i}={v2_key()}\n" for i in range(n)))
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_full_disk_output_is_a_clear_error(tmp_path: Path, fmt: str) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    proc = run("dir", str(_key_tree(tmp_path)), "--format", fmt, "--output", "/dev/full", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cannot write /dev/full: No space left on device" in proc.stderr
    assert oct(os.stat("/dev/full").st_mode & 0o777) == "0o666"  # the device itself is left alone


def test_output_to_dev_null_keeps_the_device_usable(tmp_path: Path) -> None:
    proc = run("dir", str(_key_tree(tmp_path)), "--output", "/dev/null", timeout=60)
    assert proc.returncode == 1
    assert os.stat("/dev/null").st_mode & 0o777 == 0o666


@pytest.mark.parametrize("where", ["missing-dir", "is-a-directory", "read-only-proc"])
def test_unwritable_output_is_a_clear_error(tmp_path: Path, where: str) -> None:
    target = {
        "missing-dir": str(tmp_path / "no" / "such" / "dir" / "report.json"),
        "is-a-directory": str(tmp_path),
        "read-only-proc": "/proc/version",
    }[where]
    proc = run("dir", str(_key_tree(tmp_path)), "--format", "json", "--output", target, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 4 and target in proc.stderr, proc.stderr  # click's usage error for a directory


def test_broken_pipe_exits_quietly(tmp_path: Path) -> None:
    """`mindee-scan dir | head -1` on a report far bigger than a pipe buffer."""
    tree = _key_tree(tmp_path, n=3000)
    cmd = " ".join(f"'{c}'" for c in cli_path()) + f" dir '{tree}' | head -1"
    proc = subprocess.run(
        ["bash", "-c", f'set -o pipefail; {cmd}; echo "rc=${{PIPESTATUS[0]}}" >&2'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    rc = int(proc.stderr.strip().rsplit("rc=", 1)[1])
    assert rc == 1, f"findings were made, so the exit code says so even when the reader left: {rc}"


def test_closed_stdout_is_not_a_crash(tmp_path: Path) -> None:
    tree = _key_tree(tmp_path, n=200)
    proc = subprocess.run([*cli_path(), "dir", str(tree)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    closed = subprocess.run(
        ["bash", "-c", " ".join(f"'{c}'" for c in cli_path()) + f" dir '{tree}' >&-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in closed.stderr, closed.stderr


# --- the verifier against a hostile network ------------------------------------------------------


class _RawServer:
    """A TCP server on 127.0.0.1 that misbehaves in one chosen way for every connection."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            try:
                conn.recv(65536)
                if self.mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    conn.close()
                elif self.mode == "garbage":
                    conn.sendall(b"\x00\xffnot http at all\r\n\r\n" * 100)
                    conn.close()
                elif self.mode == "truncated":
                    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{"models": [')
                    conn.close()
                elif self.mode == "huge":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
                    for _ in range(300):
                        conn.sendall(b"[" * 10_000)
                    conn.close()
                # "hang": accept, read, never answer
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for c in self._conns:
            c.close()
        self.sock.close()


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Iterator[_RawServer]:
    server = _RawServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("raw_server", ["reset", "garbage", "truncated", "huge", "hang"], indirect=True)
def test_verifier_network_failures_are_unknown_never_a_crash(tmp_path: Path, raw_server: _RawServer) -> None:
    root = tmp_path / "src"
    root.mkdir()
    key, legacy = v2_key(), v1_key()
    (root / "leak.env").write_text(f"MINDEE_V2_API_KEY={key}\nMINDEE_API_KEY={legacy}\n")
    url = f"http://127.0.0.1:{raw_server.port}"
    proc = run(
        "dir", str(root), "--verify", "--format", "json", "--mindee-v2-url", url, "--mindee-v1-url", url + "/v1",
        env={"MINDEE_SCAN_VERIFY_TIMEOUT": "1"}, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    verdicts = {f["rule_id"]: f["verification"]["verdict"] for f in doc["findings"]}
    # A 200 whose body is not Mindee's answer (cut short, oversized) proves nothing about the key.
    assert set(verdicts.values()) == {"unknown"}, verdicts
    assert key not in proc.stdout + proc.stderr and legacy not in proc.stdout + proc.stderr


def test_verifier_connection_refused_is_unknown(tmp_path: Path) -> None:
    root = tmp_path / "src"
    root.mkdir()
    (root / "leak.env").write_text(f"MINDEE_V2_API_KEY={v2_key()}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    proc = run("dir", str(root), "--verify", "--format", "json", "--mindee-v2-url", f"http://127.0.0.1:{port}",
               timeout=60)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["verification"]["verdict"] == "unknown"


@pytest.mark.parametrize(
    ("entry", "module", "function"),
    [(["git", "."], "scanner.app.history", "scan_repository"), (["pre-commit"], "scanner.app.staged", "_scan_staged")],
    ids=["command-line", "lean-hook"],
)
def test_an_internal_error_exits_2_with_the_key_masked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    entry: list[str],
    module: str,
    function: str,
) -> None:
    """A bug must not look like 'findings' (exit 1) to CI, nor print the scanned bytes it choked on:
    through click (`git`) and through the hook's lean path, which bypasses click."""
    import importlib

    from scanner.hookrun import console
    from tests.testing.gitutil import commit_file, init_repo, stage_file

    repo = init_repo(tmp_path / "r")
    commit_file(repo, "a.txt", "a\n")
    # A staged key-shaped value: the hook's clean-commit fast path steps aside for the full path.
    stage_file(repo, "b.txt", f"MINDEE_API_KEY={v2_key()}\n")
    monkeypatch.chdir(repo)
    key = v2_key()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"could not decode {key!r}")

    monkeypatch.setattr(importlib.import_module(module), function, broken)
    assert console(entry) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError" in err and "Traceback" not in err
    assert key not in err and key[:7] in err
    monkeypatch.setenv("MINDEE_SCAN_TRACEBACK", "1")
    assert console(entry) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "in broken" in err and key not in err
