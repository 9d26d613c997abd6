"""What the user must do about a finding, worded once and used by every output format.

Per finding: `one_line_advice`, `remediation_text`, `finding_remediation` (structured).
Per key (all places one secret was found): `key_plans`, `remediation_plan` (JSON), `remediation_lines` (text).
"""

from __future__ import annotations

from typing import Any

from scanner.model import Finding, ModelInfo, ScanResult
from scanner.record import record

# Where each kind of Mindee key is managed (docs/verification.md cites Mindee's docs for each).
V2_DASHBOARD_URL = "https://app.mindee.com/settings?tab=api-keys"  # md_ keys: app.mindee.com, Settings → API Keys
V1_DASHBOARD_URL = "https://platform.mindee.com"  # legacy 32-hex keys: the legacy platform, API keys in the left menu
INSIGHTS_URL = "https://app.mindee.com/insights"  # v2 usage, filterable by API key
DASHBOARD_URL = V2_DASHBOARD_URL  # v2 keys only: pick with dashboard_for() wherever the key is known
V2_ROTATION_STEPS = (
    "Create a new API key on app.mindee.com (Settings → API Keys).",
    "Deploy the new key everywhere the old one is used (secret manager, CI variables, servers).",
    "Delete the old key there: Mindee keys never expire, only deletion stops them.",
)
V1_ROTATION_STEPS = (
    "Create a new API key on Mindee's legacy platform, platform.mindee.com (API keys, in the left menu).",
    "Deploy the new key everywhere the old one is used (secret manager, CI variables, servers).",
    "Delete the old key there: Mindee keys never expire, only deletion stops them.",
)
ROTATION_STEPS = V2_ROTATION_STEPS  # v2 keys only: pick with rotation_steps() wherever the key is known
INSIGHTS_ADVICE = (
    f"Check this key's usage in Insights ({INSIGHTS_URL}, filter by API key) for calls you did not make, "
    "before and after the rotation."
)


def key_kind(finding: Finding, rule_only: bool = False) -> str | None:
    """ "v2" (md_ key), "v1" (legacy hex key) or None (not a Mindee key, or one whose context names another vendor).

    `rule_only` judges by the rule alone (SARIF rule help, shared by every finding of the rule).
    """
    if not finding.rule.is_mindee or (finding.rule.other_vendor and not rule_only):
        return None
    if finding.rule.verifier in ("mindee-v2", "mindee-v1"):
        return finding.rule.verifier[-2:]
    return "v2" if finding.redacted.startswith("md_") else "v1"


def dashboard_for(kind: str | None) -> str:
    return V1_DASHBOARD_URL if kind == "v1" else V2_DASHBOARD_URL


def rotation_steps(kind: str | None) -> tuple[str, ...]:
    return V1_ROTATION_STEPS if kind == "v1" else V2_ROTATION_STEPS


def dashboards_line(findings: list[Finding]) -> str:
    """Where to revoke, for the kinds of Mindee keys among `findings` (a summary line names each one once)."""
    kinds = {key_kind(f) for f in findings} - {None}
    if kinds == {"v1"}:
        return f"at {V1_DASHBOARD_URL} (legacy keys: API keys, left menu)"
    if kinds == {"v1", "v2"}:
        return f"md_ keys at {V2_DASHBOARD_URL}, legacy keys at {V1_DASHBOARD_URL} (API keys, left menu)"
    return f"at {V2_DASHBOARD_URL}"


HISTORY_NOTE = (
    "Deleting the file or line does not remove the key from git history: anyone with a clone still has it. "
    "Revoke the key; rewriting history (git filter-repo --replace-text) only limits further spread."
)
REPLACE_TEXT_WARNING = (
    "Rewriting history never replaces revocation: every existing clone, fork, CI cache and backup keeps the "
    "old commits. Revoke the key first; the file holds the keys in full, delete it when done."
)
RECHECK_HINT = "After deleting the key, run the same scan with --verify again: it should show the key as revoked."
LOCAL_HISTORY_NOTE = (
    "The key is in local commits only (no remote-tracking branch has them): rewrite those commits before "
    "pushing (git commit --amend, git rebase -i, or git filter-repo --replace-text) so it never leaves this clone."
)
STAGED_ADVICE = (
    "Staged, not committed yet: remove it before committing (read it from an environment variable or a "
    "secret manager), then `git add` the file again. Rotate it only if it was already committed, pushed or shared."
)


def one_line_advice(finding: Finding) -> str:
    """The single line of advice printed under a finding in text output."""
    verdict = finding.decisions.verification.verdict
    if finding.history.staged and verdict != "live":
        return STAGED_ADVICE
    kind = key_kind(finding)
    vendor = finding.rule.other_vendor
    if finding.rule.is_mindee and vendor:
        return (
            f"Its context names {vendor}: rotate it with {vendor} if it is theirs, "
            "then remove it from the code (not sent to Mindee)."
        )
    if kind is not None:
        where = dashboard_for(kind)
        if verdict == "live":
            usage = f"; check its usage in Insights ({INSIGHTS_URL})" if kind == "v2" else ""
            return f"LIVE KEY: revoke it now at {where} (create a new key, deploy it, delete this one){usage}."
        if verdict == "revoked":
            return "Key is revoked (Mindee answered 401): remove it from the code; no further action on the key."
        return f"Treat as compromised: rotate at {where} (new key, deploy, delete old), then remove it from the code."
    return "Rotate this credential with its provider, then remove it from the code."


