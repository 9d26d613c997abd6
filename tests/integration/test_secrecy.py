"""Secrets stay secret: every byte the process writes is captured and searched for the planted keys.

Captured: stdout, stderr (with -v, under a pseudo-terminal so progress displays run), every report
format written with --output, and every file left in a private HOME, XDG dirs and TMPDIR (caches,
stores, temp files). With --show-secrets the same harness must see the keys, so it can fail.
"""

from __future__ import annotations

import base64
import os
import pty
import select
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from tests.testing.cli import cli_path
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v1_key, v2_key, v2_long_key
from tests.testing.mindee_mock import MindeeMock

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # every format, every command, under a terminal

FORMATS = ["text", "json", "jsonl", "sarif", "html", "junit", "csv"]


class Sandbox:
    """A private HOME/XDG/TMPDIR so every file the CLI leaves behind can be inspected."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.env = {
            "HOME": str(base / "home"),
            "XDG_CACHE_HOME": str(base / "cache"),
            "XDG_DATA_HOME": str(base / "data"),
            "XDG_CONFIG_HOME": str(base / "config"),
            "TMPDIR": str(base / "tmp"),
            "MINDEE_SCAN_VERIFY_TIMEOUT": "2",
        }
        for path in self.env.values():
            if path.startswith(str(base)):
                Path(path).mkdir(parents=True, exist_ok=True)

    def run(self, *args: str, cwd: Path | None = None, tty: bool = False) -> bytes:
        """Everything the process wrote to stdout and stderr."""
        env = {**os.environ, **self.env}
        if not tty:
            done = subprocess.run([*cli_path(), *args], cwd=cwd, env=env, capture_output=True, timeout=120)
            assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
            return done.stdout + done.stderr
        controller, terminal = pty.openpty()
        proc = subprocess.Popen([*cli_path(), *args], cwd=cwd, env=env, stdout=terminal, stderr=terminal)
        os.close(terminal)
        out = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        proc.wait(60)
        os.close(controller)
        assert proc.returncode in (0, 1), out.decode(errors="replace")
        return out

    def left_behind(self) -> dict[str, bytes]:
        """Every file under the sandbox's HOME/XDG/TMPDIR, with SQLite stores dumped as text too."""
        files: dict[str, bytes] = {}
        for name in ("home", "cache", "data", "config", "tmp"):
            for path in (self.base / name).rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    if data.startswith(b"SQLite format 3"):
                        con = sqlite3.connect(path)
                        data += "\n".join(con.iterdump()).encode()
                        con.close()
                    files[str(path)] = data
        return files


def _variants(key: str) -> list[bytes]:
    """The key as written, and the encodings a report or store could carry it in."""
    raw = key.encode()
    return [raw, base64.b64encode(raw), raw.hex().encode(), key[::-1].encode()]


def _assert_absent(keys: list[str], blobs: dict[str, bytes]) -> None:
    for where, blob in blobs.items():
        for key in keys:
            for form in _variants(key):
                assert form not in blob, f"key {key[:7]}… found in clear in {where}"


def _corpus(root: Path) -> list[str]:
    """Keys in every shape and hiding place the scanner decodes."""
    keys = [v2_key(), v2_long_key(), v1_key(), v2_key(), v2_key(), v2_key(), v2_long_key()]
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.env").write_text(f"MINDEE_V2_API_KEY={keys[0]}\nOTHER={keys[1]}\n")
    (root / "settings.py").write_text(f'MINDEE_API_KEY = "{keys[2]}"\n')
    secret_b64 = base64.b64encode(f"MINDEE_V2_API_KEY={keys[3]}".encode()).decode()
    (root / "k8s.yaml").write_text(f"apiVersion: v1\nkind: Secret\ndata:\n  env: {secret_b64}\n")
    (root / "keys.ts").write_text(f'const KEYS = ["{keys[5]}", "{keys[6]}"];\n')  # two on one line
    (root / "notebook.ipynb").write_text('{"cells": [{"source": ["key = \\"' + keys[4] + '\\"\\n"]}]}\n')
    return keys


def _reports(sb: Sandbox, out_dir: Path, *scan: str, cwd: Path | None = None) -> dict[str, bytes]:
    """Run the scan once per format (to stdout with -v, and to --output) and collect every byte."""
    blobs: dict[str, bytes] = {}
    out_dir.mkdir(exist_ok=True)
    for fmt in FORMATS:
        if fmt in ("text", "json", "html"):  # the other formats to stdout are the same strings (CI time)
            blobs[f"{fmt} stdout+stderr"] = sb.run(*scan, "--format", fmt, "-v", cwd=cwd)
        report = out_dir / f"report.{fmt}"
        blobs[f"{fmt} output stderr"] = sb.run(*scan, "--format", fmt, "--output", str(report), cwd=cwd)
        blobs[f"{fmt} report"] = report.read_bytes()
        assert stat.S_IMODE(report.stat().st_mode) == 0o600, f"{report} is not private"
    return blobs


