"""A hostile or broken server's Retry-After never ends the run: the report is still written.

`Retry-After: Fri, 31 Dec 9999999999 23:59:59 GMT` raised OverflowError inside the verifier; the scan
died with a traceback and wrote no report at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.testing.cli import run
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock, Reply

NO_PROXY_ENV = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "", "ALL_PROXY": ""}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "value",
    ["Fri, 31 Dec 9999999999 23:59:59 GMT", "Sat, 01 Jan 99999999999999999999 00:00:00 GMT", "1e999", "nan"],
)
def test_malformed_retry_after_still_writes_the_report(tmp_path: Path, mindee: MindeeMock, value: str) -> None:
    key = v2_key()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "settings.env").write_text(f"MINDEE_V2_API_KEY={key}\n")
    mindee.script("v2", key, Reply(429, headers={"Retry-After": value}))
    report = tmp_path / "report.json"
    proc = run(
        "dir", str(tmp_path / "src"), "--verify", "--format", "json", "-o", str(report),
        "--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url,
        env={**NO_PROXY_ENV, "MINDEE_SCAN_VERIFY_TIMEOUT": "2"}, timeout=50,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr and "OverflowError" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    [finding] = json.loads(report.read_text())["findings"]
    assert finding["verification"]["verdict"] == "unknown"  # rate limited throughout: nothing is known
    assert "429" in finding["verification"]["detail"]
