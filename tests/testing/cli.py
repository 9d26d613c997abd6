"""Run the installed `mindee-scan` as a real subprocess, the way users and hooks do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
