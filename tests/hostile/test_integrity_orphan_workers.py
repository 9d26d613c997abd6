"""A SIGKILLed `audit -j 2` leaves nothing behind: its pool workers, and the git each was running, die too."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testing.cli import cli_path

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers"),
]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(p) for p in fh.read().split())
    return out


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = _children(pid)
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(_children(child))
    return out


def _alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie waits for an init that may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@contextlib.contextmanager
def _silent_http_server() -> Iterator[int]:
    """Accepts connections and never answers: a clone from it hangs until killed."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_sigkilled_audit_leaves_no_worker_behind(tmp_path: Path) -> None:
    with _silent_http_server() as port:
        urls = [f"http://127.0.0.1:{port}/{name}.git" for name in ("one", "two")]
        proc = subprocess.Popen(
            [
                *cli_path(),
                "audit",
                *urls,
                "--db",
                str(tmp_path / "a.db"),
                "--cache-dir",
                str(tmp_path / "c"),
                "-j",
                "2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started: list[int] = []
        try:
            deadline = time.monotonic() + 60
            workers: list[int] = []
            while time.monotonic() < deadline:
                workers = _children(proc.pid)
                if len(workers) >= 2 and all(_children(w) for w in workers):
                    break  # both workers are running a clone
                time.sleep(0.1)
            else:
                pytest.fail(f"the audit never had two workers cloning: {workers}")
            started = _descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)  # the parent only, as a CI runner's timeout does
            proc.wait()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(_alive(p) for p in started):
                time.sleep(0.1)
            left = [p for p in started if _alive(p)]
            assert not left, f"still running after the audit was killed: {left}"
        finally:
            for pid in started:  # whatever this test started and is still there
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
