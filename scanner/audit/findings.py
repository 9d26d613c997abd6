"""Read the store back as findings: the same `Finding`s a scan produces, so every renderer works unchanged.

The store keeps secrets by hash only, so a stored finding carries its fingerprint, hash and redacted
form as read from their columns, never derived from the clear key (which it may not have).
"""

from __future__ import annotations

import json
from typing import Any

from scanner.audit.store import Store
from scanner.model import (
    Decisions,
    Finding,
    Judgement,
    LineContext,
    Location,
    Occurrence,
    Provenance,
    ScanResult,
    ScanStats,
    Secret,
    StoreStats,
    Triage,
    Verification,
)
from scanner.record import record


@record(frozen=True, slots=True)
class StoredFinding(Finding):
    """A finding read from the store: its `secret` (hash, redacted form, and the clear key only when the
    audit kept it) comes from stored columns, and its fingerprint from that hash."""

    revoked_detected_at: str | None = None

    @property
    def state(self) -> str:
        """The triage state that counts today (an accepted risk past its expiry is open again)."""
        triage = self.decisions.triage
        return triage.effective_state() if triage else "open"

    def to_dict(self, show_secret: bool = False, snippet: str | None = None) -> dict[str, Any]:
        out = Finding.to_dict(self, show_secret and self.secret.known, snippet)
        out["state"] = self.state
        out["triage"] = (self.decisions.triage or Triage()).to_dict()
        if self.revoked_detected_at:
            out["revoked_detected_at"] = self.revoked_detected_at
        return out


@record(frozen=True)
class Filters:
    repo: str | None = None  # exact key, or a substring of it
    rule: str | None = None
    verdict: str | None = None
    state: str | None = None
    fingerprint: str | None = None


def load_findings(store: Store, filters: Filters | None = None) -> list[StoredFinding]:
    filters = filters or Filters()
    rows = store.secret_rows()
    out: list[StoredFinding] = []
    for row in rows:
        (sid, fp, rule_id, shash, redacted, desc, severity, verifier, secret, revoked_at, *decided) = row
        state, note, who, at, expires = decided
        triage = Triage(state, note or "", who or "", at or "", expires) if state else None
        if filters.fingerprint and fp != filters.fingerprint:
            continue
        if filters.rule and rule_id != filters.rule:
            continue
        if filters.state and (triage.effective_state() if triage else "open") != filters.state:
            continue
        verification = latest_verification(store, sid)
        if filters.verdict and verification.verdict != filters.verdict:
            continue
        located, occurs = store.secret_places(sid)
        if not located:
            continue
        if filters.repo and not any(_repo_matches(filters.repo, key) for key, *_ in located):
            continue
        occurrences = tuple(
            Occurrence(path=path, line=line, commit=commit or None, column=col, repo=key)
            for key, commit, path, line, col in occurs
        )
        key, commit, author, date, path, line, col, encoding, snippet, _present, _refs = located[0]
        many = len({loc[0] for loc in located}) > 1
        refs = sorted(f"{loc[0]}:{r}" if many else r for loc in located for r in json.loads(loc[10]))
        presents = [loc[9] for loc in located if loc[9] is not None]
        out.append(
            StoredFinding(
                Judgement(rule_id, desc, severity, verifier),
                Location(path, line, col, key),
                Secret.stored(shash, redacted, secret or ""),
                LineContext(snippet, encoding=encoding),
                Provenance(commit or None, author, date, occurrences, any(presents) if presents else None, tuple(refs)),
                Decisions(verification, triage=triage),
                revoked_detected_at=revoked_at,
            )
        )
    return out


def _repo_matches(wanted: str, key: str) -> bool:
    return wanted == key or wanted in key


def latest_verification(store: Store, secret_id: int) -> Verification:
    row = store.latest_verification_row(secret_id)
    if row is None:
        return Verification()
    verdict, detail, checked_at, status, models, model_count = row
    return Verification(
        verdict=verdict,
        detail=detail,
        checked_at=checked_at,
        status_code=status,
        models=tuple(json.loads(models)),
        model_count=model_count,
    )


def history(store: Store, fingerprint: str) -> dict[str, list[dict[str, Any]]]:
    """Verification and triage history of one finding, oldest first (for `findings show`)."""
    verification_rows, triage_rows = store.history_rows(fingerprint)
    verifications = [
        {"verdict": v, "detail": d, "status_code": s, "checked_at": at, "context": ctx}
        for v, d, s, at, ctx in verification_rows
    ]
    triage = [
        {"state": st, "note": n, "who": w, "at": at, **({"expires": exp} if exp else {})}
        for st, n, w, at, exp in triage_rows
    ]
    return {"verifications": verifications, "triage": triage}


def store_result(store: Store, filters: Filters | None = None) -> ScanResult:
    """The whole audit (or a filtered part) as one ScanResult, ready for any renderer."""
    findings: list[Finding] = list(load_findings(store, filters))
    stats = ScanStats()
    latest = store.latest_scans()
    totals = store.scan_totals()
    ok = [row for row in latest if row[1] != "error"]
    stats.files_scanned = int(totals[0]) or len(ok)
    stats.bytes_scanned = int(totals[1])
    stats.errors = [f"{key}: {error}" for key, status, error, *_ in latest if status == "error"]
    stats.store = StoreStats(
        repositories=len(latest), repositories_ok=len(ok), last_scan_at=max((row[5] for row in latest), default=None)
    )
    result = ScanResult(findings=findings, stats=stats, target=store.path, source="audit")
    result.sort()
    return result
