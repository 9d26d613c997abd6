"""Re-check open keys against Mindee and record transitions (a live key later seen revoked).

The store keeps no key in clear by default, so each key is re-read from the recorded provenance
(commit + path in the audited repository or its mirror) and matched back by its hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.audit.findings import Filters, StoredFinding, load_findings
from scanner.audit.gitops import commit_message, read_blob
from scanner.audit.store import Store
from scanner.errors import SourceError
from scanner.model import Finding, Secret, Verification
from scanner.record import record

if TYPE_CHECKING:
    from scanner.detect.findings import FindingBuilder


@record(frozen=True)
class Recheck:
    fingerprint: str
    previous: str
    verdict: str
    detail: str


def recheck_open(
    store: Store, v2_url: str | None, v1_url: str | None, config_path: str | None = None, filters: Filters | None = None
) -> tuple[list[Recheck], list[str]]:
    """Verify every open, not yet revoked key; returns the verdicts and the keys that could not be re-read."""
    from scanner.app.detector import finding_builder
    from scanner.config import load_config
    from scanner.record import replace
    from scanner.verify import verify_keys

    base = filters or Filters()
    # A deleted Mindee key never comes back: once seen revoked it is not sent again.
    found = load_findings(store, replace(base, state="open"))
    # The store records verifier=None for a key whose context names another vendor: never sent to Mindee.
    candidates = [f for f in found if f.may_verify and f.decisions.verification.verdict != "revoked"]
    builder = finding_builder(load_config(config_path, None))
    keys: list[tuple[StoredFinding, Secret]] = []
    missing: list[str] = []
    for finding in candidates:
        if finding.secret.known:
            keys.append((finding, finding.secret))
            continue
        recovered = _recover(store, builder, finding)
        if recovered is None:
            missing.append(finding.fingerprint)
        elif recovered.may_verify:  # re-read today, its context may now name another vendor
            keys.append((finding, recovered.secret))
    verdicts = verify_keys([(secret, f.rule.verifier or "") for f, secret in keys], v2_url, v1_url)
    out: list[Recheck] = []
    for finding, _secret in keys:
        verification = verdicts.get(finding.secret.hash)
        if verification is None:
            continue
        verification = closing_safe(verification)
        previous = store.record_verification(finding.fingerprint, verification, "recheck")
        out.append(Recheck(finding.fingerprint, previous, verification.verdict, verification.detail))
    return out, missing


def closing_safe(verification: Verification) -> Verification:
    """A "revoked" verdict closes a key in the store (live -> revoked): only Mindee's own 401 may do that.

    The verifier already gives "revoked" for nothing else; this keeps the store's promise even if a
    future verdict path forgets (a 403 or a proxy's answer closed live keys before).
    """
    if verification.verdict == "revoked" and verification.status_code != 401:
        from scanner.record import replace

        return replace(verification, verdict="unknown", detail=f"not closed: {verification.detail}")
    return verification


def _recover(store: Store, builder: FindingBuilder, finding: StoredFinding) -> Finding | None:
    """Find the clear key again at one of its recorded locations; None if no location still has it."""
    git_dirs = store.git_dirs()
    for occ in finding.history.occurrences:
        git_dir = git_dirs.get(occ.repo) if occ.repo else None
        if not git_dir or not occ.commit:
            continue
        for raw in _contents(git_dir, occ.commit, occ.path):
            found, _binary = builder.from_bytes(raw, occ.path)
            for candidate in found:
                if candidate.secret.hash == finding.secret.hash:
                    return candidate
    return None


def _contents(git_dir: str, commit: str, path: str) -> list[bytes]:
    """The file at commit:path, or the commit itself when the key was in its message."""
    out: list[bytes] = []
    for read in (read_blob, lambda d, c, _p: commit_message(d, c)):
        try:
            out.append(read(git_dir, commit, path))
        except SourceError:
            continue
    return out