def in_history(finding: Finding) -> bool:
    return finding.history.commit is not None or any(o.commit for o in finding.history.occurrences)


def pushed_refs(finding: Finding) -> list[str]:
    """Remote-tracking refs that hold the key: once pushed, others may have fetched it."""
    out = []
    for ref in finding.history.refs:
        name = ref.removeprefix("refs/")
        if name.startswith("remotes/") or ("/" in name and not name.startswith(("heads/", "tags/", "stash", "notes/"))):
            out.append(ref)
    return out


def is_pushed(finding: Finding) -> bool | None:
    """True/False when refs are known, None when the source cannot tell (a folder scan).

    An audit finding (`repo` set) is never "not pushed": an audit reads mirror clones, whose branches
    are the remote's own branches, so the absence of remote-tracking refs says nothing there."""
    if not in_history(finding):
        return None
    if not finding.history.refs:
        return None
    pushed = bool(pushed_refs(finding))
    return None if finding.where.repo is not None and not pushed else pushed


def places(finding: Finding) -> list[str]:
    """Every place the key was seen, as `[repo: ]path:line[ @commit]`."""
    at, history = finding.where, finding.history
    prefix = f"{at.repo}: " if at.repo else ""
    first = f"{prefix}{at.path}:{at.line}" + (f" @{history.commit[:12]}" if history.commit else "")
    seen: dict[str, None] = {first: None}  # ordered and deduplicated in linear time
    for o in history.occurrences:
        repo = f"{o.repo}: " if o.repo else prefix
        seen[f"{repo}{o.path}:{o.line}" + (f" @{o.commit[:12]}" if o.commit else "")] = None
    return list(seen)


def finding_remediation(finding: Finding) -> dict[str, Any]:
    """Structured advice for one finding (JSON, JSONL and any format with room for fields)."""
    verdict = finding.decisions.verification.verdict
    out: dict[str, Any] = {
        "action": _action(finding),
        "advice": one_line_advice(finding),
    }
    kind = key_kind(finding)
    if kind is not None:
        out["key_type"] = kind
        out["dashboard"] = dashboard_for(kind)
        if verdict != "revoked" and not (finding.history.staged and verdict != "live"):
            out["steps"] = list(rotation_steps(kind))
        if kind == "v2" and verdict == "live":
            out["usage"] = INSIGHTS_ADVICE
    if in_history(finding):
        out["in_history"] = True
        out["pushed"] = is_pushed(finding)
        out["history_note"] = history_note(is_pushed(finding))
    return out


def history_note(pushed: bool | None) -> str:
    """Commits never pushed can still be rewritten before anyone has them; pushed (or unknown) ones cannot."""
    return LOCAL_HISTORY_NOTE if pushed is False else HISTORY_NOTE


def _action(finding: Finding) -> str:
    verdict = finding.decisions.verification.verdict
    if finding.history.staged and verdict != "live":
        return "remove-before-commit"
    if key_kind(finding) is None:
        return "rotate"
    if verdict == "live":
        return "revoke-now"
    if verdict == "revoked":
        return "remove-from-code"
    return "rotate"


def remediation_text(finding: Finding) -> str:
    """The full remediation for reports that have room for it (SARIF help, HTML details)."""
    lines = [one_line_advice(finding)]
    v = finding.decisions.verification
    kind = key_kind(finding)
    if kind is not None and v.verdict == "live" and v.model_count is not None:
        lines.append(f"Blast radius: {v.model_count} model(s) of the organisation reachable with this key.")
        lines.extend(f"  - {label}" for label in model_labels(v.models, v.model_details, v.model_count))
    if kind is not None and v.verdict != "revoked":
        if finding.history.staged and v.verdict != "live":
            lines.append(f"If it was already committed, pushed or shared, rotate it: {dashboard_for(kind)}")
        else:
            lines.append(f"Dashboard: {dashboard_for(kind)}")
        lines.extend(f"{i}. {step}" for i, step in enumerate(rotation_steps(kind), 1))
        if kind == "v2" and v.verdict == "live":
            lines.append(INSIGHTS_ADVICE)
    if in_history(finding):
        pushed = is_pushed(finding)
        if pushed:
            lines.append("The key is in pushed history (" + ", ".join(pushed_refs(finding)) + ").")
        lines.append(history_note(pushed))
    return "\n".join(lines)


