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
import os
import sys
import zlib
from typing import Any

from scanner import __version__
from scanner.detect.rules import (
    Rule,
    _LineDict,
    default_rules_dir,
    line_of,
    load_rule_files,
    load_yaml,
    parse_rule,
    rule_files,
)

_LINE_KEY = "\x00line"
_FORMAT = "2"


def cache_dir() -> str | None:
    """Where cache files live, or None when caching is off."""
    if os.environ.get("MINDEE_SCAN_NO_CACHE"):
        return None
    explicit = os.environ.get("MINDEE_SCAN_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mindee-scan")


def cache_name(prefix: str, key: bytes, suffix: str) -> str:
    """A short file name for `key`. Not a cryptographic hash (hashlib loads OpenSSL: 4-9 ms of every
    hook run): each file starts with its whole key and is used only when that matches, so two keys
    sharing a name cost a rebuild, never a wrong result."""
    return f"{prefix}-{zlib.crc32(key):08x}{zlib.adler32(key):08x}{suffix}"


def read_cache(name: str, key: bytes) -> bytes | None:
    """The data stored under `name`, if that file was written for exactly `key`."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        with open(os.path.join(directory, name), "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    header = len(key).to_bytes(4, "big") + key
    return raw[len(header) :] if raw.startswith(header) else None


def write_cache(name: str, key: bytes, data: bytes) -> None:
    """Atomic write (temp file + rename), 0600 in a 0700 folder; failures only cost the next run time."""
    directory = cache_dir()
    if directory is None:
        return
    import tempfile  # only a cold start writes: keep it off the warm path

    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(len(key).to_bytes(4, "big") + key + data)
            os.replace(tmp, os.path.join(directory, name))
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        return


def default_rules() -> list[Rule]:
    """The built-in rules, from the cache when the rule files have not changed."""
    directory = default_rules_dir()
    paths = rule_files(directory)
    try:
        stamps = []
        for p in paths:
            st = os.stat(p)
            stamps.append(f"{os.path.basename(p)}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
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
