"""Test-wide safety and the two suites.

Safety: git never reads the developer's config, tests never reach the network (sockets connect only
to loopback: tests/testing/netguard.py), and the start-up cache lives in the run's temp folder, not the
developer's ~/.cache (subprocesses inherit it).

Suites: `pytest -q` alone is the quick suite (under 90 s on two cores): tests marked `slow` (heavy data,
installs, tests/hardening/) or `hostile` (tests/hostile/) are deselected, and the summary says how many.
`pytest -q --all` is the full suite, what CI runs (.ci/run). Naming paths or node ids, or giving `-m`,
selects exactly what was asked: `pytest tests/hostile`, `pytest -m slow`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.testing.gitutil import HERMETIC_ENV
from tests.testing.mindee_mock import MindeeMock, serve_elsewhere, serve_mindee
from tests.testing.netguard import NetGuard

# No test times itself, hypothesis's tests included: no per-example deadline, no "too slow" health check.
settings.register_profile("no-wall-time", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("no-wall-time")

HEAVY_MARKERS = ("slow", "hostile")
_DESELECTED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        default=False,
        help="the full suite, as CI runs it: `slow` and `hostile` tests too (plain `pytest -q` skips them)",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current reports (review the diff before committing)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """One start-up cache for the whole run (warm after the first build), kept out of the user's home.
    Set here, before collection: test modules that build a detector at import time use it too."""
    import shutil
    import tempfile

    if "MINDEE_SCAN_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="mindee-scan-test-cache-")
        os.environ["MINDEE_SCAN_CACHE_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def quick_suite(config: pytest.Config) -> bool:
    """The default run: no --all, no -m, no paths or node ids of the user's own."""
    if config.getoption("--all") or config.getoption("markexpr"):
        return False
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


@pytest.hookimpl(trylast=True)  # after tests/hostile/conftest.py and tests/hardening/conftest.py mark theirs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not quick_suite(config):
        return
    keep: list[pytest.Item] = []
    heavy: list[pytest.Item] = []
    for item in items:
        (heavy if any(item.get_closest_marker(m) for m in HEAVY_MARKERS) else keep).append(item)
    config.stash[_DESELECTED] = len(heavy)
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    skipped = config.stash.get(_DESELECTED, 0)
    if skipped:
        terminalreporter.write_line(
            f"quick suite: {skipped} slow/hostile tests not run; `pytest -q --all` runs the full suite CI runs"
        )


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in HERMETIC_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "MINDEE_SCAN_V2_URL", "MINDEE_SCAN_V1_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetGuard]:
    """Sockets connect only to loopback (the servers a test starts); a refused attempt fails the test."""
    guard = NetGuard()
    guard.install(monkeypatch)
    yield guard
    if guard.attempts:
        pytest.fail("the test tried to reach the network: " + "; ".join(guard.attempts), pytrace=False)


@pytest.fixture
def mindee() -> Iterator[MindeeMock]:
    """A fake Mindee on 127.0.0.1 that fails the test on any malformed request."""
    yield from serve_mindee()


@pytest.fixture
def elsewhere() -> Iterator[MindeeMock]:
    """Another host (127.0.0.2) that must never be contacted."""
    yield from serve_elsewhere()
