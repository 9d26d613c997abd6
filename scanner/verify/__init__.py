"""Ask Mindee whether found keys are live. Only ever runs on `--verify` or `mindee-scan verify`.

`verify_result` fills Finding.verification for Mindee findings; `verify_keys` serves re-checks (audits).
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.model import Finding, ScanResult, Secret, Verification, VerificationStats
from scanner.record import replace
from scanner.verify.checker import Verifier, VerifyConfig
from scanner.verify.mindee import VERIFIERS

__all__ = ["Verifier", "VerifyConfig", "may_send", "verify_keys", "verify_result"]


def may_send(finding: Finding) -> bool:
    """Only a key the detector attributes to Mindee goes to Mindee: never one whose context names another vendor."""
    return finding.may_verify and finding.rule.verifier in VERIFIERS


def verify_keys(
    keys: Iterable[tuple[Secret, str]],
    v2_url: str | None = None,
    v1_url: str | None = None,
    verifier: Verifier | None = None,
) -> dict[str, Verification]:
    """(secret, verifier name) pairs -> {secret_hash: Verification}; each distinct key is sent once.

    Callers pass only keys that may be sent (see `may_send`): the pairs carry no context to judge by.

    Pass the same `verifier` to several calls to share its cache and rate limit across them.
    """
    checker = verifier or Verifier.from_urls(v2_url, v1_url)
    results = checker.verify_many((s, v) for s, v in keys if v in VERIFIERS)
    return {key_hash: verdict for (key_hash, _name), verdict in results.items()}


def verify_result(
    result: ScanResult, v2_url: str | None, v1_url: str | None, verifier: Verifier | None = None
) -> ScanResult:
    """Return `result` with every Mindee finding's verdict filled in; other findings stay not-checked."""
    checker = verifier or Verifier.from_urls(v2_url, v1_url)
    pairs = [(f.secret, f.rule.verifier) for f in result.findings if may_send(f)]
    verdicts = checker.verify_many((s, v) for s, v in pairs if v is not None)
    findings = []
    for f in result.findings:
        if may_send(f) and f.rule.verifier is not None:
            verdict = verdicts[(f.secret.hash, f.rule.verifier)]
        elif f.rule.other_vendor:
            verdict = Verification("not-checked", f"its context names {f.rule.other_vendor}: never sent to Mindee")
        else:
            verdict = Verification("not-checked", "no verifier for this rule")
        findings.append(f.with_changes(decisions=replace(f.decisions, verification=verdict)))
    result.stats.notes.extend(n for n in checker.warnings if n not in result.stats.notes)
    result.findings = findings
    counts: dict[str, int] = {}  # per distinct key, like keys_checked
    for verdict in verdicts.values():
        counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
    result.stats.verification = VerificationStats(
        keys_checked=len(verdicts),
        requests=checker.requests_sent,
        v2_url=str(checker.v2),
        v1_url=str(checker.v1),
        verdicts=dict(sorted(counts.items())),
    )
    return result
