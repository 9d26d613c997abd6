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

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.rules import Rule, _LineDict, default_rules_dir, line_of, load_rule_files, load_yaml, parse_rule

_LINE_KEY = "\x00line"
_FORMAT = "1"


def cache_dir() -> Path | None:
    """Where cache files live, or None when caching is off."""
    if os.environ.get("MINDEE_SCAN_NO_CACHE"):
        return None
    explicit = os.environ.get("MINDEE_SCAN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mindee-scan"


def read_cache(name: str) -> bytes | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        with open(directory / name, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def write_cache(name: str, data: bytes) -> None:
    """Atomic write (temp file + rename), 0600 in a 0700 folder; failures only cost the next run time."""
    directory = cache_dir()
    if directory is None:
        return
    import tempfile  # only a cold start writes: keep it off the warm path

    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, directory / name)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        return


def default_rules() -> list[Rule]:
    """The built-in rules, from the cache when the rule files have not changed."""
    paths = sorted(default_rules_dir().glob("*.yaml"))
    try:
        stamp = "|".join(f"{p.name}:{(st := p.stat()).st_size}:{st.st_mtime_ns}" for p in paths)
    except OSError:
        return load_rule_files(paths)
    key = hashlib.sha256(
        f"{_FORMAT}|{__version__}|{sys.version_info[:2]}|{default_rules_dir()}|{stamp}".encode()
    ).hexdigest()[:24]
    name = f"rules-{key}.json"
    cached = read_cache(name)
    if cached is not None:
        rules = _rules_from_json(cached)
        if rules is not None:
            return rules
    docs: list[tuple[str, Any]] = []
    for p in paths:
        text = p.read_text(encoding="utf-8")
        docs.append((str(p), load_yaml(text, str(p))))
    rules = load_rule_files(paths)  # validates exactly as an uncached run would, errors included
    try:
        encoded = json.dumps([[source, _encode(doc)] for source, doc in docs])
        # Only data that survives JSON unchanged is cached (a YAML date or int key would not).
        if json.loads(encoded, object_hook=_decode) == [[s, d] for s, d in docs]:
            write_cache(name, encoded.encode())
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


def hyperscan_key(expressions: list[bytes], flags: list[int], version: str) -> str:
    h = hashlib.sha256(f"{_FORMAT}|{version}|{flags}".encode())
    for e in expressions:
        h.update(len(e).to_bytes(4, "big") + e)
    return f"hs-{h.hexdigest()[:32]}.db"
