"""JSON report: one object with `findings`, `stats` and a `summary`, stable for machines."""

from __future__ import annotations

import json
from typing import Any

from scanner import __version__
from scanner.model import ScanResult
from scanner.report import RenderOptions
from scanner.report.remediation import finding_remediation, remediation_plan, summary_counts
from scanner.report.snippet import SnippetRedactor


def document(result: ScanResult, options: RenderOptions) -> dict[str, Any]:
    redactor = SnippetRedactor(result)
    return {
        "tool": "mindee-scan",
        "version": __version__,
        "source": result.source,
        "target": result.target,
        "findings": [
            {
                # every key found on the line is masked, not only this finding's own
                **f.to_dict(options.show_secrets, snippet=redactor.snippet(f, options.show_secrets)),
                "remediation": finding_remediation(f),
            }
            for f in result.findings
        ],
        "suppressed": len(result.suppressed),
        "stats": result.stats.to_dict(),
        "summary": summary_counts(result),
        "remediation": remediation_plan(result),
    }


_INDENT_MAX_FINDINGS = 1000


def render(result: ScanResult, options: RenderOptions) -> str:
    # Indented JSON goes through the pure-Python encoder (5 s for 16,000 findings, as in sarif.py); a big
    # report stays compact, through the C encoder.
    indent = 2 if len(result.findings) <= _INDENT_MAX_FINDINGS else None
    return json.dumps(document(result, options), indent=indent, ensure_ascii=False) + "\n"
