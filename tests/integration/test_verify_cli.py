"""End to end: the installed `mindee-scan` verifying keys against a loopback fake Mindee."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.testing.cli import invoke
from tests.testing.keys import v1_key, v2_key, v2_long_key
from tests.testing.mindee_mock import V2_PATH, MindeeMock, Reply

NO_PROXY_ENV = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "", "ALL_PROXY": ""}


def scan(tree: Path, m: MindeeMock, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    proc = invoke(
        "dir",
        str(tree),
        "--format",
        "json",
        "--mindee-v2-url",
        m.v2_url,
        "--mindee-v1-url",
        m.v1_url,
        *extra,
        env={**NO_PROXY_ENV, **(env or {})},
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def verify_text(tree: Path, m: MindeeMock, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`dir --verify` with the text report, against the mock."""
    urls = ("--mindee-v2-url", m.v2_url, "--mindee-v1-url", m.v1_url)
    return invoke("dir", str(tree), "--verify", *urls, env={**NO_PROXY_ENV, **(env or {})})


def by_secret(doc: dict) -> dict[str, dict]:
    return {f["secret"]: f for f in doc["findings"]}


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    keys = {"live": v2_key(), "dead": v2_long_key(), "legacy": v1_key()}
    (tmp_path / "app.py").write_text(f'MINDEE_V2_API_KEY = "{keys["live"]}"\nold = "{keys["dead"]}"\n')
    (tmp_path / "deploy.env").write_text(f"MINDEE_V2_API_KEY={keys['live']}\nMINDEE_API_KEY={keys['legacy']}\n")
    return tmp_path, keys


def test_dir_verify_reports_verdicts_blast_radius_and_remediation(
    tree: tuple[Path, dict[str, str]], mindee: MindeeMock
) -> None:
    root, keys = tree
    mindee.live_v2(keys["live"], ["Invoices", "Receipts", "ID cards"])
    mindee.delete("v2", keys["dead"])
    mindee.live_v1(keys["legacy"])
    code, doc, _ = scan(root, mindee, "--verify", "--show-secrets")
    assert code == 1
    found = by_secret(doc)
    live = found[keys["live"]]["verification"]
    assert live["verdict"] == "live" and live["model_count"] == 3
    assert live["models"] == ["Invoices", "Receipts", "ID cards"]
    assert found[keys["dead"]]["verification"]["verdict"] == "revoked"
    assert found[keys["dead"]]["verification"]["status_code"] == 401
    assert found[keys["legacy"]]["verification"]["verdict"] == "live"
    # the live key sits in two files but is asked once; three distinct Mindee keys, three requests
    assert len(mindee.requests) == 3
    assert len(mindee.requests_for(keys["live"])) == 1
    assert doc["stats"]["verification"]["requests"] == 3
    assert doc["summary"]["live_mindee_keys"] == 2
    plan = {p["redacted"]: p for p in doc["remediation"]}
    live_plan = next(p for p in plan.values() if p["model_count"] == 3)
    assert live_plan["action"] == "revoke-now"
    assert live_plan["dashboard"] == "https://app.mindee.com/settings?tab=api-keys"
    assert sorted(p.split(":")[0] for p in live_plan["places"]) == ["app.py", "deploy.env"]
    assert found[keys["live"]]["remediation"]["action"] == "revoke-now"
    assert found[keys["dead"]]["remediation"]["action"] == "remove-from-code"


def test_no_request_without_verify(tree: tuple[Path, dict[str, str]], mindee: MindeeMock) -> None:
    root, keys = tree
    mindee.live_v2(keys["live"], ["X"])
    env = {"MINDEE_SCAN_V2_URL": mindee.v2_url, "MINDEE_SCAN_V1_URL": mindee.v1_url}
    for fmt in ("json", "text", "jsonl"):
        proc = invoke("dir", str(root), "--format", fmt, env={**NO_PROXY_ENV, **env})
        assert proc.returncode == 1, proc.stderr
    proc = invoke("dir", str(root), "--format", "json", env={**NO_PROXY_ENV, **env})
    assert {f["verification"]["verdict"] for f in json.loads(proc.stdout)["findings"]} == {"not-checked"}
    assert mindee.requests == []


