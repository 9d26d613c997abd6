"""Baselines: the findings a team already knows about, so only new ones are reported.

An entry is keyed by rule + secret hash, never the secret and never a line number, so rebases,
squashes and line moves keep it, while a different key on the same line is still new. A
detect-secrets `.secrets.baseline` is read too (matched by file + sha1 of the secret, as it hashes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from scanner.errors import ConfigError
from scanner.model import Finding
from scanner.record import field, record

DEFAULT_BASELINE = ".mindee-scan-baseline.json"
FORMAT_VERSION = 1
_MAX_PATHS = 20  # context for humans reading the file; identity never depends on it


@record(frozen=True, slots=True)
class BaselineEntry:
    rule_id: str
    secret_hash: str
    paths: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id, self.secret_hash)

    @property
    def fingerprint(self) -> str:
        return f"{self.rule_id}:{self.secret_hash[:24]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "secret_hash": self.secret_hash,
            "fingerprint": self.fingerprint,
            "paths": list(self.paths),
        }


@record(slots=True)
class Baseline:
    """Our own baseline file: a sorted list of entries plus the scan that produced them."""

    entries: dict[tuple[str, str], BaselineEntry] = field(default_factory=dict)
    scan: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""

    def contains(self, finding: Finding) -> bool:
        return (finding.rule.id, finding.secret.hash) in self.entries

    def to_json(self) -> str:
        doc = {
            "tool": "mindee-scan",
            "kind": "baseline",
            "version": FORMAT_VERSION,
            "hash": "sha256('mindee-scan/v1:' + secret), hex",
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "scan": list(self.scan),
            "entries": [self.entries[k].to_dict() for k in sorted(self.entries)],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def now_iso() -> str:
    # datetime and hashlib are imported where used: every pre-commit run imports this module (through
    # suppress.apply) and most never read a baseline.
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def entries_from_findings(findings: Iterable[Finding]) -> dict[tuple[str, str], BaselineEntry]:
    """One entry per (rule, secret), remembering where it was seen (first paths, for humans)."""
    paths: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        seen = paths.setdefault((f.rule.id, f.secret.hash), [])
        for p in (f.where.path, *(o.path for o in f.history.occurrences)):
            if p not in seen:
                seen.append(p)
    return {key: BaselineEntry(key[0], key[1], tuple(sorted(ps)[:_MAX_PATHS])) for key, ps in paths.items()}


def entries_from_report(doc: dict[str, Any]) -> dict[tuple[str, str], BaselineEntry]:
    """Entries from a `--format json` report (what `baseline create` reads back from a scan run)."""
    paths: dict[tuple[str, str], list[str]] = {}
    for f in doc.get("findings", []):
        seen = paths.setdefault((f["rule_id"], f["secret_hash"]), [])
        for p in (f.get("path"), *(o.get("path") for o in f.get("occurrences") or [])):
            if isinstance(p, str) and p not in seen:
                seen.append(p)
    return {key: BaselineEntry(key[0], key[1], tuple(sorted(ps)[:_MAX_PATHS])) for key, ps in paths.items()}


def parse_baseline(doc: Any, path: str) -> Baseline:
    if not isinstance(doc, dict) or doc.get("tool") != "mindee-scan" or doc.get("kind") != "baseline":
        raise ConfigError(f"{path}: not a mindee-scan baseline (create one with `mindee-scan baseline create`)")
    if doc.get("version") != FORMAT_VERSION:
        raise ConfigError(f"{path}: unsupported baseline version (expected {FORMAT_VERSION})")
    entries: dict[tuple[str, str], BaselineEntry] = {}
    for i, raw in enumerate(doc.get("entries") or []):
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: entry {i} is not an object")
        rule_id, digest = raw.get("rule_id"), raw.get("secret_hash")
        if not isinstance(rule_id, str) or not isinstance(digest, str) or len(digest) != 64:
            raise ConfigError(f"{path}: entry {i} needs rule_id and a 64-hex secret_hash")
        paths = tuple(p for p in raw.get("paths") or [] if isinstance(p, str))
        entries[(rule_id, digest.lower())] = BaselineEntry(rule_id, digest.lower(), paths)
    scan = tuple(str(a) for a in doc.get("scan") or [])
    return Baseline(entries, scan, str(doc.get("created_at", "")), str(doc.get("updated_at", "")))


def read_json(path: str, repo_root: str | None = None) -> Any:
    """`repo_root`: the baseline is read on that repository's say-so (see scanner.trust)."""
    from scanner.trust import read_repo_file, read_trusted_file

    if not os.path.lexists(path):
        raise ConfigError(
            f"{path}: baseline not found (create it with `mindee-scan baseline create -o {path}`)"
        ) from None
    text = read_repo_file(path, repo_root, "baseline") if repo_root is not None else read_trusted_file(path, "baseline")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Line and column only: the decoder's message never quotes the text, and neither do we.
        raise ConfigError(f"{path}:{exc.lineno}: baseline is not valid JSON ({exc.msg}, column {exc.colno})") from None


def load_baseline(path: str) -> Baseline:
    return parse_baseline(read_json(path), path)


def is_detect_secrets(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("results"), dict) and "plugins_used" in doc


@record(frozen=True, slots=True)
class DetectSecretsBaseline:
    """A detect-secrets baseline: it identifies a secret by file + sha1(secret) (+ its own type names).

    Its types (KeywordDetector, AWSKeyDetector...) do not map onto our rules, so a finding matches an
    entry when the file and the sha1 of the secret agree; the line number is ignored, as detect-secrets
    does. A secret detect-secrets cut differently (e.g. a keyword value with quotes) will not match.
    """

    hashes: frozenset[tuple[str, str]]  # (filename, sha1 hex)

    def contains(self, finding: Finding) -> bool:
        """True when an entry names any file of the finding (suppression removes only those places)."""
        paths = {finding.where.path, *(o.path for o in finding.history.occurrences)}
        return any(self.covers(finding, p) for p in paths)

    def covers(self, finding: Finding, path: str) -> bool:
        import hashlib

        # detect-secrets' own identity (sha1 of the clear key): only when such a baseline is in use.
        digest = hashlib.sha1(finding.secret.reveal().encode("utf-8", "surrogateescape")).hexdigest()
        return (path, digest) in self.hashes


def parse_detect_secrets(doc: dict[str, Any], path: str) -> DetectSecretsBaseline:
    hashes: set[tuple[str, str]] = set()
    for filename, items in doc["results"].items():
        if not isinstance(items, list):
            raise ConfigError(f"{path}: a results entry is not a list")
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("hashed_secret"), str):
                hashes.add((str(item.get("filename", filename)), item["hashed_secret"].lower()))
    return DetectSecretsBaseline(frozenset(hashes))


def load_any_baseline(path: str, repo_root: str | None = None) -> Baseline | DetectSecretsBaseline:
    """Our baseline, or a detect-secrets one recognised by its shape."""
    doc = read_json(path, repo_root)
    if is_detect_secrets(doc):
        return parse_detect_secrets(doc, path)
    return parse_baseline(doc, path)
