"""JSON report: one object with `findings`, `stats` and a `summary`, stable for machines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from scanner import __version__
from scanner.model import ScanResult
from scanner.redact import SnippetRedactor
from scanner.report import RenderOptions, jsonstream
from scanner.report.jsonstream import Lazy
from scanner.report.remediation import finding_remediation, key_plans, summary_counts


def document(result: ScanResult, options: RenderOptions) -> dict[str, Any]:
    """The report with its two long lists made item by item as they are written (see jsonstream)."""
    return {
        "tool": "mindee-scan",
        "version": __version__,
        "source": result.source,
        "target": result.target,
        "findings": Lazy(_findings(result, options)),
        "suppressed": len(result.suppressed),
        "stats": result.stats.to_dict(),
        "summary": summary_counts(result),
        "remediation": Lazy(p.to_dict() for p in key_plans(result)),
    }


def _findings(result: ScanResult, options: RenderOptions) -> Iterable[dict[str, Any]]:
    redactor = SnippetRedactor(result)
    for f in result.findings:
        yield {
            # every key found on the line is masked, not only this finding's own
            **f.to_dict(options.show_secrets, snippet=redactor.snippet(f, options.show_secrets)),
            "remediation": finding_remediation(f),
        }


_INDENT_MAX_FINDINGS = 1000


def render(result: ScanResult, options: RenderOptions) -> str:
    return "".join(chunks(result, options))


def chunks(result: ScanResult, options: RenderOptions) -> Iterator[str]:
    """The report in pieces, one finding at a time: memory holds one finding's JSON, not the report's."""
    # Indented JSON goes through the pure-Python encoder (5 s for 16,000 findings, as in sarif.py); a big
    # report stays compact, through the C encoder.
    indent = 2 if len(result.findings) <= _INDENT_MAX_FINDINGS else None
    yield from jsonstream.chunks(document(result, options), indent)
    yield "\n"
