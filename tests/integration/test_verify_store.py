"""The audit store closes a key (state `revoked`) on Mindee's own 401 and on nothing else.

Through the real store: a real git repository audited into SQLite, re-checked (`findings list --verify`'s
`recheck_open`) against a loopback Mindee that answers each shape in turn. A proxy's HTML 403 used to move
every live key to `revoked`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.audit.findings import Filters, load_findings
from scanner.audit.recheck import recheck_open
from scanner.audit.runner import AuditOptions, run_audit
from scanner.audit.store import Store
from scanner.audit.targets import resolve
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v1_key, v2_key
from tests.testing.mindee_mock import (
    UNAUTHORIZED,
    V1_NOT_FOUND,
    V1_UNAUTHORIZED,
    MindeeMock,
    Reply,
    v1_error,
    v2_problem,
)

HTML = {"Content-Type": "text/html"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, str, str]]:
    repo = init_repo(tmp_path / "repo")
    v2, v1 = v2_key(), v1_key()
    commit_file(repo, "settings.env", f"MINDEE_V2_API_KEY={v2}\nMINDEE_API_KEY={v1}\n")
    db = Store.open(str(tmp_path / "audit.db"))
    options = AuditOptions(targets=tuple(resolve([str(repo)])), cache_dir=str(tmp_path / "cache"), jobs=1)
    run_audit(options, db)  # keys not stored: every re-check re-reads them from git
    yield db, v2, v1
    db.close()


def _state(db: Store, secret_prefix: str) -> tuple[str, str]:
    [f] = [f for f in load_findings(db, Filters()) if f.redacted.startswith(secret_prefix[:4])]
    return f.state, f.decisions.verification.verdict


@pytest.mark.timeout(120)
def test_only_mindees_401_closes_a_live_key(store: tuple[Store, str, str], mindee: MindeeMock) -> None:
    db, v2, v1 = store
    steps: list[tuple[Reply, Reply, str]] = [
        (Reply(200, {"models": [], "pagination": {"total_items": 0}}), V1_NOT_FOUND, "live"),
        (Reply(403, b"<html>Blocked by WAF</html>", HTML), Reply(403, b"<html>Blocked by WAF</html>", HTML), "unknown"),
        (Reply(200, {"models": []}), V1_NOT_FOUND, "live"),
        (Reply(401, b"<html>401 Authorization Required</html>", HTML), Reply(401, b"", HTML), "unknown"),
        (Reply(200, {"models": []}), V1_NOT_FOUND, "live"),
        (Reply(401, {"detail": "Invalid API key"}), Reply(401, {"error": "unauthorized"}), "unknown"),
        (Reply(200, {"models": []}), V1_NOT_FOUND, "live"),
        (
            Reply(403, v2_problem(403, "403-001", "Forbidden", "You don't have access to the requested resource.")),
            Reply(403, v1_error(403, "PlanLimitReached", "Plan limit reached", "Maximum number of requests")),
            "live",
        ),
        (Reply(402, v2_problem(402, "402-001", "Payment Required", "Subscription not active.")), V1_NOT_FOUND, "live"),
        (Reply(404, {"detail": "Not Found"}), Reply(404, {"detail": "Not Found"}), "unknown"),
        (Reply(200, {"models": []}), V1_NOT_FOUND, "live"),
        (Reply(503, b"<html>down</html>", HTML), Reply(500, b"garbage"), "unknown"),
    ]
    for v2_reply, v1_reply, verdict in steps:
        mindee.script("v2", v2, v2_reply)
        mindee.script("v1", v1, v1_reply)
        checks, missing = recheck_open(db, mindee.v2_url, mindee.v1_url)
        assert missing == [] and len(checks) == 2
        assert {c.verdict for c in checks} == {verdict}, [c.detail for c in checks]
        assert _state(db, v2) == ("open", verdict)
        assert _state(db, v1) == ("open", verdict)

    mindee.script("v2", v2, Reply(200, {"models": []}))
    mindee.script("v1", v1, V1_NOT_FOUND)
    recheck_open(db, mindee.v2_url, mindee.v1_url)
    mindee.script("v2", v2, Reply(403, b"<html>Blocked by WAF</html>", HTML))  # a proxy in between: unknown
    mindee.script("v1", v1, Reply(403, b"<html>Blocked by WAF</html>", HTML))
    recheck_open(db, mindee.v2_url, mindee.v1_url)
    mindee.script("v2", v2, UNAUTHORIZED)  # Mindee's own 401: the key was deleted in the dashboard
    mindee.script("v1", v1, V1_UNAUTHORIZED)
    checks, _ = recheck_open(db, mindee.v2_url, mindee.v1_url)
    # Judged against the last verdict that said something (live), not the proxy's unknown in between.
    assert {(c.previous, c.verdict) for c in checks} == {("unknown", "revoked")}
    assert _state(db, v2) == ("revoked", "revoked")
    assert _state(db, v1) == ("revoked", "revoked")
    row = db.conn.execute("SELECT note FROM triage WHERE state = 'revoked'").fetchall()
    assert row and all("401" in note and "403" not in note for (note,) in row)
