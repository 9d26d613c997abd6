"""Test-wide safety: git never reads the developer's config, and tests never reach the network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.testing.gitutil import HERMETIC_ENV
from tests.testing.netguard import NetGuard


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current reports (review the diff before committing)",
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
