"""What the user must do about a finding, worded once and used by every output format."""

from __future__ import annotations

from typing import Any

from scanner.model import Finding, ScanResult

DASHBOARD_URL = "https://app.mindee.com/settings?tab=api-keys"
ROTATION_STEPS = (
    "Create a new API key in the Mindee dashboard (Settings → API Keys).",
    "Deploy the new key everywhere the old one is used (secret manager, CI variables, servers).",
    "Delete the old key in the dashboard: Mindee keys never expire, only deletion stops them.",
)
HISTORY_NOTE = (
    "Deleting the file or line does not remove the key from git history: anyone with a clone still has it. "
    "Revoke the key; rewriting history (git filter-repo --replace-text) only limits further spread."
)


def one_line_advice(finding: Finding) -> str:
    """The single line of advice printed under a finding in text output."""
    verdict = finding.verification.verdict
    if finding.is_mindee:
        if verdict == "live":
            return (
                f"LIVE KEY: revoke it now at {DASHBOARD_URL} (create a new key, deploy it, delete this one)."
            )
        if verdict == "revoked":
            return "Key is revoked (Mindee answered 401/403): remove it from the code; no further action on the key."
        return (
            f"Treat as compromised: rotate at {DASHBOARD_URL} (new key, deploy, delete old), "
            "then remove it from the code."
        )
    return "Rotate this credential with its provider, then remove it from the code."


def remediation_text(finding: Finding) -> str:
    """The full remediation for reports that have room for it (SARIF help, HTML details)."""
    lines = [one_line_advice(finding)]
    if finding.is_mindee:
        lines.append(f"Dashboard: {DASHBOARD_URL}")
        lines.extend(f"{i}. {step}" for i, step in enumerate(ROTATION_STEPS, 1))
    if finding.commit is not None:
        lines.append(HISTORY_NOTE)
    return "\n".join(lines)


def summary_counts(result: ScanResult) -> dict[str, Any]:
    findings = result.findings
    verdicts: dict[str, int] = {}
    for f in findings:
        verdicts[f.verification.verdict] = verdicts.get(f.verification.verdict, 0) + 1
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    return {
        "findings": len(findings),
        "mindee_findings": sum(1 for f in findings if f.is_mindee),
        "unique_secrets": len({f.fingerprint for f in findings}),
        "by_rule": dict(sorted(by_rule.items())),
        "by_verdict": dict(sorted(verdicts.items())),
    }