def test_env_vars_choose_the_base_url(tree: tuple[Path, dict[str, str]], mindee: MindeeMock) -> None:
    root, keys = tree
    mindee.live_v2(keys["live"], [])
    env = {**NO_PROXY_ENV, "MINDEE_SCAN_V2_URL": mindee.v2_url, "MINDEE_SCAN_V1_URL": mindee.v1_url}
    proc = invoke("dir", str(root), "--format", "json", "--verify", env=env)
    assert proc.returncode == 1, proc.stderr
    assert len(mindee.requests) == 3


def test_after_deletion_rerun_shows_revoked(tree: tuple[Path, dict[str, str]], mindee: MindeeMock) -> None:
    root, keys = tree
    mindee.live_v2(keys["live"], ["Invoices"])
    proc = verify_text(root, mindee)
    assert proc.returncode == 1
    assert "REVOKE NOW" in proc.stdout and "[LIVE]" in proc.stdout
    assert "https://app.mindee.com/settings?tab=api-keys" in proc.stdout
    assert "blast radius: 1 model(s) reachable: Invoices" in proc.stdout
    assert "app.py:1" in proc.stdout and "deploy.env:1" in proc.stdout
    assert keys["live"] not in proc.stdout  # redacted by default, even in the remediation block
    mindee.delete("v2", keys["live"])  # the user deleted it in the dashboard
    proc = verify_text(root, mindee)
    assert "REVOKE NOW" not in proc.stdout
    assert "[revoked]" in proc.stdout
    _, doc, _ = scan(root, mindee, "--verify", "--show-secrets")
    assert by_secret(doc)[keys["live"]]["verification"]["verdict"] == "revoked"


def test_redirect_is_not_followed_and_key_never_leaves_the_base(
    tree: tuple[Path, dict[str, str]], mindee: MindeeMock, elsewhere: MindeeMock
) -> None:
    root, keys = tree
    mindee.script("v2", keys["live"], Reply(301, headers={"Location": elsewhere.v2_url + V2_PATH}))
    mindee.script("v2", keys["dead"], Reply(302, headers={"Location": elsewhere.v2_url + V2_PATH}))
    mindee.script("v1", keys["legacy"], Reply(308, headers={"Location": elsewhere.origin + "/"}))
    _, doc, _ = scan(root, mindee, "--verify", "--show-secrets")
    verdicts = {f["verification"]["verdict"] for f in doc["findings"] if f["rule_id"].startswith("mindee-")}
    assert verdicts == {"unknown"}
    assert elsewhere.requests == []
    # every request the base got carried exactly one of the keys found, in the documented header form
    allowed = {keys["live"], keys["dead"], f"Token {keys['legacy']}"}
    assert {r.authorization for r in mindee.requests} == allowed


def test_unknown_verdicts_carry_the_reason(tree: tuple[Path, dict[str, str]], mindee: MindeeMock) -> None:
    root, keys = tree
    mindee.script("v2", keys["live"], Reply(500, headers={"Retry-After": "0"}))
    mindee.script("v2", keys["dead"], Reply(429, headers={"Retry-After": "0"}))
    mindee.live_v1(keys["legacy"])
    proc = verify_text(root, mindee)
    assert proc.returncode == 1, proc.stderr
    assert "verification: unknown (Mindee v2 server error 500)" in proc.stdout
    assert "verified 3 key(s): 1 live, 2 unknown" in proc.stdout
    assert "verification: unknown (Mindee v2 kept answering 429 (rate limited) after retries)" in proc.stdout
    assert len(mindee.requests_for(keys["live"])) == 3  # first try + 2 retries
    assert len(mindee.requests_for(keys["dead"])) == 4  # first try + 3 retries


def test_unsafe_base_url_is_refused_before_any_request(tree: tuple[Path, dict[str, str]]) -> None:
    root, _ = tree
    proc = invoke("dir", str(root), "--verify", "--mindee-v2-url", "http://api-v2.mindee.net", env=NO_PROXY_ENV)
    assert proc.returncode == 2
    assert "plain HTTP" in proc.stderr


