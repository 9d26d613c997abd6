"""A start-up cache for the built-in rules and the compiled Hyperscan database.

Every run used to import PyYAML, parse and validate the rule files and compile the Hyperscan
database (about 40 ms together, a third of a pre-commit hook's budget). The cache keeps the parsed
rule data as JSON (keyed by the rule files' names, sizes and mtimes, our version and Python's) and the
serialized Hyperscan database (keyed by a hash of its patterns and flags, and the Hyperscan version).

The cache only saves time, it never changes a result: anything unreadable, corrupt, stale or
unwritable is ignored and the work is done again from the sources. Set MINDEE_SCAN_NO_CACHE=1 to skip
it, MINDEE_SCAN_CACHE_DIR to move it (default: $XDG_CACHE_HOME/mindee-scan or ~/.cache/mindee-scan).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from scanner import __version__
from scanner.detect.rules import Rule, _LineDict, line_of, load_rule_files, load_yaml, parse_rule

# Re-exported: the hyperscan database cache (prefilter.py) and the tests use them from here.
from scanner.detect.startup import cache_dir as cache_dir
from scanner.detect.startup import cache_name as cache_name
from scanner.detect.startup import default_rules_dir, file_stamps, rule_files
from scanner.detect.startup import read_cache as read_cache
from scanner.detect.startup import write_cache as write_cache

_LINE_KEY = "\x00line"
_FORMAT = "2"


def default_rules() -> list[Rule]:
    """The built-in rules, from the cache when the rule files have not changed."""
    directory = default_rules_dir()
    paths = rule_files(directory)
    stamps = file_stamps(paths)
    if stamps is None:
        return load_rule_files(paths)
    key = f"{_FORMAT}|{__version__}|{sys.version_info[:2]}|{directory}|{'|'.join(stamps)}".encode()
    name = cache_name("rules", key, ".json")
    cached = read_cache(name, key)
    if cached is not None:
        rules = _rules_from_json(cached)
        if rules is not None:
            return rules
    docs: list[tuple[str, Any]] = []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            docs.append((p, load_yaml(fh.read(), p)))
    rules = load_rule_files(paths)  # validates exactly as an uncached run would, errors included
    try:
        encoded = json.dumps([[source, _encode(doc)] for source, doc in docs])
        # Only data that survives JSON unchanged is cached (a YAML date or int key would not).
        if json.loads(encoded, object_hook=_decode) == [[s, d] for s, d in docs]:
            write_cache(name, key, encoded.encode())
    except (TypeError, ValueError):
        pass
    return rules


def _rules_from_json(data: bytes) -> list[Rule] | None:
    try:
        docs = json.loads(data, object_hook=_decode)
        # Checked for backtracking risk when the cache was written (cold path: load_rule_files).
        return [parse_rule(raw, source, check_risk=False) for source, doc in docs for raw in doc["rules"]]
    except Exception:  # a corrupt or foreign cache file: rebuild it from the rule files
        return None


def _encode(obj: Any) -> Any:
    """YAML data to JSON, keeping each mapping's line number (used in error messages and by `rules`)."""
    if isinstance(obj, dict):
        out = {k: _encode(v) for k, v in obj.items()}
        if line_of(obj):
            out[_LINE_KEY] = line_of(obj)
        return out
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj: dict[str, Any]) -> Any:
    line = obj.pop(_LINE_KEY, None)
    if line is None:
        return obj
    out = _LineDict(obj)
    out.line = int(line)
    return out


def hyperscan_key(expressions: list[bytes], flags: list[int], version: str) -> bytes:
    """Everything a compiled database depends on: its patterns, their flags, Hyperscan's version and the CPU."""
    parts = [f"{_FORMAT}|{version}|{flags}".encode(), *expressions]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)
