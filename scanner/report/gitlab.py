"""GitLab secret-detection report (`gl-secret-detection-report.json`), schema 15.2.1: what GitLab's
security widget, pipeline security tab and vulnerability report read from `artifacts:reports:secret_detection`.

The key is never written, not even with --show-secrets: the report is uploaded to GitLab and shown to
everyone with access to the project's vulnerabilities. A finding is named by its rule and fingerprint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scanner import __version__
from scanner.model import Finding, ScanResult
from scanner.redact import mask_keys
from scanner.report import RenderOptions, jsonstream
from scanner.report.jsonstream import Lazy
from scanner.report.remediation import remediation_text

SCHEMA_VERSION = "15.2.1"
SCHEMA = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/secret-detection-report-format.json"
)
URL = "https://github.com/mindee/mindee-scan"
NO_COMMIT = "0000000"  # what GitLab's own analyzer writes for a file outside history (a directory scan)
_SEVERITY = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low", "info": "Info"}
_ID_SPACE = uuid.UUID("6f1d3a52-8a8e-4d5e-9b43-6d3c2f0e7a11")  # this report's namespace for finding ids
_TIME = "%Y-%m-%dT%H:%M:%S"


def _tool() -> dict[str, Any]:
    vendor = {"name": "Mindee"}
    return {"id": "mindee-scan", "name": "mindee-scan", "url": URL, "version": __version__, "vendor": vendor}


def _vulnerability(f: Finding) -> dict[str, Any]:
    history, verification = f.history, f.decisions.verification
    severity = "Critical" if verification.verdict == "live" else _SEVERITY.get(f.rule.severity, "Unknown")
    where = f"{f.where.path}:{f.where.line}" + (f" in commit {history.commit[:12]}" if history.commit else "")
    verdict = f" Verified with Mindee: {verification.verdict}." if verification.verdict != "not-checked" else ""
    location: dict[str, Any] = {
        "file": f.where.path,
        "start_line": f.where.line,
        "end_line": f.where.line,
        "commit": {"sha": history.commit or NO_COMMIT},
    }
    if history.commit:
        location["commit"].update({"author": history.author or "", "date": history.date or ""})
    vulnerability: dict[str, Any] = {
        # Stable across runs (GitLab matches findings of successive pipelines by id and location).
        "id": str(uuid.uuid5(_ID_SPACE, f"{f.fingerprint}\0{f.where.repo or ''}\0{f.where.path}\0{f.where.line}")),
        "category": "secret_detection",
        "name": f.rule.description[:255],
        "description": f"{f.rule.description} ({f.redacted}) at {where}.{verdict} Fingerprint: {f.fingerprint}.",
        "severity": severity,
        "solution": remediation_text(f)[:7000],
        "identifiers": [
            {"type": "mindee_scan_rule_id", "name": f"mindee-scan rule {f.rule.id}", "value": f.rule.id, "url": URL},
            {
                "type": "cwe",
                "name": "CWE-798",
                "value": "798",
                "url": "https://cwe.mitre.org/data/definitions/798.html",
            },
        ],
        "location": location,
    }
    if f.rule.confidence != "high":
        vulnerability["flags"] = [
            {
                "type": "flagged-as-likely-false-positive",
                "origin": "mindee-scan",
                "description": f"{f.rule.confidence} confidence" + (f": {f.rule.note}" if f.rule.note else ""),
            }
        ]
    return vulnerability


def document(result: ScanResult) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(seconds=int(result.stats.duration_s))
    messages = [{"level": "warn", "value": mask_keys(e)} for e in result.stats.errors if e]
    messages += [{"level": "info", "value": mask_keys(n)} for n in result.stats.notes if n]
    if result.stats.skipped:
        messages.append({"level": "info", "value": f"{len(result.stats.skipped)} file(s) or object(s) not scanned"})
    return {
        "version": SCHEMA_VERSION,
        "schema": SCHEMA,
        "scan": {
            "analyzer": _tool(),
            "scanner": _tool(),
            "type": "secret_detection",
            "start_time": start.strftime(_TIME),
            "end_time": end.strftime(_TIME),
            "status": "failure" if result.failed else "success",
            "messages": messages,
        },
        "vulnerabilities": Lazy(_vulnerability(f) for f in result.findings),
    }


def render(result: ScanResult, options: RenderOptions) -> str:
    return "".join(chunks(result, options))


def chunks(result: ScanResult, options: RenderOptions) -> Iterator[str]:
    """The report one vulnerability at a time (see jsonstream): memory holds one, not the report."""
    yield from jsonstream.chunks(document(result), 2)
    yield "\n"
