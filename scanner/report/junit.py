"""JUnit XML for CI dashboards: one failing testcase per finding, one passing case when clean.

File names and lines come from the scanned code, so text is escaped and XML-illegal characters dropped.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from scanner.model import Finding, ScanResult
from scanner.redact import SnippetRedactor
from scanner.report import RenderOptions
from scanner.report.remediation import remediation_text
from scanner.report.triage import label as triage_label

# Characters XML 1.0 cannot carry at all, even escaped (a file name can hold them).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def _location(f: Finding) -> str:
    where = f"{f.where.path}:{f.where.line}:{f.where.column}"
    return f"{f.where.repo}: {where}" if f.where.repo else where


def _details(f: Finding, options: RenderOptions, redactor: SnippetRedactor) -> str:
    rule, history, verification = f.rule, f.history, f.decisions.verification
    secret = f.secret.reveal() if options.show_secrets else f.redacted
    lines = [
        f"{rule.description} at {_location(f)}",
        f"rule: {rule.id} ({rule.severity})",
        f"key: {secret}",
        f"fingerprint: {f.fingerprint}",
        f"verification: {verification.verdict}" + (f" ({verification.detail})" if verification.detail else ""),
    ]
    decided = triage_label(f)
    if decided:
        lines.append(f"triage: {decided}")
    if f.context.encoding:
        lines.append(f"encoding: {f.context.encoding}")
    snippet = redactor.snippet(f, options.show_secrets)
    if snippet and (options.show_secrets or not f.secret.occurs_in(snippet)) and not f.context.encoding:
        lines.append(f"line: {snippet}")
    if history.commit:
        lines.append(f"introduced in {history.commit} by {history.author or '?'} on {history.date or '?'}")
        if history.occurrences:
            lines.append(f"occurrences: {len(history.occurrences)}; present at HEAD: {history.present_at_head}")
    lines.append("")
    lines.append(remediation_text(f))
    return "\n".join(lines)


def render(result: ScanResult, options: RenderOptions) -> str:
    findings = result.findings
    errors = result.stats.errors
    redactor = SnippetRedactor(result)
    # A secret a human closed (revoked, false positive, accepted risk until its expiry) is skipped, not failed.
    closed = sum(1 for f in findings if f.triaged)
    failures = len(findings) - closed
    suite = ET.Element(
        "testsuite",
        {
            "name": f"mindee-scan {result.source}".strip(),
            "tests": str(max(1, len(findings)) + len(errors)),
            "failures": str(failures),
            "errors": str(len(errors)),
            "skipped": str(closed),
            "time": f"{result.stats.duration_s:.3f}",
        },
    )
    for f in findings:
        case = ET.SubElement(
            suite, "testcase", {"classname": _clean(f"mindee-scan.{f.rule.id}"), "name": _clean(_location(f))}
        )
        message = f"{f.rule.description}: {f.secret.reveal() if options.show_secrets else f.redacted}"
        if f.triaged:
            message = f"triaged {f.triaged}: {message}"
        attrs = {"message": _clean(message)} if f.triaged else {"message": _clean(message), "type": _clean(f.rule.id)}
        failure = ET.SubElement(case, "skipped" if f.triaged else "failure", attrs)
        failure.text = _clean(_details(f, options, redactor))
    if not findings:
        ET.SubElement(suite, "testcase", {"classname": "mindee-scan", "name": _clean(f"no secrets in {result.target}")})
    for i, err in enumerate(errors, 1):
        case = ET.SubElement(suite, "testcase", {"classname": "mindee-scan.errors", "name": f"scan error {i}"})
        error = ET.SubElement(case, "error", {"message": _clean(err), "type": "scan-error"})
        error.text = _clean(err)
    if result.stats.notes:
        out = ET.SubElement(suite, "system-out")
        out.text = _clean("\n".join(result.stats.notes))
    root = ET.Element(
        "testsuites",
        {
            "name": "mindee-scan",
            "tests": suite.get("tests", "0"),
            "failures": str(failures),
            "errors": str(len(errors)),
        },
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
