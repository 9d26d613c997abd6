"""Hostile configuration and rules: every mistake is a clear error naming file and line, exit 2,
and nothing is scanned half-way as if clean (stdout stays empty, no report is written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import parse_config
from scanner.detect.rules import parse_rule_file
from scanner.errors import ConfigError
from tests.testing.cli import run
from tests.testing.keys import v2_key

pytestmark = pytest.mark.timeout(120)

_RULE_OK = """\
    - id: custom-token
      description: test
      regex: '{regex}'
      keywords: [tok_]
      examples:
        match: ['tok_abcdefgh12345678']
"""

_TOKEN_REGEX = r"(?P<secret>tok_[a-z0-9]{16})"


def _config_with_rule(regex: str) -> str:
    return "rules:\n  add:\n" + _RULE_OK.format(regex=regex)


def _billion_laughs() -> str:
    """Nine levels of nine aliases: 387 million strings if anything expanded it."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join([*lines, "exclude: *i", ""])


CASES: dict[str, tuple[str, str, int | None]] = {
    # name: (config text, expected message fragment, expected line or None)
    "malformed yaml": ("exclude: [a, b\nallowlist:\n  paths: [x]\n", "invalid YAML", None),
    "tab indentation": ("allowlist:\n\tpaths: [x]\n", "invalid YAML", 2),
    "not a mapping": ("- just\n- a list\n", "must be a mapping", None),
    "unknown top key": ("exlude: [vendor]\n", "unknown key(s): exlude", 1),
    "unknown allowlist key": ("allowlist:\n  path: [x]\n", "unknown allowlist key(s): path", 2),
    "exclude wrong type": ("exclude: 5\n", "exclude must be a list of strings", 1),
    "exclude list of ints": ("exclude: [1, 2]\n", "exclude must be a list of strings", 1),
    "max size nonsense": ("max_file_size: huge\n", "max_file_size", 1),
    "max size negative": ("max_file_size: -5\n", "max_file_size", 1),
    "max size bool": ("max_file_size: true\n", "max_file_size", 1),
    "follow_symlinks string": ("follow_symlinks: 'yes'\n", "follow_symlinks must be true or false", 1),
    "allow regex broken": ("allowlist:\n  regexes: ['(unclosed']\n", "does not compile", 2),
    "rules not a mapping": ("rules: [a]\n", "rules must be a mapping", 1),
    "disable unknown rule": ("rules:\n  disable: [no-such-rule]\n", "unknown rule", None),
    "rule regex does not compile": (_config_with_rule("(?P<secret>tok_[a-z"), "does not compile", 3),
    "rule regex exponential": (_config_with_rule("(?P<secret>tok_(a+)+)"), "catastrophic backtracking", 3),
    "rule regex nested groups": (_config_with_rule("(?P<secret>tok_((ab)*)+)"), "catastrophic backtracking", 3),
    "rule regex ambiguous alternation": (
        _config_with_rule("(?P<secret>tok_(?:a|aa)+)"),
        "catastrophic backtracking",
        3,
    ),
    "rule without secret group": (_config_with_rule("tok_[a-z0-9]{16}"), "no secret group", 3),
    "rule unknown key": (
        "rules:\n  add:\n    - id: x\n      description: d\n      regex: '(a)'\n      keywords: [a]\n"
        "      severty: high\n      examples: {match: [a]}\n",
        "unknown key(s): severty",
        3,
    ),
    "rule id wrong type": (
        "rules:\n  add:\n    - id: [1]\n      description: d\n      regex: '(a)'\n",
        "rule id",
        3,
    ),
    "rule fails its own example": (
        "rules:\n  add:\n" + _RULE_OK.format(regex=_TOKEN_REGEX).replace("tok_abcdefgh12345678", "tok_short"),
        "custom-token",
        None,
    ),
    "deeply nested yaml": ("exclude: " + "[" * 5000 + "]" * 5000 + "\n", "", None),
    "billion laughs": (_billion_laughs(), "", None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_config_is_a_clear_error_and_nothing_is_scanned(tmp_path: Path, name: str) -> None:
    text, fragment, line = CASES[name]
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    target = tmp_path / "src"
    target.mkdir()
    (target / "leak.env").write_text(f"KEY={v2_key()}\n")
    report = tmp_path / "report.json"
    proc = run("dir", str(target), "--config", str(cfg), "--format", "json", "--output", str(report), timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not report.exists()
    message = proc.stderr.strip()
    assert message.startswith("mindee-scan: error: "), message
    assert len(message.splitlines()) <= 3, message
    assert str(cfg) in message, message
    assert fragment in message, message
    if line is not None:
        assert f"{cfg}:{line}" in message, message


def test_config_found_at_the_scan_root_is_validated_too(tmp_path: Path) -> None:
    (tmp_path / ".mindee-scan.yaml").write_text("exclude: {a: 1}\n")
    (tmp_path / "leak.env").write_text(f"KEY={v2_key()}\n")
    proc = run("dir", str(tmp_path), timeout=30)
    assert proc.returncode == 2
    assert ".mindee-scan.yaml:1" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00bad utf-8 \xc3\x28", b"rules: !!python/object/apply:os.system ['touch /tmp/pwned']\n"],
    ids=["not-utf8", "python-tag"],
)
def test_unreadable_or_unsafe_config(tmp_path: Path, content: bytes) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_bytes(content)
    proc = run("dir", str(tmp_path), "--config", str(cfg), timeout=30)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(cfg) in proc.stderr


def test_config_path_that_is_a_directory_or_missing(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "missing.yaml"):
        proc = run("dir", str(tmp_path), "--config", str(path), timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr


def test_rule_file_errors_name_file_line_and_rule(tmp_path: Path) -> None:
    text = "rules:\n  - id: good\n    description: d\n    regex: '(?P<secret>x_[a-z]{8})'\n"
    text += "    keywords: [x_]\n    examples: {match: ['x_abcdefgh']}\n"
    text += "  - id: evil\n    description: d\n    regex: '(?P<secret>(x+)+y)'\n    keywords: [x]\n"
    text += "    examples: {match: ['xxy']}\n"
    with pytest.raises(ConfigError) as err:
        parse_rule_file(text, "custom.yaml")
    assert str(err.value).startswith("custom.yaml:7: rule 'evil'")


@pytest.mark.timeout(30)
def test_parse_config_on_large_hostile_yaml_is_bounded() -> None:
    with pytest.raises(ConfigError):
        parse_config("exclude: [" + "'a'," * 50_000 + " 5]\n", "big.yaml")