def test_dir_scan_never_writes_a_key_in_clear(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "sb")
    keys = _corpus(tmp_path / "src")
    blobs = _reports(sb, tmp_path / "out", "dir", str(tmp_path / "src"))
    blobs["tty"] = sb.run("dir", str(tmp_path / "src"), "-v", tty=True)
    assert all(b"mindee-api-key" in blobs[f"{fmt} report"] for fmt in ("json", "sarif", "csv"))
    _assert_absent(keys, {**blobs, **sb.left_behind()})


def test_show_secrets_does_print_them_so_the_harness_can_fail(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "sb")
    keys = _corpus(tmp_path / "src")
    out = sb.run("dir", str(tmp_path / "src"), "--format", "json", "--show-secrets")
    for key in keys:
        assert key.encode() in out
    with pytest.raises(AssertionError):
        _assert_absent(keys, {"stdout": out})


def test_git_scan_and_hooks_never_write_a_key_in_clear(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "sb")
    repo = init_repo(tmp_path / "repo")
    keys = [v2_key(), v2_long_key(), v1_key(), v2_key()]
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={keys[0]}\n")
    commit_file(repo, "a.env", "MINDEE_V2_API_KEY=${FROM_VAULT}\n", message="remove key")
    commit_file(repo, "b.py", f'MINDEE_API_KEY = "{keys[2]}"\nx = "{keys[1]}"\n')
    commit_file(repo, "c.txt", "notes\n", message=f"temporary: key is {keys[3]}")
    blobs = _reports(sb, tmp_path / "out", "git", str(repo))
    blobs["git progress on a tty"] = sb.run("git", str(repo), "-v", "--progress", tty=True)
    staged_key = v2_key()
    keys.append(staged_key)
    (repo / "new.env").write_text(f"MINDEE_V2_API_KEY={staged_key}\n")
    git(repo, "add", "new.env")
    for fmt in ("text", "json", "sarif"):
        blobs[f"staged {fmt}"] = sb.run("staged", "--format", fmt, "-v", cwd=repo)
    assert b"mindee-api-key" in blobs["json report"]
    _assert_absent(keys, {**blobs, **sb.left_behind()})


def test_audit_store_and_verification_keep_no_key_in_clear(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "sb")
    repo = init_repo(tmp_path / "repo")
    live, dead = v2_key(), v2_key()
    commit_file(repo, "a.env", f"MINDEE_V2_API_KEY={live}\nSECOND={dead}\n")
    db = tmp_path / "sb" / "data" / "store.db"
    with MindeeMock() as mindee:
        mindee.live_v2(live, ["invoices"])
        url = ["--mindee-v2-url", mindee.v2_url]
        blobs = {
            "audit": sb.run("audit", str(repo), "--db", str(db), "--verify", *url, "-j", "1"),
            "findings list": sb.run("findings", "list", "--db", str(db)),
            "verified dir scan": sb.run("dir", str(repo), "--verify", *url, "--format", "json", "-v"),
        }
    assert db.exists() and stat.S_IMODE(db.stat().st_mode) == 0o600
    assert b"live" in blobs["verified dir scan"]
    _assert_absent([live, dead], {**blobs, **sb.left_behind()})


def test_remediation_file_holds_keys_but_is_private(tmp_path: Path) -> None:
    """`--remediation-file` must hold the literal key (git filter-repo needs it): 0600, nowhere else."""
    sb = Sandbox(tmp_path / "sb")
    keys = _corpus(tmp_path / "src")
    target = tmp_path / "replace.txt"
    out = sb.run("dir", str(tmp_path / "src"), "--remediation-file", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert keys[0].encode() in target.read_bytes()
    _assert_absent(keys, {"stdout+stderr": out, **sb.left_behind()})


def test_error_messages_do_not_echo_a_key(tmp_path: Path) -> None:
    """A config (possibly from an untrusted repository) that quotes a key in a bad value."""
    key, legacy = v2_key(), v1_key()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"rules:\n  disable: [{key}, {legacy}]\n")
    proc = subprocess.run([*cli_path(), "dir", str(tmp_path), "--config", str(cfg)], capture_output=True)
    assert proc.returncode == 2
    assert b"cannot disable unknown rule" in proc.stderr
    _assert_absent([key, legacy], {"stderr": proc.stderr, "stdout": proc.stdout})
