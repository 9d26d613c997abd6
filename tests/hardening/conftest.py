"""Robustness under heavy or broken input (big files, many files, damaged repositories, signals): all `slow`.

They run in CI (`pytest -q --all`) and when named (`pytest tests/hardening`), not in the quick suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
