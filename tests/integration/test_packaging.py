"""The wheel must ship every subpackage and the rule files: a missing one breaks only fresh installs."""

from __future__ import annotations

import tomllib

from tests.testing import paths

ROOT = paths.ROOT


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_scanner_package_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "scanner").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    missing = on_disk - listed
    assert not missing, f"add to [tool.setuptools] packages: {sorted(missing)}"


def test_rule_files_ship_as_package_data() -> None:
    tool = _pyproject()["tool"]["setuptools"]
    (pkg,) = [name for name, folder in tool["package-dir"].items() if folder == "rules"]
    assert pkg in tool["packages"]
    assert "*.yaml" in tool["package-data"][pkg]
    assert list((ROOT / "rules").glob("*.yaml"))


def test_console_script_and_pre_commit_hooks_exist() -> None:
    # The console script starts in the lean hook module: `mindee-scan staged` skips click entirely.
    assert _pyproject()["project"]["scripts"]["mindee-scan"] == "scanner.hookrun:console"
    assert (ROOT / ".pre-commit-hooks.yaml").is_file()
