"""JSON Lines: one finding per line, then one summary line, for streaming into log pipelines."""

from __future__ import annotations

import json

from scanner.model import ScanResult
from scanner.report import RenderOptions
from scanner.report.remediation import finding_remediation, remediation_plan, summary_counts
from scanner.report.snippet import SnippetRedactor


def render(result: ScanResult, options: RenderOptions) -> str:
    redactor = SnippetRedactor(result)
    lines = [
        json.dumps(
            {
                "type": "finding",
                # every key found on the line is masked, not only this finding's own
                **f.to_dict(options.show_secrets, snippet=redactor.snippet(f, options.show_secrets)),
                "remediation": finding_remediation(f),
            },
            ensure_ascii=False,
        )
        for f in result.findings
    ]
    summary = {"type": "summary", "source": result.source, "target": result.target, **summary_counts(result)}
    summary["stats"] = result.stats.to_dict()
    summary["remediation"] = remediation_plan(result)
    lines.append(json.dumps(summary, ensure_ascii=False))
    return "\n".join(lines) + "\n"
