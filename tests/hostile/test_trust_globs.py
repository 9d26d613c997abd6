"""Config regexes and path globs cannot hang a scan (issue 13, "ReDoS from configuration").

A glob became one backtracking regex (`**/` -> `(?:.*/)?`), so `**/` x10 against a deep path ran for
hours; `allowlist.regexes` were never checked. Globs now match segment by segment without backtracking
(scanner/pathmatch.py), checked here against the old translation as oracle on random globs.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from scanner.config import parse_config
from scanner.errors import ConfigError
from scanner.pathmatch import PathMatcher
from tests.testing.cli import run


@pytest.mark.timeout(10)
def test_many_double_stars_against_a_deep_path() -> None:
    glob = "**/" * 12 + "x/" + "**/" * 12 + "y"
    path = "/".join(["a"] * 400) + "/b"
    assert not PathMatcher([glob]).matches(path)
    assert PathMatcher([glob]).matches("a/x/a/a/y")


@pytest.mark.timeout(10)
def test_many_stars_in_one_segment_against_a_long_name() -> None:
    glob = "*a" * 30 + "*b"
    name = "a" * 5000
    assert not PathMatcher([glob]).matches(name)
    assert PathMatcher([glob]).matches("a" * 40 + "b")


@pytest.mark.timeout(10)
def test_repeated_segment_globs_against_repeated_folders() -> None:
    glob = "/".join(["**/d"] * 15) + "/z"
    path = "/".join(["d"] * 300) + "/q"
    assert not PathMatcher([glob]).matches(path)


@pytest.mark.timeout(60)
def test_dir_scan_with_hostile_globs_finishes(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["a"] * 60))
    deep.mkdir(parents=True)
    (deep / "f.txt").write_text("nothing\n")
    (tmp_path / ".mindee-scan.yaml").write_text(
        "exclude: ['" + "**/" * 14 + "zz']\nallowlist:\n  paths: ['" + "*a" * 20 + "*b']\n"
    )
    proc = run("dir", str(tmp_path), timeout=50)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.timeout(10)
@pytest.mark.parametrize("pattern", [r"^(\w+)+!", r"(a|aa)+b", r"(x+x+)+y"])
def test_allowlist_regex_with_catastrophic_backtracking_is_refused(pattern: str) -> None:
    with pytest.raises(ConfigError, match=r"\.mindee-scan\.yaml:\d+: allowlist regex 1 has .*catastrophic"):
        parse_config(f"allowlist:\n  regexes: ['{pattern}']\n", ".mindee-scan.yaml")


@pytest.mark.timeout(10)
def test_rule_allowlist_regex_with_catastrophic_backtracking_is_refused() -> None:
    text = (
        "rules:\n  add:\n    - id: t\n      description: d\n      regex: '(?P<secret>tok_[a-z0-9]{16})'\n"
        "      keywords: [tok_]\n      allowlist:\n        regexes: ['^(\\w+)+!']\n"
        "      examples:\n        match: ['tok_q9w8e7r6t5y4u3i2']\n"
    )
    with pytest.raises(ConfigError, match="catastrophic backtracking"):
        parse_config(text, "team.yaml")


def _old_regex(glob: str) -> str:
    """The translation pathmatch used before (the oracle for ordinary globs)."""
    anchored = glob.startswith("/")
    glob = glob.strip("/")
    out = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    prefix = "" if anchored or "/" in glob else "(?:.*/)?"
    return f"{prefix}{''.join(out)}(?:/.*)?"


@pytest.mark.timeout(60)
def test_globs_agree_with_the_old_translation_on_ordinary_globs() -> None:
    rng = random.Random(13)
    segs = ["a", "b", "ab", "*", "a*", "*b", "?", "a?b", "*a*", "**"]
    names = ["a", "b", "ab", "ba", "aab", "abb", "c", "a.b"]
    checked = 0
    for _ in range(3000):
        parts = [rng.choice(segs) for _ in range(rng.randint(1, 4))]
        glob = ("/" if rng.random() < 0.2 else "") + "/".join(parts)
        if glob.strip("/") != "/".join(parts):
            continue
        oracle = re.compile(_old_regex(glob))
        matcher = PathMatcher([glob])
        for _ in range(8):
            path = "/".join(rng.choice(names) for _ in range(rng.randint(1, 5)))
            assert matcher.matches(path) is (oracle.fullmatch(path) is not None), (glob, path)
            checked += 1
    assert checked > 20000


@pytest.mark.timeout(10)
def test_ordinary_globs_stay_linear_on_hostile_paths() -> None:
    matcher = PathMatcher(["**/a/*/b", "x*y", "**/q/**", "*.min.js"])
    assert not matcher.matches("a/" * 20000 + "c")
    assert not matcher.matches("x" * 50000)
    assert matcher.matches("/".join(["q"] * 5000) + "/z")
