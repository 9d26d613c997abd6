"""The start-up cache only ever saves time: corrupt, unwritable or missing caches give the same results."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detect import rulecache
from scanner.detect.build import build_detector
from scanner.detect.prefilter import hyperscan_available
from scanner.detect.rules import load_default_rules
from tests.testing.keys import v1_key, v2_key, v2_long_key


def _sample() -> bytes:
    return (f"MINDEE_V2_API_KEY={v2_key()}\nk: {v2_long_key()}\nMINDEE_API_KEY = '{v1_key()}'\nmd_xxx\n").encode()


def _rule_view(rules: list) -> list[tuple]:
    return [(r.id, r.regex.pattern, r.keywords, r.line, r.source, r.examples_match, r.window) for r in rules]


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("MINDEE_SCAN_CACHE_DIR", str(d))
    monkeypatch.delenv("MINDEE_SCAN_NO_CACHE", raising=False)
    return d


def test_cached_rules_equal_parsed_rules(cache: Path) -> None:
    cold = rulecache.default_rules()
    assert any(p.name.startswith("rules-") for p in cache.iterdir())
    warm = rulecache.default_rules()
    assert _rule_view(warm) == _rule_view(cold) == _rule_view(load_default_rules())
    assert all(r.line > 0 for r in warm), "line numbers survive the cache (error messages use them)"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in cache.iterdir())


def test_corrupt_cache_is_rebuilt(cache: Path) -> None:
    data = _sample()
    expected = build_detector(Config()).scan(data)
    assert len(expected) == 3
    for p in cache.iterdir():
        p.write_bytes(b"\x00garbage" + p.read_bytes()[::3])
    assert build_detector(Config()).scan(data) == expected
    for p in cache.iterdir():
        p.write_bytes(b"")
    assert build_detector(Config()).scan(data) == expected
    assert _rule_view(rulecache.default_rules()) == _rule_view(load_default_rules())


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_cache_dir_still_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # pragma: no cover
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("MINDEE_SCAN_CACHE_DIR", str(locked / "sub"))
    assert len(build_detector(Config()).scan(_sample())) == 3


def test_cache_path_that_is_a_file_still_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("MINDEE_SCAN_CACHE_DIR", str(blocker))
    assert len(build_detector(Config()).scan(_sample())) == 3
    assert blocker.read_text() == "x"


def test_no_cache_env_writes_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEE_SCAN_NO_CACHE", "1")
    assert len(build_detector(Config()).scan(_sample())) == 3
    assert not cache.exists()


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_hyperscan_database_is_cached_and_reused(cache: Path) -> None:
    build_detector(Config())
    dbs = [p for p in cache.iterdir() if p.name.startswith("hs-")]
    assert len(dbs) == 1
    before = dbs[0].stat().st_mtime_ns
    detector = build_detector(Config())
    assert detector.engine == "hyperscan"
    assert dbs[0].stat().st_mtime_ns == before, "a valid entry is read, not rewritten"
    assert len(detector.scan(_sample())) == 3


def test_an_entry_written_for_another_key_is_never_used(cache: Path) -> None:
    """File names are short checksums; the key stored in the file decides, so a clash only costs time."""
    rulecache.write_cache("rules-clash.json", b"key one", b"[]")
    assert rulecache.read_cache("rules-clash.json", b"key one") == b"[]"
    assert rulecache.read_cache("rules-clash.json", b"key two") is None
    assert rulecache.read_cache("rules-clash.json", b"key") is None
    rulecache.default_rules()
    (entry,) = [p for p in cache.iterdir() if p.name.startswith("rules-") and p.name != "rules-clash.json"]
    entry.write_bytes(entry.read_bytes().replace(b"|", b"#", 1))  # same name, another key inside
    assert _rule_view(rulecache.default_rules()) == _rule_view(load_default_rules())


def test_the_cache_folder_stays_bounded(cache: Path) -> None:
    """Every checkout, venv and configuration makes a new entry: the oldest go, foreign files stay."""
    from scanner.detect import startup

    cache.mkdir()
    (cache / "notes.txt").write_text("not ours")
    (cache / "hs-elsewhere").symlink_to(cache / "notes.txt")
    for i in range(startup.KEEP_PER_KIND + 5):
        key = f"rules-key-{i}".encode()
        startup.write_cache(startup.cache_name("rules", key, ".json"), key, b"{}")
        os.utime(cache / startup.cache_name("rules", key, ".json"), ns=(i * 10**9, i * 10**9))
    hook_key = b"hook-key"
    startup.write_cache(startup.cache_name("hook", hook_key, ".db"), hook_key, b"db")
    rules = [p for p in cache.iterdir() if p.name.startswith("rules-")]
    assert len(rules) == startup.KEEP_PER_KIND
    newest = f"rules-key-{startup.KEEP_PER_KIND + 4}".encode()
    assert startup.read_cache(startup.cache_name("rules", newest, ".json"), newest) == b"{}"
    assert startup.read_cache(startup.cache_name("rules", b"rules-key-0", ".json"), b"rules-key-0") is None
    assert startup.read_cache(startup.cache_name("hook", hook_key, ".db"), hook_key) == b"db", "other kinds stay"
    assert (cache / "notes.txt").read_text() == "not ours" and (cache / "hs-elsewhere").is_symlink()
