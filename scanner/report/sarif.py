"""SARIF 2.1.0 for GitHub code scanning and GitLab: rules with revocation help, line-free fingerprints.

The secret is never written here, not even with --show-secrets: SARIF files are uploaded to
third-party dashboards. Snippets are redacted and left out entirely when the key is encoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model import Finding, ScanResult
from scanner.redact import SnippetRedactor
from scanner.report import RenderOptions, jsonstream
from scanner.report.jsonstream import Lazy
from scanner.report.remediation import HISTORY_NOTE, dashboard_for, key_kind, remediation_text, rotation_steps
from scanner.report.triage import sarif_suppression

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/mindee/mindee-scan"
FINGERPRINT_KEY = "mindeeScanSecret/v1"
COMMIT_MESSAGE_PATH = "<commit message>"  # how the git source names a commit message (not a file)
_INDENT_MAX_RESULTS = 1000
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub ranks code-scanning alerts by this CVSS-like number (critical >= 9.0).
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def _rule_help(f: Finding) -> tuple[str, str]:
    """Rule-level help (text, markdown): how to revoke, and why deleting the line is not enough."""
    rule = f.rule
    kind = key_kind(f, rule_only=True)
    if kind is not None:
        steps = "\n".join(f"{i}. {s}" for i, s in enumerate(rotation_steps(kind), 1))
        where = dashboard_for(kind)
        text = (
            f"{rule.description}.\n\nMindee API keys never expire: treat a leaked key as compromised and revoke it "
            f"at {where}\n{steps}\n\n{HISTORY_NOTE}"
        )
        md = (
            f"**{rule.description}.**\n\nMindee API keys never expire: treat a leaked key as compromised and "
            f"revoke it in the [Mindee dashboard]({where}).\n\n{steps}\n\n{HISTORY_NOTE}\n\n"
            "If this is not a real key, add `mindee-scan:allow` on its line, or add its fingerprint with a "
            "reason to `.mindee-scan-ignore`."
        )
    else:
        text = (
            f"{rule.description}.\n\nRotate this credential with its provider, deploy the new one, then remove "
            f"it from the code.\n\n{HISTORY_NOTE}"
        )
        md = (
            f"**{rule.description}.**\n\nRotate this credential with its provider, deploy the new one, then "
            f"remove it from the code.\n\n{HISTORY_NOTE}"
        )
    return text, md


def _rule(f: Finding) -> dict[str, Any]:
    text, md = _rule_help(f)
    rule = f.rule
    tags = ["security", "secret", "mindee" if f.rule.is_mindee else "credential", "external/cwe/cwe-798"]
    return {
        "id": rule.id,
        "name": "".join(p.capitalize() for p in rule.id.replace("_", "-").split("-")),
        "shortDescription": {"text": rule.description},
        "fullDescription": {
            "text": f"{rule.description}: a credential committed to source code or history ({rule.severity} severity)."
        },
        "help": {"text": text, "markdown": md},
        "helpUri": dashboard_for(key_kind(f, rule_only=True)) if f.rule.is_mindee else INFO_URI,
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "warning")},
        "properties": {
            "tags": tags,
            "precision": "very-high" if f.rule.is_mindee else "high",
            "problem.severity": "error" if _LEVELS.get(rule.severity) == "error" else "warning",
            "security-severity": _SECURITY_SEVERITY.get(rule.severity, "5.5"),
        },
    }


def partial_fingerprint(f: Finding) -> str:
    """Rule + secret hash + path: stable when lines move, distinct per file; never the line."""
    return hashlib.sha256(f"{f.rule.id}\0{f.secret.hash}\0{f.where.repo or ''}\0{f.where.path}".encode()).hexdigest()


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/").lstrip("/"), safe="/@:+,;=!$&'()*~")


def _snippet(f: Finding, redactor: SnippetRedactor) -> str | None:
    """A redacted snippet, or none when the key may sit there in another form (encoded, truncated)."""
    if f.context.encoding or not f.context.text or not f.secret.occurs_in(f.context.text):
        return None
    text = redactor.snippet(f)
    return None if f.secret.occurs_in(text) else text


def _result(f: Finding, rule_index: int, redactor: SnippetRedactor) -> dict[str, Any]:
    rule, at = f.rule, f.where
    region: dict[str, Any] = {"startLine": max(1, at.line), "startColumn": max(1, at.column)}
    if not f.context.encoding:
        region["endColumn"] = max(1, at.column) + f.secret.length
    snippet = _snippet(f, redactor)
    if snippet is not None:
        region["snippet"] = {"text": snippet}
    where = "git history" if f.history.commit else "the code"
    if at.path == COMMIT_MESSAGE_PATH and f.history.commit:
        where = f"the message of commit {f.history.commit[:12]}"
    message = f"{rule.description} ({f.redacted}) found in {where}. " + remediation_text(f).splitlines()[0]
    props: dict[str, Any] = {
        "fingerprint": f.fingerprint,
        "secretHash": f.secret.hash,
        "redacted": f.redacted,
        "severity": rule.severity,
        "verification": f.decisions.verification.to_dict(),
    }
    if f.context.encoding:
        props["encoding"] = f.context.encoding
    props["confidence"] = rule.confidence
    if rule.note:
        props["note"] = rule.note
        message += f" Note: {rule.note}."
    if rule.other_vendor:
        props["otherVendor"] = rule.other_vendor
    if at.repo is not None:
        props["repository"] = at.repo
    if f.history.commit is not None or f.history.occurrences:
        props.update(
            {
                "commit": f.history.commit,
                "author": f.history.author,
                "date": f.history.date,
                "presentAtHead": f.history.present_at_head,
                "refs": list(f.history.refs),
                "occurrences": [o.to_dict() for o in f.history.occurrences],
            }
        )
    result: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(rule.severity, "warning"),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(at.path), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: partial_fingerprint(f)},
        "properties": props,
    }
    if f.decisions.triage is not None:
        props["triage"] = f.decisions.triage.to_dict()
        suppression = sarif_suppression(f)
        if suppression is not None:
            result["suppressions"] = [suppression]
    if f.history.occurrences and len(f.history.occurrences) > 1:
        related = []
        for i, o in enumerate(f.history.occurrences[:50]):
            commit = f" in commit {o.commit[:12]}" if o.commit else ""
            related.append(
                {
                    "id": i,
                    "message": {"text": f"same key{commit}"},
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(o.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(1, o.line)},
                    },
                }
            )
        result["relatedLocations"] = related
    return result


def document(result: ScanResult) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    redactor = SnippetRedactor(result)
    for f in result.findings:
        if f.rule.id not in index:
            index[f.rule.id] = len(rules)
            rules.append(_rule(f))
    stats = result.stats
    notifications = [
        {"level": "error", "message": {"text": err}, "descriptor": {"id": "scan-error"}} for err in stats.errors
    ]
    notifications += [
        {"level": "note", "message": {"text": note}, "descriptor": {"id": "scan-note"}} for note in stats.notes
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "mindee-scan",
                "semanticVersion": __version__,
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The scanned root or repository."}}},
        "invocations": [
            {
                "executionSuccessful": not result.failed,
                "toolExecutionNotifications": notifications,
                "properties": {"source": result.source, "target": result.target},
            }
        ],
        "results": Lazy(_result(f, index[f.rule.id], redactor) for f in result.findings),
        "columnKind": "unicodeCodePoints",
        "properties": {
            "filesScanned": stats.files_scanned,
            "bytesScanned": stats.bytes_scanned,
            "skipped": len(stats.skipped),
            "suppressed": len(result.suppressed),
            # what the scanned repository's own files narrowed (scanner.trust); absent when nothing
            **({"repositoryConfig": stats.repository_config.to_dict()} if stats.repository_config else {}),
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, options: RenderOptions) -> str:
    return "".join(chunks(result, options))


def chunks(result: ScanResult, options: RenderOptions) -> Iterator[str]:
    """SARIF JSON, one result at a time; `options.show_secrets` is ignored on purpose (see the module docstring)."""
    # Indented JSON goes through the pure-Python encoder (4 s for 5,000 results); big reports stay compact.
    indent = 2 if len(result.findings) <= _INDENT_MAX_RESULTS else None
    yield from jsonstream.chunks(document(result), indent)
    yield "\n"
