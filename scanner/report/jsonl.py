"""JSON Lines: one finding per line, then one summary line, for streaming into log pipelines."""

from __future__ import annotations

import json
from collections.abc import Iterator

from scanner.model import ScanResult
from scanner.redact import SnippetRedactor
from scanner.report import RenderOptions, jsonstream
from scanner.report.jsonstream import Lazy
from scanner.report.remediation import finding_remediation, key_plans, summary_counts


def render(result: ScanResult, options: RenderOptions) -> str:
    return "".join(chunks(result, options))


def chunks(result: ScanResult, options: RenderOptions) -> Iterator[str]:
    """One line per finding as it is made: memory holds one finding's line, not the report."""
    redactor = SnippetRedactor(result)
    for f in result.findings:
        finding = {
            "type": "finding",
            # every key found on the line is masked, not only this finding's own
            **f.to_dict(options.show_secrets, snippet=redactor.snippet(f, options.show_secrets)),
            "remediation": finding_remediation(f),
        }
        yield json.dumps(finding, ensure_ascii=False) + "\n"
    summary = {"type": "summary", "source": result.source, "target": result.target, **summary_counts(result)}
    summary["stats"] = result.stats.to_dict()
    summary["remediation"] = Lazy(p.to_dict() for p in key_plans(result))
    yield from jsonstream.chunks(summary)
    yield "\n"
