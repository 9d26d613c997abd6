"""Text for humans: one block per finding, one line of advice, and a summary of what was scanned."""

from __future__ import annotations

from scanner.model import Finding, ScanResult
from scanner.redact import printable
from scanner.report import RenderOptions
from scanner.report.remediation import dashboards_line, one_line_advice, remediation_lines
from scanner.report.triage import label as triage_label

_COLORS = {"red": "\x1b[31m", "yellow": "\x1b[33m", "bold": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m"}


def _c(text: str, color: str, options: RenderOptions) -> str:
    """Colour around inert text: the only escape sequences in a text report are these."""
    text = printable(text)
    return f"{_COLORS[color]}{text}{_COLORS['reset']}" if options.color else text


_printable = printable


def _location(f: Finding) -> str:
    at = f.where
    where = f"{_printable(at.path)}:{at.line}:{at.column}"
    if at.repo:
        where = f"{_printable(at.repo)}: {where}"
    return where


def _finding_block(f: Finding, options: RenderOptions) -> list[str]:
    rule, history, verification = f.rule, f.history, f.decisions.verification
    secret = f.secret.reveal() if options.show_secrets else f.redacted
    verdict = verification.verdict
    tag = ""
    if verdict != "not-checked":
        tag = " [" + (verdict.upper() if verdict == "live" else verdict) + "]"
        if verdict == "live":
            tag = _c(tag, "red", options)
    encoded = f" (inside {f.context.encoding}-encoded value)" if f.context.encoding else ""
    head = f"{_c(_location(f), 'bold', options)}  {printable(f'{rule.id}  {secret}')}{tag}{printable(encoded)}"
    lines = [head]
    if rule.confidence != "high":
        lines.append(printable(f"    confidence: {rule.confidence}" + (f" ({rule.note})" if rule.note else "")))
    elif rule.note:
        lines.append(printable(f"    note: {rule.note}"))
    if history.commit:
        # author and date come from the scanned history: never raw on a terminal
        lines.append(
            printable(f"    introduced in {history.commit[:12]} by {history.author or '?'} on {history.date or '?'}")
        )
        if history.occurrences and len(history.occurrences) > 1:
            lines.append(
                f"    {len(history.occurrences)} occurrences in history"
                + ("; still present at HEAD" if history.present_at_head else "; not at HEAD any more")
            )
    if verification.verdict == "live" and verification.model_count is not None:
        names = ", ".join(verification.models[:5])
        more = "…" if verification.model_count > 5 else ""
        lines.append(printable(f"    blast radius: {verification.model_count} model(s) reachable: {names}{more}"))
    if verification.verdict == "unknown" and verification.detail:
        lines.append(printable(f"    verification: unknown ({verification.detail})"))
    decided = triage_label(f)
    if decided:
        lines.append(f"    triage: {printable(decided)}")
    lines.append("    " + _c(one_line_advice(f), "yellow", options))
    lines.append("    " + _c(f"fingerprint: {f.fingerprint}", "dim", options))
    return lines


def summary_line(result: ScanResult) -> str:
    """What was scanned and skipped, in one line (also printed when a report goes to a file)."""
    s = result.stats
    mb = s.bytes_scanned / (1024 * 1024)
    parts = [f"scanned {s.files_scanned} file(s), {mb:.1f} MiB in {s.duration_s:.2f}s"]
    if s.history is not None:
        parts = [f"scanned {s.history.objects_scanned} object(s), {mb:.1f} MiB in {s.duration_s:.2f}s"]
    if s.binary_files:
        parts.append(f"{s.binary_files} binary (scanned for prefixed keys only)")
    by_reason = s.skipped_by_reason()
    if by_reason:
        parts.append("skipped " + ", ".join(f"{n} {reason}" for reason, n in by_reason.items()))
    if result.suppressed:
        parts.append(f"{len(result.suppressed)} suppressed (baseline/ignore)")
    if s.findings_over_cap:
        parts.append(f"{s.findings_over_cap} more finding(s) not kept (memory cap, see notes)")
    if s.repository_config is not None:
        parts.append("narrowed by the scanned repository's own config (see notes)")
    verification = s.verification
    if verification is not None:
        verdicts = ", ".join(f"{n} {v}" for v, n in verification.verdicts.items())
        parts.append(f"verified {verification.keys_checked} key(s)" + (f": {verdicts}" if verdicts else ""))
    return printable("; ".join(parts))


def render(result: ScanResult, options: RenderOptions) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines.extend(_finding_block(f, options))
    findings = result.findings
    if findings:
        mindee = sum(1 for f in findings if f.rule.is_mindee)
        lines.append("")
        lines.append(
            _c(f"{len(findings)} finding(s), {mindee} Mindee key(s).", "red", options)
            + f" Keys never expire: revoke {dashboards_line(findings)}."
        )
        for extra in remediation_lines(result):  # the REVOKE block names places and refs: inert too
            lines.append(_c(extra, "red", options) if extra.startswith("!!!") else printable(extra))
        if options.hook:
            lines.extend(_hook_help(options.hook, findings))
    # -q prints nothing when nothing is found: a pre-commit hook stays silent on a clean commit even in a
    # repository whose own config narrows the scan (its notes are in every report that is asked for).
    if findings or not options.quiet or result.stats.errors:
        for note in result.stats.notes:
            lines.append(printable(f"note: {note}"))
    for err in result.stats.errors:
        lines.append(f"error: {_printable(err)}")
    if options.verbose:
        for path, reason in result.stats.skipped:
            lines.append(f"skipped: {_printable(path)}: {_printable(reason)}")
    if findings or not options.quiet or result.stats.errors:
        lines.append(_c(summary_line(result), "dim", options))
    return "\n".join(lines) + ("\n" if lines else "")


def _hook_help(hook: str, findings: list[Finding]) -> list[str]:
    pushed = hook == "pre-push"
    return [
        "",
        f"This {hook} hook blocked the {'push' if pushed else 'commit'}. Three ways forward:",
        "  1. Remove the key from the code (read it from an environment variable or a secret manager)"
        + (
            ", and rewrite the unpushed commits (git rebase -i) so the key is not pushed."
            if pushed
            else ", then `git add` the file again."
        ),
        "  2. If it is not a real key, mark it: add `# mindee-scan:allow` on its line, or add its fingerprint "
        "to .mindee-scan-ignore with a reason.",
        f"  3. If this key was ever pushed or shared, revoke it now {dashboards_line(findings)} "
        "(create a new key, deploy it, delete the old one).",
    ]
