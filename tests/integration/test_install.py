"""A user's install: the wheel, built from this checkout, in a clean virtual environment WITHOUT the
test extras, scans files and history. A missing package or rule file, or a runtime import of a test or
dev dependency, fails here and nowhere else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.testing import paths
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key

ROOT = paths.ROOT


def _run(*argv: str | Path, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheel_in_a_clean_venv_without_test_extras(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = dist.glob("mindee_scan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"scanner/ci/github.py", "scanner/report/gitlab.py", "scanner/rule_data/mindee.yaml"} <= names
    assert not any(n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    py = venv / "bin" / "python"
    installed = _run(py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    assert installed.returncode == 0, installed.stderr[-3000:]
    listed = _run(py, "-m", "pip", "list", "--format=freeze").stdout.lower()
    for extra in ("pytest", "hypothesis", "dask", "pre-commit", "jsonschema", "ruff", "mypy", "gitpython"):
        assert f"{extra}==" not in listed, f"{extra} is not a runtime dependency"
    assert "click==" in listed and "pyyaml==" in listed

    cli = venv / "bin" / "mindee-scan"
    key = v2_key()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text(f"MINDEE_API_KEY = '{key}'\n")
    found = _run(cli, "dir", tree)
    assert found.returncode == 1 and "settings.py:1:" in found.stdout, found.stderr
    assert key not in found.stdout

    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "old.env", f"MINDEE_API_KEY={key}\n")
    commit_file(repo, "old.env", "MINDEE_API_KEY=\n", message="remove the key")
    history = _run(cli, "git", repo, "--format", "gitlab")
    assert history.returncode == 1, history.stderr
    assert '"file": "old.env"' in history.stdout
    assert _run(cli, "dir", repo / "old.env").returncode == 0  # the working tree is clean, the history is not
    assert _run(py, "-c", "import scanner.ci.github, scanner.ci.gitlab").returncode == 0
