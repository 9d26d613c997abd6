"""CSV for spreadsheets: one row per finding, redacted by default, safe against formula injection.

A cell starting with = + - @ (or a tab/CR) is run as a formula by Excel and LibreOffice; file names
and snippets are attacker-controlled, so such cells are prefixed with a quote (OWASP's advice).
"""

from __future__ import annotations

import csv
import io

from scanner.model import Finding, ScanResult
from scanner.report import RenderOptions
from scanner.report.remediation import one_line_advice

COLUMNS = (
    "rule_id",
    "severity",
    "repo",
    "path",
    "line",
    "column",
    "secret",
    "fingerprint",
    "verdict",
    "commit",
    "author",
    "date",
    "occurrences",
    "present_at_head",
    "encoding",
    "description",
    "remediation",
    "triage_state",
    "triage_note",
    "triage_who",
    "triage_at",
    "triage_expires",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    """Text a spreadsheet shows as text, never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(f: Finding, options: RenderOptions) -> list[str]:
    rule, history = f.rule, f.history
    values: list[object] = [
        rule.id,
        rule.severity,
        f.where.repo,
        f.where.path,
        f.where.line,
        f.where.column,
        f.secret.reveal() if options.show_secrets else f.redacted,
        f.fingerprint,
        f.decisions.verification.verdict,
        history.commit,
        history.author,
        history.date,
        len(history.occurrences) if history.occurrences else None,
        history.present_at_head,
        f.context.encoding,
        rule.description,
        one_line_advice(f),
        *(
            (triage.effective_state(), triage.note, triage.who, triage.at, triage.expires)
            if (triage := f.decisions.triage)
            else (None,) * 5
        ),
    ]
    return [safe_cell(v) for v in values]


def render(result: ScanResult, options: RenderOptions) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for f in result.findings:
        writer.writerow(_row(f, options))
    return buf.getvalue()
