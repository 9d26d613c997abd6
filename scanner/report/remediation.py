"""What the user must do about a finding, worded once and used by every output format.

Per finding: `one_line_advice`, `remediation_text`, `finding_remediation` (structured).
Per key (all places one secret was found): `key_plans`, `remediation_plan` (JSON), `remediation_lines` (text).
"""

from __future__ import annotations

from typing import Any

from scanner.model import Finding, ScanResult
from scanner.record import record

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
REPLACE_TEXT_WARNING = (
    "Rewriting history never replaces revocation: every existing clone, fork, CI cache and backup keeps the "
    "old commits. Revoke the key first; the file holds the keys in full, delete it when done."
)
RECHECK_HINT = "After deleting the key, run the same scan with --verify again: it should show the key as revoked."


def one_line_advice(finding: Finding) -> str:
    """The single line of advice printed under a finding in text output."""
    verdict = finding.verification.verdict
    if finding.is_mindee:
        if verdict == "live":
            return f"LIVE KEY: revoke it now at {DASHBOARD_URL} (create a new key, deploy it, delete this one)."
        if verdict == "revoked":
            return "Key is revoked (Mindee answered 401/403): remove it from the code; no further action on the key."
        return (
            f"Treat as compromised: rotate at {DASHBOARD_URL} (new key, deploy, delete old), "
            "then remove it from the code."
        )
    return "Rotate this credential with its provider, then remove it from the code."


def in_history(finding: Finding) -> bool:
    return finding.commit is not None or any(o.commit for o in finding.occurrences)


def pushed_refs(finding: Finding) -> list[str]:
    """Remote-tracking refs that hold the key: once pushed, others may have fetched it."""
    out = []
    for ref in finding.refs:
        name = ref.removeprefix("refs/")
        if name.startswith("remotes/") or ("/" in name and not name.startswith(("heads/", "tags/", "stash", "notes/"))):
            out.append(ref)
    return out


def is_pushed(finding: Finding) -> bool | None:
    """True/False when refs are known, None when the source cannot tell (a folder scan)."""
    if not in_history(finding):
        return None
    if not finding.refs:
        return None
    return bool(pushed_refs(finding))


def places(finding: Finding) -> list[str]:
    """Every place the key was seen, as `[repo: ]path:line[ @commit]`."""
    prefix = f"{finding.repo}: " if finding.repo else ""
    seen: list[str] = []
    first = f"{prefix}{finding.path}:{finding.line}" + (f" @{finding.commit[:12]}" if finding.commit else "")
    seen.append(first)
    for o in finding.occurrences:
        repo = f"{o.repo}: " if o.repo else prefix
        where = f"{repo}{o.path}:{o.line}" + (f" @{o.commit[:12]}" if o.commit else "")
        if where not in seen:
            seen.append(where)
    return seen


def finding_remediation(finding: Finding) -> dict[str, Any]:
    """Structured advice for one finding (JSON, JSONL and any format with room for fields)."""
    verdict = finding.verification.verdict
    out: dict[str, Any] = {
        "action": _action(finding),
        "advice": one_line_advice(finding),
    }
    if finding.is_mindee:
        out["dashboard"] = DASHBOARD_URL
        if verdict != "revoked":
            out["steps"] = list(ROTATION_STEPS)
    if in_history(finding):
        out["in_history"] = True
        out["pushed"] = is_pushed(finding)
        out["history_note"] = HISTORY_NOTE
    return out


def _action(finding: Finding) -> str:
    verdict = finding.verification.verdict
    if not finding.is_mindee:
        return "rotate"
    if verdict == "live":
        return "revoke-now"
    if verdict == "revoked":
        return "remove-from-code"
    return "rotate"


def remediation_text(finding: Finding) -> str:
    """The full remediation for reports that have room for it (SARIF help, HTML details)."""
    lines = [one_line_advice(finding)]
    v = finding.verification
    if finding.is_mindee and v.verdict == "live" and v.model_count is not None:
        lines.append(f"Blast radius: {v.model_count} model(s) of the organisation reachable with this key.")
    if finding.is_mindee and v.verdict != "revoked":
        lines.append(f"Dashboard: {DASHBOARD_URL}")
        lines.extend(f"{i}. {step}" for i, step in enumerate(ROTATION_STEPS, 1))
    if in_history(finding):
        pushed = is_pushed(finding)
        if pushed:
            lines.append("The key is in pushed history (" + ", ".join(pushed_refs(finding)) + ").")
        lines.append(HISTORY_NOTE)
    return "\n".join(lines)