def model_labels(
    names: tuple[str, ...], details: tuple[ModelInfo, ...], count: int | None, limit: int = 10
) -> list[str]:
    """Up to `limit` models as "name (model_type, id)", then how many more."""
    labels = [m.label() for m in details] if details else list(names)
    shown = labels[:limit]
    more = (count if count is not None else len(labels)) - len(shown)
    if more > 0:
        shown.append(f"… and {more} more")
    return shown


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
    kind: str | None = None  # "v1", "v2", None: see key_kind()
    model_details: tuple[ModelInfo, ...] = ()
    staged: bool = False  # every place is a line the next commit adds

    @property
    def action(self) -> str:
        if self.staged and self.verdict != "live":
            return "remove-before-commit"
        if self.kind is None:
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
        if self.kind is not None:
            out["key_type"] = self.kind
            out["dashboard"] = dashboard_for(self.kind)
            if self.verdict != "revoked" and self.action != "remove-before-commit":
                out["steps"] = list(rotation_steps(self.kind))
            if self.kind == "v2" and self.verdict == "live":
                out["usage"] = INSIGHTS_ADVICE
        if self.model_count is not None:
            out["model_count"] = self.model_count
            out["models"] = list(self.models)
            if self.model_details:
                out["model_details"] = [m.to_dict() for m in self.model_details]
        if self.in_history:
            out["history_note"] = history_note(self.pushed)
        return out


def key_plans(result: ScanResult) -> list[KeyPlan]:
    """One plan per distinct secret, live Mindee keys first."""
    groups: dict[str, list[Finding]] = {}
    for f in result.findings:
        groups.setdefault(f.secret.hash, []).append(f)
    plans = []
    for key_hash, findings in groups.items():
        first = findings[0]
        verified = next((f for f in findings if f.decisions.verification.verdict != "not-checked"), first)
        where: dict[str, None] = {}  # ordered sets: one key found 30,000 times was quadratic here
        refs: dict[str, None] = {}
        for f in findings:
            where.update(dict.fromkeys(places(f)))
            refs.update(dict.fromkeys(pushed_refs(f)))
        history = any(in_history(f) for f in findings)
        pushed_flags = [is_pushed(f) for f in findings]
        pushed = True if any(pushed_flags) else (False if False in pushed_flags else None)
        v = verified.decisions.verification
        plans.append(
            KeyPlan(
                secret_hash=key_hash,
                redacted=first.redacted,
                rule_id=first.rule.id,
                verdict=v.verdict,
                detail=v.detail,
                is_mindee=any(f.rule.is_mindee for f in findings),
                places=tuple(where),
                in_history=history,
                pushed=pushed,
                pushed_refs=tuple(refs),
                model_count=v.model_count,
                models=v.models,
                kind=next((k for k in map(key_kind, findings) if k is not None), None),
                model_details=v.model_details,
                staged=all(f.history.staged for f in findings),
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
    live = [p for p in plans if p.kind is not None and p.verdict == "live"]
    lines: list[str] = []
    for p in live:
        lines.append("")
        lines.append(f"!!! REVOKE NOW: Mindee key {p.redacted} is LIVE: anyone who has it can use your account.")
        if p.model_count is not None:
            lines.append(
                f"    It reaches {p.model_count} model(s) of your organisation" + (":" if p.model_count else ".")
            )
            lines.extend(f"      - {label}" for label in model_labels(p.models, p.model_details, p.model_count))
        lines.append(f"    Dashboard: {dashboard_for(p.kind)}")
        lines.extend(f"    {i}. {step}" for i, step in enumerate(rotation_steps(p.kind), 1))
        if p.kind == "v2":
            lines.append("    " + INSIGHTS_ADVICE)
        lines.append(f"    Found in {len(p.places)} place(s):")
        lines.extend(f"      - {where}" for where in p.places)
        if p.pushed:
            lines.append("    It is in PUSHED history (" + ", ".join(p.pushed_refs) + "): assume others have it.")
        elif p.pushed is False:
            lines.append("    It is in local history only (not on any remote-tracking branch).")
        if p.in_history:
            lines.append("    " + history_note(p.pushed))
    if live:
        lines.append("    " + RECHECK_HINT)
    elif any(p.in_history for p in plans):
        lines.append("")
        # The warning that history keeps the key is for pushed (or unknown) commits; unpushed ones can be fixed.
        pushed = [p.pushed for p in plans if p.in_history]
        lines.append(history_note(False if all(x is False for x in pushed) else None))
    return lines


def revoke_lines(result: ScanResult) -> list[str]:
    """The REVOKE NOW block alone (live Mindee keys), for stderr when the report goes to a file."""
    lines = remediation_lines(result)
    return lines if any(line.startswith("!!!") for line in lines) else []


def summary_counts(result: ScanResult) -> dict[str, Any]:
    findings = result.findings
    verdicts: dict[str, int] = {}
    for f in findings:
        verdict = f.decisions.verification.verdict
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule.id] = by_rule.get(f.rule.id, 0) + 1
    live_keys = {f.secret.hash for f in findings if f.rule.is_mindee and f.decisions.verification.verdict == "live"}
    return {
        "findings": len(findings),
        "mindee_findings": sum(1 for f in findings if f.rule.is_mindee),
        "unique_secrets": len({f.fingerprint for f in findings}),
        "live_mindee_keys": len(live_keys),
        "by_rule": dict(sorted(by_rule.items())),
        "by_verdict": dict(sorted(verdicts.items())),
    }
