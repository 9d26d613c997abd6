"""The two suites (tests/conftest.py): plain `pytest -q` leaves out slow and hostile tests and says so;
`--all` (what .ci/run runs) and named paths run everything. Two real collections: slow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.testing import paths

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _collect(*args: str) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    return ids, proc.stdout


def test_quick_suite_leaves_out_slow_and_hostile_and_all_runs_everything() -> None:
    quick, out = _collect()
    full, _ = _collect("--all")
    assert quick and set(quick) < set(full)
    assert not [i for i in quick if i.startswith(("tests/hostile/", "tests/hardening/"))]
    assert "tests/integration/test_suites.py::test_quick_suite_leaves_out_slow_and_hostile_and_all_runs_everything" in (
        set(full) - set(quick)
    )
    assert any(i.startswith("tests/hostile/") for i in full) and any(i.startswith("tests/hardening/") for i in full)
    assert f"{len(full) - len(quick)} slow/hostile tests not run" in out  # the summary says what was left out


def test_a_named_folder_runs_all_of_it() -> None:
    named, _ = _collect("tests/hostile")
    marked, _ = _collect("-m", "hostile")
    assert named and set(named) <= set(marked)
