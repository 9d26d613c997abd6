"""Remediation guidance in every output format, and the `git filter-repo --replace-text` file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from scanner.model import Finding, Occurrence, ScanResult, ScanStats, Verification
from scanner.report import RenderOptions, available_formats, render
from scanner.report.remediation import (
    DASHBOARD_URL,
    HISTORY_NOTE,
    is_pushed,
    key_plans,
    remediation_lines,
    remediation_text,
)
from scanner.report.replace_text import replace_text_lines, write_replace_text
from tests.testing import paths
from tests.testing.findings import make_finding
from tests.testing.keys import v1_key, v2_key

LIVE = Verification(
    "live",
    "Mindee v2 accepted the key (200); 2 model(s) reachable",
    "2026-01-01T00:00:00Z",
    200,
    ("Invoices", "Receipts"),
    2,
)
NOT_CHECKED = Verification()
REVOKED = Verification("revoked", "Mindee v2 answered 401", "2026-01-01T00:00:00Z", 401)


def finding(secret: str, verification: Verification = NOT_CHECKED, **kw: object) -> Finding:
    where = {"path": "app.py", "line": 3, "column": 5, "line_text": f"KEY='{secret}'"}
    return make_finding(**{**where, "secret": secret, "verifier": "mindee-v2", "verification": verification, **kw})


def history_finding(secret: str, refs: tuple[str, ...], verification: Verification = LIVE) -> Finding:
    return finding(
        secret,
        verification,
        commit="a" * 40,
        author="Dev",
        date="2024-01-01",
        present_at_head=False,
        refs=refs,
        occurrences=(Occurrence("app.py", 3, "a" * 40), Occurrence("config/old.env", 1, "b" * 40)),
    )


def test_live_key_block_lists_every_place_and_pushed_history() -> None:
    key = v2_key()
    result = ScanResult(
        [
            history_finding(key, ("refs/heads/main", "refs/remotes/origin/main")),
            finding(key, LIVE, path="deploy/app.env", line=7),
        ],
        ScanStats(),
    )
    text = "\n".join(remediation_lines(result))
    assert "REVOKE NOW" in text and DASHBOARD_URL in text
    assert "1. Create a new API key" in text and "3. Delete the old key" in text
    assert "app.py:3 @aaaaaaaaaaaa" in text and "config/old.env:1 @bbbbbbbbbbbb" in text
    assert "deploy/app.env:7" in text
    assert "PUSHED history (refs/remotes/origin/main)" in text
    assert HISTORY_NOTE in text
    assert "--verify again" in text
    assert key not in text
    [plan] = key_plans(result)
    assert plan.pushed is True and plan.action == "revoke-now" and len(plan.places) == 3


def test_local_only_history_and_folder_scans() -> None:
    local = history_finding(v2_key(), ("refs/heads/feature",))
    assert is_pushed(local) is False
    assert "local history only" in "\n".join(remediation_lines(ScanResult([local], ScanStats())))
    assert is_pushed(finding(v2_key(), LIVE)) is None  # a folder scan cannot tell


def test_history_note_without_verification() -> None:
    f = history_finding(v2_key(), ("refs/heads/main", "refs/remotes/origin/main"), Verification())
    lines = remediation_lines(ScanResult([f], ScanStats()))
    assert HISTORY_NOTE in lines
    assert "REVOKE NOW" not in "\n".join(lines)
    assert HISTORY_NOTE in remediation_text(f)
    # Commits never pushed can still be rewritten: no "anyone with a clone has it" warning for them.
    local = history_finding(v2_key(), ("refs/heads/main",), Verification())
    assert HISTORY_NOTE not in remediation_lines(ScanResult([local], ScanStats()))
    assert HISTORY_NOTE not in remediation_text(local)


def test_revoked_key_needs_no_rotation_steps() -> None:
    text = remediation_text(finding(v2_key(), REVOKED))
    assert "revoked" in text and "Create a new API key" not in text


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "html", "junit", "csv"])
def test_every_format_tells_to_revoke_a_live_key(fmt: str) -> None:
    if fmt not in available_formats():
        pytest.skip(f"{fmt} renderer not in this checkout")
    key = v2_key()
    result = ScanResult([history_finding(key, ("refs/remotes/origin/main",))], ScanStats())
    out = render(result, fmt, RenderOptions())
    assert DASHBOARD_URL in out.replace("&amp;", "&")
    assert "revoke" in out.lower()
    assert key not in out


def test_json_carries_per_key_plan() -> None:
    key = v2_key()
    result = ScanResult([history_finding(key, ("refs/remotes/origin/main",))], ScanStats())
    doc = json.loads(render(result, "json", RenderOptions()))
    [plan] = doc["remediation"]
    assert plan["action"] == "revoke-now" and plan["pushed"] is True
    assert plan["models"] == ["Invoices", "Receipts"]
    assert plan["history_note"] == HISTORY_NOTE
    assert doc["findings"][0]["remediation"]["pushed"] is True


def test_replace_text_lines() -> None:
    v2, v1 = v2_key(), v1_key()
    pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
    result = ScanResult(
        [
            finding(v2),
            finding(v2, path="b.py"),
            finding(v1, rule_id="mindee-legacy-api-key"),
            finding(pem, rule_id="private-key", verifier=None),
            finding("glob:abc", rule_id="generic", verifier=None),
        ],
        ScanStats(),
    )
    lines, skipped = replace_text_lines(result)
    assert lines == [f"{v2}==>REMOVED-MINDEE-KEY", f"{v1}==>REMOVED-MINDEE-KEY", "literal:glob:abc==>REMOVED-SECRET"]
    assert len(skipped) == 1


def test_write_replace_text_is_private(tmp_path: Path) -> None:
    key = v2_key()
    target = tmp_path / "replacements.txt"
    target.write_text("old")
    os.chmod(target, 0o644)
    warning = write_replace_text(ScanResult([finding(key)], ScanStats()), str(target))
    assert target.read_text() == f"{key}==>REMOVED-MINDEE-KEY\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "never replaces revocation" in warning and key not in warning


V1_LIVE = Verification("live", "Mindee v1 accepted the key (authenticated; probe job not found: 404)", None, 404)


def _v1(secret: str, verification: Verification = V1_LIVE) -> Finding:
    return finding(secret, verification, rule_id="mindee-legacy-api-key", verifier="mindee-v1")


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "html", "junit", "csv"])
def test_every_report_sends_each_key_type_to_its_own_dashboard(fmt: str) -> None:
    """md_ keys are managed at app.mindee.com, legacy hex keys on the legacy platform: never the other one."""
    from scanner.model import ModelInfo

    live_v2 = Verification(
        "live", "ok", None, 200, ("Invoices",), 1, (ModelInfo("7f1c-uuid", "Invoices", "extraction"),)
    )
    only_v1 = render(ScanResult([_v1(v1_key())], ScanStats()), fmt, RenderOptions())
    assert "platform.mindee.com" in only_v1
    assert "settings?tab=api-keys" not in only_v1.replace("&amp;", "&") or fmt == "html"  # html footer names both
    only_v2 = render(ScanResult([finding(v2_key(), live_v2)], ScanStats()), fmt, RenderOptions())
    assert "app.mindee.com/settings?tab=api-keys" in only_v2.replace("&amp;", "&")
    if fmt in ("text", "json", "jsonl", "sarif", "html", "junit"):
        assert "app.mindee.com/insights" in only_v2  # a live md_ key: check its usage before and after rotation
    if fmt not in ("html",):
        assert "platform.mindee.com" not in only_v2


def test_key_plan_and_advice_by_key_type() -> None:
    from scanner.model import ModelInfo

    details = tuple(ModelInfo(f"id-{i}", f"Model {i}", "extraction") for i in range(12))
    live_v2 = Verification("live", "ok", None, 200, tuple(m.name for m in details), 57, details)
    result = ScanResult([finding(v2_key(), live_v2), _v1(v1_key())], ScanStats())
    plans = {p.kind: p.to_dict() for p in key_plans(result)}
    assert plans["v2"]["dashboard"] == "https://app.mindee.com/settings?tab=api-keys"
    assert plans["v2"]["usage"].startswith("Check this key's usage in Insights (https://app.mindee.com/insights")
    assert plans["v2"]["model_details"][0] == {"id": "id-0", "name": "Model 0", "model_type": "extraction"}
    assert plans["v1"]["dashboard"] == "https://platform.mindee.com" and "usage" not in plans["v1"]
    assert "left menu" in plans["v1"]["steps"][0]
    text = "\n".join(remediation_lines(result))
    assert "Model 0 (extraction, id-0)" in text and "… and 47 more" in text  # 10 shown of Mindee's total 57
    assert "Dashboard: https://platform.mindee.com" in text and "Insights" in text


def test_a_key_naming_another_vendor_gets_no_mindee_dashboard() -> None:
    key = v2_key()
    f = finding(key, NOT_CHECKED, verifier=None, other_vendor="Macrodata")
    text = remediation_text(f)
    assert "Macrodata" in text and "mindee.com" not in text
    assert (
        json.loads(render(ScanResult([f], ScanStats()), "json", RenderOptions()))["findings"][0]["remediation"][
            "action"
        ]
        == "rotate"
    )


def test_revoked_advice_no_longer_mentions_403() -> None:
    assert "401/403" not in remediation_text(finding(v2_key(), REVOKED))


def test_docs_state_the_limits_and_dashboards_as_built() -> None:
    root = paths.ROOT
    readme = (root / "README.md").read_text(encoding="utf-8")
    doc = (root / "docs" / "verification.md").read_text(encoding="utf-8")
    for text in (readme, doc):
        assert "far below" not in text
        assert "https://platform.mindee.com" in text and "https://app.mindee.com/settings?tab=api-keys" in text
        assert "https://app.mindee.com/insights" in text
        assert "75" in text and "1,200" in text
    from scanner.verify import VerifyConfig

    config = VerifyConfig()
    assert config.burst + 60 * config.rate_v1 <= 75 / 2  # v1: under half of Mindee's 75 a minute
    assert config.burst + 60 * config.rate <= 1200 / 8
    assert f"at most {config.burst + int(60 * config.rate_v1)} requests in any minute" in " ".join(doc.split())
