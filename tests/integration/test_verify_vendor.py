"""A key whose context names another vendor is never sent to Mindee, on every path that verifies:
`scan --verify`, `mindee-scan verify --from-env`, `audit --verify`, and `findings list --verify` (re-check
from the store). Real detection on real files and a real git repository; a loopback Mindee records all."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.audit.recheck import recheck_open
from scanner.audit.runner import AuditOptions, run_audit
from scanner.audit.store import Store
from scanner.audit.targets import resolve
from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock

NO_PROXY_ENV = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "", "ALL_PROXY": ""}


def _leaks() -> tuple[str, str, str]:
    ours, theirs = v2_key(), v2_key()
    text = f"MINDEE_V2_API_KEY={ours}\nMACRODATA_API_KEY={theirs}\n"
    return ours, theirs, text


@pytest.mark.timeout(120)
def test_scan_verify_sends_only_the_mindee_key(tmp_path: Path, mindee: MindeeMock) -> None:
    import json

    ours, theirs, text = _leaks()
    (tmp_path / "settings.env").write_text(text)
    mindee.live_v2(ours, ["Invoices"])
    mindee.live_v2(theirs, ["Invoices"])
    proc = invoke(
        "dir", str(tmp_path), "--verify", "--format", "json", "--show-secrets",
        "--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url, env=NO_PROXY_ENV,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    found = {f["secret"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found[theirs]["other_vendor"] == "Macrodata"
    assert found[theirs]["verification"]["verdict"] == "not-checked"
    assert found[ours]["verification"]["verdict"] == "live"
    assert mindee.requests_for(theirs) == [] and len(mindee.requests) == 1


@pytest.mark.timeout(60)
def test_verify_command_refuses_a_variable_named_for_another_vendor(mindee: MindeeMock) -> None:
    _ours, theirs, _ = _leaks()
    mindee.live_v2(theirs, ["Invoices"])
    urls = ("--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url)
    proc = invoke("verify", "--from-env", "MACRODATA_API_KEY", *urls, env={**NO_PROXY_ENV, "MACRODATA_API_KEY": theirs})
    assert proc.returncode == 2
    assert "belongs to Macrodata" in proc.stderr and "printenv MACRODATA_API_KEY | mindee-scan verify" in proc.stderr
    assert theirs not in proc.stdout + proc.stderr
    assert mindee.requests == []


@pytest.mark.timeout(180)
def test_audit_and_recheck_from_the_store_never_send_it(tmp_path: Path, mindee: MindeeMock) -> None:
    ours, theirs, text = _leaks()
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "settings.env", text)
    mindee.live_v2(ours, ["Invoices"])
    mindee.live_v2(theirs, ["Invoices"])
    for store_secrets in (False, True):
        db = Store.open(str(tmp_path / f"audit-{store_secrets}.db"))
        try:
            options = AuditOptions(
                targets=tuple(resolve([str(repo)])),
                cache_dir=str(tmp_path / "cache"),
                jobs=1,
                verify=True,
                v2_url=mindee.v2_url,
                v1_url=mindee.v1_url,
                store_secrets=store_secrets,
            )
            run_audit(options, db)
            checks, missing = recheck_open(db, mindee.v2_url, mindee.v1_url)
        finally:
            db.close()
        assert missing == [] and [c.verdict for c in checks] == ["live"]
    assert mindee.requests_for(theirs) == []
    assert len(mindee.requests_for(ours)) == 4  # audit + re-check, for each store
