"""Run `mindee-scan`: in process (`invoke`, most tests) or as the installed console script in a real
subprocess (`run`: start-up, signals, terminals, hooks, what users and git hooks do)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def cli_path() -> list[str]:
    exe = shutil.which("mindee-scan", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "scanner"]


def run(
    *args: str,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*cli_path(), *args],
        cwd=cwd,
        env=full_env,
        input=input.decode() if input else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_json(*args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    proc = run(*args, "--format", "json", **kwargs)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def invoke(
    *args: str,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """`mindee-scan ARGS` in this process, through the console script's own entry (`scanner.hookrun.console`).

    Same result shape as `run`: exit code, stdout and stderr as text; stdin is `input` (else empty),
    `env` is laid over os.environ for the call, `cwd` is entered for the call. Forked pool workers work
    as in the CLI. What an in-process call cannot show (start-up, signals, a real terminal, the process
    exiting) stays with `run`.
    """
    from click.testing import CliRunner

    from scanner.hookrun import console

    argv = [*args]
    with CliRunner().isolation(input=input, env=env) as (out, err, _), contextlib.chdir(cwd or os.getcwd()):
        code = console(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    return subprocess.CompletedProcess(
        ["mindee-scan", *args], code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    )


def invoke_json(*args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """`run_json`, in process."""
    proc = invoke(*args, "--format", "json", **kwargs)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def hold_env(tmp_path: Path, event: str, needle: str) -> tuple[dict[str, str], Path]:
    """Environment for a CLI subprocess that stops for good at its first `event` audit event naming `needle`.

    Tests that interrupt a scan "mid-scan" used to sleep a fixed time and hope the scan was still running
    (it was not on a fast machine). This holds the real CLI at a known point instead: a sitecustomize adds
    an audit hook (`sys.addaudithook`; forked workers inherit it) that, on e.g. `open` of a file whose name
    ends with `needle` or `subprocess.Popen` of a command holding `needle`, appends its pid to the returned
    marker file and sleeps until a signal arrives. Wait for the marker with `wait_held`, then signal.
    """
    site = tmp_path / "_hold_site"
    site.mkdir()
    marker = tmp_path / "_held"
    (site / "sitecustomize.py").write_text(
        "import os, sys, time\n"
        f"_EVENT, _NEEDLE, _MARK = {event!r}, {needle!r}, {str(marker)!r}\n"
        "def _hook(event, args):\n"
        "    if event != _EVENT or not args:\n"
        "        return\n"
        "    what = args[0] if event == 'open' else args[1]\n"
        "    if isinstance(what, (str, bytes, os.PathLike)):\n"
        "        hit = os.fsdecode(what).endswith(_NEEDLE)\n"
        "    elif isinstance(what, (list, tuple)):\n"
        "        hit = any(_NEEDLE in os.fsdecode(a) for a in what if isinstance(a, (str, bytes)))\n"
        "    else:\n"
        "        hit = False\n"
        "    if hit:\n"
        "        fd = os.open(_MARK, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)\n"
        "        os.write(fd, b'%d\\n' % os.getpid())\n"
        "        os.close(fd)\n"
        "        while True:\n"
        "            time.sleep(3600)\n"
        "sys.addaudithook(_hook)\n"
    )
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": str(site) + (os.pathsep + path if path else "")}, marker


def wait_held(proc: subprocess.Popen[bytes], marker: Path, timeout: float = 60) -> None:
    """Block until the held subprocess reached its hold point (a bound on a hang, not a timing)."""
    deadline = time.monotonic() + timeout
    while not (marker.exists() and marker.read_text().strip()):
        assert proc.poll() is None, f"exited {proc.returncode} before reaching the hold point"
        assert time.monotonic() < deadline, "never reached the hold point"
        time.sleep(0.02)
