"""Re-check open keys against Mindee and record transitions (a live key later seen revoked).

The store keeps no key in clear by default, so each key is re-read from the recorded provenance
(commit + path in the audited repository or its mirror) and matched back by its hash.
"""

from __future__ import annotations

from scanner.audit.findings import Filters, StoredFinding, load_findings
from scanner.audit.gitops import commit_message, read_blob
from scanner.audit.store import Store
from scanner.engine import FindingBuilder
from scanner.errors import SourceError
from scanner.record import record


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
    from scanner.config import load_config
    from scanner.engine import build_detector
    from scanner.record import replace
    from scanner.verify import verify_keys

    base = filters or Filters()
    # A deleted Mindee key never comes back: once seen revoked it is not sent again.
    found = load_findings(store, replace(base, state="open"))
    candidates = [f for f in found if f.verifier and f.verification.verdict != "revoked"]
    builder = FindingBuilder(build_detector(load_config(config_path, None)))
    keys: list[tuple[StoredFinding, str]] = []
    missing: list[str] = []
    for finding in candidates:
        secret = finding.secret or _recover(store, builder, finding)
        if secret is None:
            missing.append(finding.fingerprint)
        else:
            keys.append((finding, secret))
    verdicts = verify_keys([(secret, f.verifier or "") for f, secret in keys], v2_url, v1_url)
    out: list[Recheck] = []
    for finding, _secret in keys:
        verification = verdicts.get(finding.secret_hash)
        if verification is None:
            continue
        previous = store.record_verification(finding.fingerprint, verification, "recheck")
        out.append(Recheck(finding.fingerprint, previous, verification.verdict, verification.detail))
    return out, missing


def _recover(store: Store, builder: FindingBuilder, finding: StoredFinding) -> str | None:
    """Find the clear key again at one of its recorded locations; None if no location still has it."""
    git_dirs = dict(store.conn.execute("SELECT key, git_dir FROM repositories").fetchall())
    for occ in finding.occurrences:
        git_dir = git_dirs.get(occ.repo)
        if not git_dir or not occ.commit:
            continue
        for raw in _contents(git_dir, occ.commit, occ.path):
            found, _binary = builder.from_bytes(raw, occ.path)
            for candidate in found:
                if candidate.secret_hash == finding.secret_hash:
                    return candidate.secret
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