@record(frozen=True)
class KeyPlan:
    """Everything about one distinct secret across all its findings: the unit the user revokes."""

    secret_hash: str
    redacted: str
    rule_id: str
    verdict: str
    detail: str
    is_mindee: bool
    places: tuple[str, ...]
    in_history: bool
    pushed: bool | None
    pushed_refs: tuple[str, ...]
    model_count: int | None
    models: tuple[str, ...]

    @property
    def action(self) -> str:
        if not self.is_mindee:
            return "rotate"
        return {"live": "revoke-now", "revoked": "remove-from-code"}.get(self.verdict, "rotate")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "secret_hash": self.secret_hash,
            "redacted": self.redacted,
            "rule_id": self.rule_id,
            "verdict": self.verdict,
            "action": self.action,
            "places": list(self.places),
            "in_history": self.in_history,
            "pushed": self.pushed,
        }
        if self.pushed_refs:
            out["pushed_refs"] = list(self.pushed_refs)
        if self.is_mindee:
            out["dashboard"] = DASHBOARD_URL
            if self.verdict != "revoked":
                out["steps"] = list(ROTATION_STEPS)
        if self.model_count is not None:
            out["model_count"] = self.model_count
            out["models"] = list(self.models)
        if self.in_history:
            out["history_note"] = HISTORY_NOTE
        return out


def key_plans(result: ScanResult) -> list[KeyPlan]:
    """One plan per distinct secret, live Mindee keys first."""
    groups: dict[str, list[Finding]] = {}
    for f in result.findings:
        groups.setdefault(f.secret_hash, []).append(f)
    plans = []
    for key_hash, findings in groups.items():
        first = findings[0]
        verified = next((f for f in findings if f.verification.verdict != "not-checked"), first)
        where: list[str] = []
        refs: list[str] = []
        for f in findings:
            where.extend(p for p in places(f) if p not in where)
            refs.extend(r for r in pushed_refs(f) if r not in refs)
        history = any(in_history(f) for f in findings)
        pushed_flags = [is_pushed(f) for f in findings]
        pushed = True if any(pushed_flags) else (False if False in pushed_flags else None)
        v = verified.verification
        plans.append(
            KeyPlan(
                secret_hash=key_hash,
                redacted=first.redacted,
                rule_id=first.rule_id,
                verdict=v.verdict,
                detail=v.detail,
                is_mindee=any(f.is_mindee for f in findings),
                places=tuple(where),
                in_history=history,
                pushed=pushed,
                pushed_refs=tuple(refs),
                model_count=v.model_count,
                models=v.models,
            )
        )
    order = {"live": 0, "unknown": 1, "not-checked": 2, "revoked": 3}
    plans.sort(key=lambda p: (not p.is_mindee, order.get(p.verdict, 2), p.places[0] if p.places else ""))
    return plans


def remediation_plan(result: ScanResult) -> list[dict[str, Any]]:
    """Per-key plans for machine formats."""
    return [p.to_dict() for p in key_plans(result)]


def remediation_lines(result: ScanResult) -> list[str]:
    """The loud block for text output: live keys first, each with where it is and the safe order to rotate."""
    plans = key_plans(result)
    live = [p for p in plans if p.is_mindee and p.verdict == "live"]
    lines: list[str] = []
    for p in live:
        lines.append("")
        lines.append(f"!!! REVOKE NOW: Mindee key {p.redacted} is LIVE: anyone who has it can use your account.")
        if p.model_count is not None:
            names = ", ".join(p.models[:10]) + ("…" if p.model_count > 10 else "")
            lines.append(
                f"    It reaches {p.model_count} model(s) of your organisation" + (f": {names}" if names else ".")
            )
        lines.append(f"    Dashboard: {DASHBOARD_URL}")
        lines.extend(f"    {i}. {step}" for i, step in enumerate(ROTATION_STEPS, 1))
        lines.append(f"    Found in {len(p.places)} place(s):")
        lines.extend(f"      - {where}" for where in p.places)
        if p.pushed:
            lines.append("    It is in PUSHED history (" + ", ".join(p.pushed_refs) + "): assume others have it.")
        elif p.pushed is False:
            lines.append("    It is in local history only (not on any remote-tracking branch).")
        if p.in_history:
            lines.append("    " + HISTORY_NOTE)
    if live:
        lines.append("    " + RECHECK_HINT)
    elif any(p.in_history for p in plans):
        lines.append("")
        lines.append(HISTORY_NOTE)
    return lines


def summary_counts(result: ScanResult) -> dict[str, Any]:
    findings = result.findings
    verdicts: dict[str, int] = {}
    for f in findings:
        verdicts[f.verification.verdict] = verdicts.get(f.verification.verdict, 0) + 1
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    live_keys = {f.secret_hash for f in findings if f.is_mindee and f.verification.verdict == "live"}
    return {
        "findings": len(findings),
        "mindee_findings": sum(1 for f in findings if f.is_mindee),
        "unique_secrets": len({f.fingerprint for f in findings}),
        "live_mindee_keys": len(live_keys),
        "by_rule": dict(sorted(by_rule.items())),
        "by_verdict": dict(sorted(verdicts.items())),
    }
