"""Helpers for the audit tests (no tests here): a fleet of a dozen real repositories built with git.

Some repositories share a key, one is corrupt, one clone URL is unreachable, one is only reachable
through a `file://` clone URL, one is bare; keys are synthetic and generated at run time.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key


@dataclass
class Fleet:
    root: Path
    folder: Path  # a folder of work-tree repositories
    list_file: Path  # lists a bare repository path and two clone URLs
    keys: dict[str, str] = field(default_factory=dict)
    repos: dict[str, Path] = field(default_factory=dict)
    url_ok: str = ""
    url_missing: str = ""

    @property
    def targets(self) -> list[str]:
        return [str(self.folder), str(self.list_file)]

    @property
    def total(self) -> int:
        return 12


def _env_line(key: str) -> str:
    return f"MINDEE_API_KEY={key}\n"


def build_fleet(root: Path) -> Fleet:
    keys = {name: v2_key() for name in "ABCDEFGH"}
    folder = root / "fleet"
    fleet = Fleet(root=root, folder=folder, list_file=root / "lists" / "more-repos.txt", keys=keys)

    def repo(name: str) -> Path:
        path = init_repo(folder / name)
        fleet.repos[name] = path
        return path

    r = repo("app-00")  # shared key A, still at HEAD
    commit_file(r, "config/.env", _env_line(keys["A"]), "add config", date="2021-03-01T10:00:00+00:00")
    commit_file(r, "README.md", "# app 00\n", "readme", date="2021-03-02T10:00:00+00:00")

    r = repo("app-01")  # key B added then removed: only in history
    commit_file(r, "settings.py", f'API_KEY = "{keys["B"]}"\n', "settings", date="2020-05-01T10:00:00+00:00")
    commit_file(
        r, "settings.py", 'API_KEY = os.environ["MINDEE_API_KEY"]\n', "use env", date="2020-05-02T10:00:00+00:00"
    )

    r = repo("app-02")  # shared key A again, introduced earlier than in app-00
    commit_file(r, "deploy/.env", _env_line(keys["A"]), "deploy", date="2020-01-15T10:00:00+00:00")

    r = repo("app-03")  # key C only on a feature branch
    commit_file(r, "main.py", "print('hello')\n", "init", date="2022-01-01T10:00:00+00:00")
    git(r, "checkout", "-q", "-b", "feature")
    commit_file(r, "feature.env", _env_line(keys["C"]), "feature", date="2022-01-02T10:00:00+00:00")
    git(r, "checkout", "-q", "main")

    r = repo("app-04")  # clean, a few commits
    for i in range(3):
        commit_file(r, f"src/mod{i}.py", f"VALUE = {i}\n" * 20, f"mod {i}", date=f"2023-01-0{i + 1}T10:00:00+00:00")

    r = repo("app-05")  # key A in two files, and key D
    commit_file(r, "a/.env", _env_line(keys["A"]), "a", date="2021-06-01T10:00:00+00:00")
    commit_file(r, "b/.env", _env_line(keys["A"]) + _env_line(keys["D"]), "b", date="2021-06-02T10:00:00+00:00")

    r = repo("app-06")  # key H, and a config of its own that would allowlist it: an audit must ignore that
    commit_file(
        r,
        ".mindee-scan.yaml",
        "allowlist:\n  paths: ['**']\n  regexes: ['.*']\n",
        "hide my keys",
        date="2023-02-01T10:00:00+00:00",
    )
    commit_file(r, "doc.env", _env_line(keys["H"]), "doc", date="2023-02-02T10:00:00+00:00")

    r = repo("app-07")  # key E, tagged
    commit_file(r, "release.env", _env_line(keys["E"]), "release", date="2023-03-01T10:00:00+00:00")
    git(r, "tag", "-a", "v1.0", "-m", "v1.0")

    r = repo("app-08")  # corrupt: HEAD is garbage, git refuses the repository
    commit_file(r, "x.txt", "x\n", "x")
    (r / ".git" / "HEAD").write_text("this is not a ref\n")

    # A bare repository listed by path, and one reached only through a file:// clone URL.
    work = init_repo(root / "work" / "svc-09")
    commit_file(work, "svc.env", _env_line(keys["F"]) + _env_line(keys["A"]), "svc", date="2019-07-01T10:00:00+00:00")
    bare = root / "bare" / "svc-09.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    fleet.repos["svc-09"] = bare

    work = init_repo(root / "work" / "svc-10")
    commit_file(work, "creds.env", _env_line(keys["G"]), "creds", date="2019-08-01T10:00:00+00:00")
    served = root / "served" / "svc-10.git"
    git(root, "clone", "-q", "--bare", str(work), str(served))
    fleet.repos["svc-10"] = served
    fleet.url_ok = served.as_uri()
    fleet.url_missing = (root / "served" / "svc-11-gone.git").as_uri()

    fleet.list_file.parent.mkdir(parents=True)
    fleet.list_file.write_text(
        f"# more repositories for the audit\n\n../bare/svc-09.git\n{fleet.url_ok}\n{fleet.url_missing}   \n"
    )
    return fleet


def scan_count(db: Path) -> int:
    """Scans recorded so far, read by a separate read-only connection (as another tool would)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # the writer is still creating the schema


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
