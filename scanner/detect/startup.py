"""What a warm start reads before any rule machinery is imported: where the built-in rules are, the
stamps that say whether they changed, and the start-up cache files (scanner.detect.rulecache keeps the
parsed rules there, the prefilter its Hyperscan database, the pre-commit fast path its own entry).

A leaf (os and zlib only): the pre-commit fast path (scanner/app/quickstaged.py) reads its cache entry
through it without importing the rules, PyYAML or JSON.
"""

from __future__ import annotations

import os
import zlib


def default_rules_dir() -> str:
    """The rules shipped with the package (wheel: scanner/rule_data; source checkout: ./rules)."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the scanner package
    candidates = (os.path.join(here, "rule_data"), os.path.join(os.path.dirname(here), "rules"))
    for candidate in candidates:
        if rule_files(candidate):
            return candidate
    from scanner.errors import ConfigError

    raise ConfigError(f"the built-in rules are missing (looked in {candidates[0]} and {candidates[1]})")


def rule_files(directory: str) -> list[str]:
    """The *.yaml files of a folder, sorted (empty when it is not a folder)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(os.path.join(directory, n) for n in names if n.endswith(".yaml"))


def file_stamps(paths: list[str]) -> list[str] | None:
    """Name, size and modification time of each file (None when one cannot be read): a cache key part
    that changes whenever a file is rewritten."""
    stamps = []
    try:
        for p in paths:
            st = os.stat(p)
            stamps.append(f"{os.path.basename(p)}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return None
    return stamps


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
    prune_cache(directory, name.split("-", 1)[0] + "-")


# Entries kept per kind (rules, hs, hook): one per configuration in use is enough. Every checkout, venv,
# rule change and repository config makes a new entry, so without a bound the folder only grows.
KEEP_PER_KIND = 16


def prune_cache(directory: str, prefix: str) -> None:
    """Remove all but the KEEP_PER_KIND newest entries named `prefix`* (only a cold start writes, so only
    a cold start pays this listing). Files the cache did not write are never touched."""
    try:
        entries = [e for e in os.scandir(directory) if e.name.startswith(prefix) and e.is_file(follow_symlinks=False)]
        if len(entries) <= KEEP_PER_KIND:
            return
        entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns, reverse=True)
        for entry in entries[KEEP_PER_KIND:]:
            os.unlink(entry.path)
    except OSError:
        return
