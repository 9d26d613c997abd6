"""Start-up stays light: `--help`, a small `dir` scan and the pre-commit entry import no heavy module.

Each case runs the real entry point in a fresh interpreter and lists `sys.modules` at exit, the way
click's own test_light_imports does. A heavy import creeping into these paths costs every hook run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.gitutil import HERMETIC_ENV
from tests.testing.keys import v2_key

# Never on the light paths: network stacks, databases, schema validators, GitPython, Dask.
HEAVY = (
    "git",  # GitPython (not a dependency; 0.3-0.6 s to import): never again on these paths
    "urllib.request",
    "http",
    "http.client",
    "ssl",
    "email",
    "sqlite3",
    "jsonschema",
    "dask",
    "requests",
    "xml.dom",
    "hypothesis",
)
# Only when work is big enough to pay for workers.
POOL = ("multiprocessing", "concurrent.futures")

_DRIVER = """
import json, runpy, sys
out, argv = sys.argv[1], sys.argv[2:]
sys.argv = argv
code = 0
try:
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        from scanner.cli.main import main
        code = main(argv[1:])
except SystemExit as exc:
    code = exc.code
with open(out, "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def _modules(
    tmp_path: Path, *argv: str, cwd: Path | None = None, cache: Path | None = None, no_cache: bool = False
) -> tuple[int, set[str]]:
    out = tmp_path / "modules.json"
    env = {**HERMETIC_ENV, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    env["MINDEE_SCAN_CACHE_DIR"] = str(cache or tmp_path / "cache")
    if no_cache:
        env["MINDEE_SCAN_NO_CACHE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(out), *argv],
        cwd=cwd or tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), proc.stderr
    doc = json.loads(out.read_text())
    return int(doc["code"] or 0), set(doc["modules"])


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_imports_no_command_and_nothing_heavy(tmp_path: Path) -> None:
    code, modules = _modules(tmp_path, "mindee-scan", "--help")
    assert code == 0
    assert _heavy(modules, (*HEAVY, *POOL, "yaml", "hyperscan")) == []
    assert not any(m.startswith("scanner.cli.") and m not in ("scanner.cli.main",) for m in modules)
    assert "scanner.detect.engine" not in modules


@pytest.fixture()
def small_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text(f"MINDEE_V2_API_KEY = '{v2_key()}'\n")
    (tree / "README.md").write_text("nothing to see\n")
    return tree


def test_small_dir_scan_is_serial_and_light(tmp_path: Path, small_tree: Path) -> None:
    cache = tmp_path / "cache"
    code, modules = _modules(tmp_path, "mindee-scan", "dir", str(small_tree), cache=cache)
    assert code == 1, "the planted key must be found"
    assert _heavy(modules, (*HEAVY, *POOL)) == []
    assert "scanner.verify" not in modules
    # Second run: rules and the Hyperscan database come from the cache, so PyYAML is not even imported.
    assert any(cache.iterdir()), "the first run fills the cache"
    code, modules = _modules(tmp_path, "mindee-scan", "dir", str(small_tree), cache=cache)
    assert code == 1
    assert _heavy(modules, (*HEAVY, *POOL, "yaml")) == []
    # Without the cache the rules are parsed from YAML: proof that the check above can see an import.
    code, modules = _modules(tmp_path, "mindee-scan", "dir", str(small_tree), no_cache=True)
    assert code == 1
    assert "yaml" in modules


# What the interpreter (or an editable install's import finder) may have imported before the scanner:
# dropped from sys.modules first, so that an import of them by the scanner shows up again.
_PRE_IMPORTED = ("pathlib", "fnmatch", "ntpath", "urllib", "urllib.parse", "ipaddress")
_CLEAN_DRIVER = f"""
import sys
for name in {_PRE_IMPORTED!r}:
    sys.modules.pop(name, None)
""" + _DRIVER.replace("import json, runpy, sys", "import runpy, sys").replace(
    "with open(out", "import json\nwith open(out"
)


def test_dir_scan_start_up_skips_pathlib_and_secrets(tmp_path: Path, small_tree: Path) -> None:
    """`pathlib` (with the urllib.parse and ipaddress it brings) and `secrets` (with hmac, hashlib and
    random) were 12 ms of every scan's start-up, for one file name and one random marker."""
    out = tmp_path / "modules.json"
    env = {**HERMETIC_ENV, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    env["MINDEE_SCAN_CACHE_DIR"] = str(tmp_path / "cache")
    report = tmp_path / "report.json"
    argv = ["mindee-scan", "dir", str(small_tree), str(small_tree / "README.md"), "-f", "json", "-o", str(report)]
    for _ in range(2):  # the second run is the warm one (rules and database from the cache)
        proc = subprocess.run(
            [sys.executable, "-c", _CLEAN_DRIVER, str(out), *argv],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        doc = json.loads(out.read_text())
        assert doc["code"] == 1, proc.stderr
    assert json.loads(report.read_text())["findings"], "the planted key is reported"
    heavy = _heavy(set(doc["modules"]), (*_PRE_IMPORTED, "secrets", "hmac", "random"))
    assert heavy == [], ", ".join(heavy)


def test_pre_commit_entry_is_light(tmp_path: Path) -> None:
    from tests.testing.gitutil import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "a.py")
    cache = tmp_path / "cache"
    for _ in range(2):  # the second run is the warm one a developer sees on every commit
        code, modules = _modules(tmp_path, "-m", "scanner.hookrun", "pre-commit", "a.py", cwd=repo, cache=cache)
    assert code == 0
    assert _heavy(modules, (*HEAVY, *POOL, "yaml", "click")) == []
    # Needed only to read an ignore file or a baseline (issue 18: the hook's import set is what it runs).
    assert _heavy(modules, ("shlex", "datetime", "hashlib")) == []
    # A clean commit is decided by the fast path (scanner.app.quickstaged): one git process started
    # without `subprocess`, the cached prefilter database, and none of the detector, the full staged
    # reader, the settings, the result model or the renderers.
    assert "scanner.app.quickstaged" in modules
    assert _heavy(modules, FULL_PATH) == []
    # A key: the full path decides, still without click or PyYAML.
    (repo / "b.py").write_text(f"MINDEE_V2_API_KEY = '{v2_key()}'\n")
    git(repo, "add", "b.py")
    code, modules = _modules(tmp_path, "-m", "scanner.hookrun", "pre-commit", "b.py", cwd=repo, cache=cache)
    assert code == 1
    assert "scanner.detect.engine" in modules
    assert _heavy(modules, (*HEAVY, *POOL, "yaml", "click")) == []  # (hashlib: fingerprints of findings)


# What a clean pre-commit run must not import (the full path's modules, and what only they need).
FULL_PATH = (
    "subprocess",
    "threading",
    "scanner.model",
    "scanner.config",
    "scanner.errors",
    "scanner.detect.engine",
    "scanner.detect.rules",
    "scanner.detect.rulecache",
    "scanner.app.staged",
    "scanner.app.run",
    "scanner.sources.git.gitio",
    "scanner.sources.git.staged",
    "scanner.suppress",
    "scanner.report",
)


def test_clean_commit_through_the_git_hook_imports_no_typing_re_or_enum(tmp_path: Path) -> None:
    """The real process of the hook install-hook writes, on a warm clean commit, listed by -X importtime
    (the driver above imports json, and so `re`): `typing`, `re` and `enum` were a third of a bare
    interpreter's start-up, and the fast path needs none of them."""
    from tests.testing.gitutil import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    # A Mindee client's file: the word `mindee` is a wide rule's hit, passed over (scanner/detect/reach.py).
    (repo / "client.py").write_text("import mindee\n\nmindee_client = mindee.Client(api_key='my-api-key')\n")
    git(repo, "add", "a.py", "client.py")
    env = {**HERMETIC_ENV, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    env["MINDEE_SCAN_CACHE_DIR"] = str(tmp_path / "cache")

    def imported(*argv: str) -> set[str]:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", *argv], cwd=repo, env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}

    imported("-m", "scanner.hookrun", "pre-commit")  # fills the cache
    # Less what the interpreter imports by itself (an editable install's finder imports `re` and `pathlib`).
    modules = imported("-m", "scanner.hookrun", "pre-commit") - imported("-c", "pass")
    assert "scanner.app.quickstaged" in modules
    assert _heavy(modules, ("typing", "re", "enum", "json", "hyperscan")) == []  # (its C extension: loaded alone)
    assert _heavy(modules, FULL_PATH) == []