def test_remediation_file_for_filter_repo(tree: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, keys = tree
    out = tmp_path / "out" / "replacements.txt"
    out.parent.mkdir()
    proc = invoke("dir", str(root), "--format", "json", "--remediation-file", str(out))
    assert proc.returncode == 1, proc.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    lines = out.read_text().splitlines()
    assert f"{keys['live']}==>REMOVED-MINDEE-KEY" in lines
    assert f"{keys['dead']}==>REMOVED-MINDEE-KEY" in lines
    assert f"{keys['legacy']}==>REMOVED-MINDEE-KEY" in lines
    assert len(lines) == len(set(lines))  # one line per distinct key
    assert "never replaces revocation" in proc.stderr
    assert keys["live"] not in proc.stdout + proc.stderr


def test_verify_command_reads_stdin(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.live_v2(key, ["Invoices", "Receipts"])
    proc = invoke(
        "verify", "--format", "json", "--mindee-v2-url", mindee.v2_url, input=key.encode() + b"\n", env=NO_PROXY_ENV
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verification"]["verdict"] == "live"
    assert doc["verification"]["models"] == ["Invoices", "Receipts"]
    assert doc["remediation"]["action"] == "revoke-now"
    assert key not in proc.stdout
    [req] = mindee.requests
    assert req.authorization == key


def test_verify_command_from_env_revoked_and_legacy(mindee: MindeeMock) -> None:
    dead, legacy = v2_key(), v1_key()
    mindee.delete("v2", dead)
    mindee.live_v1(legacy)
    urls = ("--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url)
    proc = invoke("verify", "--from-env", "LEAKED_MINDEE_KEY", *urls, env={**NO_PROXY_ENV, "LEAKED_MINDEE_KEY": dead})
    assert proc.returncode == 0, proc.stderr
    assert "revoked" in proc.stdout
    proc = invoke("verify", "--from-env", "LEAKED", *urls, env={**NO_PROXY_ENV, "LEAKED": legacy})
    assert proc.returncode == 1
    assert "REVOKE NOW" in proc.stdout
    assert [r.authorization for r in mindee.requests] == [dead, f"Token {legacy}"]


def test_verify_command_unknown_exits_2(mindee: MindeeMock) -> None:
    key = v2_key()
    mindee.script("v2", key, Reply(503, headers={"Retry-After": "0"}))
    proc = invoke("verify", "--mindee-v2-url", mindee.v2_url, input=key.encode(), env=NO_PROXY_ENV)
    assert proc.returncode == 2
    assert "unknown" in proc.stdout and "503" in proc.stdout


def test_verify_command_refuses_key_on_the_command_line(mindee: MindeeMock) -> None:
    key = v2_key()
    proc = invoke("verify", key, "--mindee-v2-url", mindee.v2_url, env=NO_PROXY_ENV)
    assert proc.returncode == 2
    assert "refusing to read a key from the command line" in proc.stderr
    assert key not in proc.stderr + proc.stdout
    assert mindee.requests == []


@pytest.mark.parametrize("payload", [b"", b"not-a-key", b"md_short", b"md_a md_b"])
def test_verify_command_rejects_bad_input(mindee: MindeeMock, payload: bytes) -> None:
    proc = invoke("verify", "--mindee-v2-url", mindee.v2_url, input=payload or None, env=NO_PROXY_ENV)
    assert proc.returncode == 2
    assert mindee.requests == []


def test_scan_without_verify_does_not_load_the_verifier(tree: tuple[Path, dict[str, str]]) -> None:
    """Start-up stays light: neither the verifier nor urllib.request is imported unless --verify is given."""
    import subprocess
    import sys

    root, _ = tree
    code = (
        "import sys\n"
        "from scanner.cli.main import main\n"
        f"rc = main(['dir', {str(root)!r}, '--format', 'json', '--output', {str(root / 'r.json')!r}])\n"
        "print(rc, 'scanner.verify' in sys.modules, 'urllib.request' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["1", "False", "False"], out.stderr


def test_slow_mindee_hits_the_timeout_from_the_environment(
    tree: tuple[Path, dict[str, str]], mindee: MindeeMock
) -> None:
    root, keys = tree
    mindee.script("v2", keys["live"], Reply(200, {"models": []}, delay=5))
    mindee.live_v1(keys["legacy"])
    proc = verify_text(root, mindee, env={"MINDEE_SCAN_VERIFY_TIMEOUT": "0.3"})
    assert proc.returncode == 1, proc.stderr
    assert "verification: unknown (timed out after 0.3s" in proc.stdout
