"""Config parsing and path globs: the pieces users configure, checked directly."""

from __future__ import annotations

import pytest

from scanner.config import DEFAULT_MAX_FILE_SIZE, parse_config, parse_size
from scanner.errors import ConfigError
from scanner.pathmatch import PathMatcher


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("vendor", "vendor/a.js", True),
        ("vendor", "src/vendor/a.js", True),
        ("/vendor", "src/vendor/a.js", False),
        ("*.min.js", "web/app.min.js", True),
        ("tests/**", "tests/data/x/y.txt", True),
        ("tests/**", "src/tests/x", False),
        ("**/fixtures/*.json", "a/b/fixtures/k.json", True),
        ("docs/*.md", "docs/sub/x.md", False),
        ("file?.txt", "file1.txt", True),
    ],
)
def test_globs(glob: str, path: str, expected: bool) -> None:
    assert PathMatcher([glob]).matches(path) is expected


def test_empty_matcher_matches_nothing() -> None:
    assert not PathMatcher([])
    assert not PathMatcher([]).matches("a")


@pytest.mark.parametrize(
    ("text", "size"),
    [("10MB", 10 * 1024**2), ("512k", 512 * 1024), ("1.5G", int(1.5 * 1024**3)), ("2048", 2048)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_size_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="max_file_size"):
        parse_size("ten megabytes")


def test_defaults_and_full_config() -> None:
    assert parse_config("", "c.yaml").max_file_size == DEFAULT_MAX_FILE_SIZE
    cfg = parse_config(
        "exclude: [vendor]\nallowlist:\n  paths: [tests/**]\n  regexes: ['^md_TEST']\n  stopwords: [Sample]\n"
        "rules:\n  disable: [generic-api-key]\nmax_file_size: 1MB\nfollow_symlinks: true\n",
        "c.yaml",
    )
    assert cfg.exclude == ("vendor",)
    assert cfg.allow_paths == ("tests/**",)
    assert cfg.stopwords == ("sample",)
    assert cfg.disabled_rules == ("generic-api-key",)
    assert cfg.max_file_size == 1024**2
    assert cfg.follow_symlinks is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("exclude: vendor\n", "exclude must be a list of strings"),
        ("allowlist:\n  regexes: ['(']\n", "does not compile"),
        ("allowlist:\n  pathz: [a]\n", "unknown allowlist key"),
        ("follow_symlinks: maybe\n", "follow_symlinks must be true or false"),
        (
            "rules:\n  add:\n    - id: r\n      description: d\n      regex: 'abc'\n      keywords: [abc]\n"
            "      examples: {match: [abc]}\n",
            "no secret group",
        ),
        (
            "rules:\n  add:\n    - id: r\n      description: d\n      regex: '(?P<secret>(a+)+)'\n      keywords: [a]\n"
            "      examples: {match: [aaaa]}\n",
            "catastrophic backtracking",
        ),
        (
            "rules:\n  add:\n    - id: r\n      description: d\n      regex: '(?P<secret>x)'\n      keywords: [x]\n"
            "      colour: red\n      examples: {match: [x]}\n",
            "unknown key(s): colour",
        ),
    ],
)
def test_config_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml") as info:
        parse_config(text, "c.yaml")
    assert message in str(info.value)


def test_rule_error_points_at_the_rule_line() -> None:
    text = "exclude: []\nrules:\n  add:\n    - id: r\n      description: d\n      regex: '[a'\n      keywords: [a]\n"
    with pytest.raises(ConfigError, match=r"c.yaml:4: rule 'r'"):
        parse_config(text, "c.yaml")
