"""Baselines: keyed by rule + secret hash, never the secret or a line; detect-secrets baselines read too."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import ConfigError
from scanner.model import Finding, Occurrence, ScanResult, ScanStats
from scanner.suppress.apply import apply_suppressions
from scanner.suppress.baseline import Baseline, entries_from_findings, load_any_baseline, load_baseline
from tests.testing.cli import invoke, invoke_json
from tests.testing.findings import make_finding
from tests.testing.keys import v2_key, v2_long_key


def _finding(secret: str, path: str = "a.py", line: int = 1, rule: str = "mindee-api-key", **more: Any) -> Finding:
    return make_finding(rule, "d", path=path, line=line, secret=secret, line_text=f'KEY = "{secret}"', **more)


def _write_baseline(path: Path, findings: list[Finding]) -> str:
    path.write_text(Baseline(entries_from_findings(findings), ("dir", "."), "t", "t").to_json())
    return str(path)


def test_baseline_file_holds_neither_secret_nor_line(tmp_path: Path) -> None:
    key = v2_key()
    f = _finding(key, line=42)
    text = Path(_write_baseline(tmp_path / "b.json", [f])).read_text()
    assert key not in text and key[3:20] not in text
    entry = json.loads(text)["entries"][0]
    assert set(entry) == {"rule_id", "secret_hash", "fingerprint", "paths"}
    assert entry["secret_hash"] == f.secret.hash and entry["fingerprint"] == f.fingerprint


def test_baseline_matches_by_rule_and_secret_not_by_place(tmp_path: Path) -> None:
    key, other = v2_key(), v2_key()
    path = _write_baseline(tmp_path / "b.json", [_finding(key, "a.py", 3)])
    moved = _finding(key, "renamed/b.py", 99)
    new_on_same_line = _finding(other, "a.py", 3)
    other_rule_same_secret = _finding(key, "a.py", 3, rule="generic-api-key")
    result = ScanResult([moved, new_on_same_line, other_rule_same_secret], ScanStats())
    out = apply_suppressions(result, baseline=path, ignore_file=None, root=None)
    assert out.findings == [new_on_same_line, other_rule_same_secret]
    assert [f.secret.reveal() for f in out.suppressed] == [key]
    assert out.suppressed[0].decisions.suppressed_by == f"baseline {path}"


def test_baseline_paths_remember_occurrences() -> None:
    key = v2_key()
    f = _finding(key, "a.py", occurrences=(Occurrence("old/a.py", 2, "c" * 40),))
    entries = entries_from_findings([f, _finding(key, "z.py")])
    [entry] = entries.values()
    assert entry.paths == ("a.py", "old/a.py", "z.py")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"tool": "gitleaks"}', "not a mindee-scan baseline"),
        ('{"tool": "mindee-scan", "kind": "baseline", "version": 99}', "unsupported baseline version"),
        (
            '{"tool": "mindee-scan", "kind": "baseline", "version": 1, "entries": [{"rule_id": "x"}]}',
            "entry 0 needs rule_id",
        ),
    ],
)
def test_bad_baseline_is_a_config_error_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "b.json"
    p.write_text(content)
    with pytest.raises(ConfigError, match=message) as exc:
        load_baseline(str(p))
    assert str(p) in str(exc.value)


def test_missing_baseline_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="baseline create"):
        load_baseline(str(tmp_path / "nope.json"))


def test_detect_secrets_baseline_matches_file_and_sha1(tmp_path: Path) -> None:
    """Same shape as `detect-secrets scan` 1.5 writes (checked against a real run: its sha1 is ours)."""
    key, other = v2_long_key(), v2_key()
    doc = {
        "version": "1.5.0",
        "plugins_used": [{"name": "KeywordDetector", "keyword_exclude": ""}],
        "filters_used": [],
        "results": {
            "a.py": [
                {
                    "type": "Secret Keyword",
                    "filename": "a.py",
                    "is_verified": False,
                    "line_number": 2,
                    "hashed_secret": hashlib.sha1(key.encode()).hexdigest(),
                }
            ],
            "b.py": [
                {
                    "type": "Secret Keyword",
                    "filename": "b.py",
                    "is_verified": False,
                    "line_number": 7,
                    "hashed_secret": hashlib.sha1(other.encode()).hexdigest(),
                }
            ],
        },
        "generated_at": "2024-01-01T00:00:00Z",
    }
    p = tmp_path / ".secrets.baseline"
    p.write_text(json.dumps(doc))
    known = _finding(key, "a.py", 40)  # line moved: still matched, as in detect-secrets
    other_file = _finding(other, "c.py", 7)  # detect-secrets keys by file too: a new file is new
    out = apply_suppressions(ScanResult([known, other_file], ScanStats()), str(p), None, None)
    assert out.findings == [other_file]
    assert [f.secret.reveal() for f in out.suppressed] == [key]
    assert type(load_any_baseline(str(p))).__name__ == "DetectSecretsBaseline"


def _repo_with_key(tmp_path: Path, key: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "settings.py").write_text(f'DEBUG = False\nMINDEE_API_KEY = "{key}"\n')
    return root


def test_cli_create_then_scan_with_baseline(tmp_path: Path) -> None:
    key = v2_key()
    root = _repo_with_key(tmp_path, key)
    bfile = tmp_path / "baseline.json"
    proc = invoke("baseline", "create", "-o", str(bfile), "dir", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "1 entry" in proc.stdout
    assert stat.S_IMODE(os.stat(bfile).st_mode) == 0o600
    assert key not in bfile.read_text()
    code, doc = invoke_json("dir", str(root), "--baseline", str(bfile))
    assert code == 0 and doc["findings"] == [] and doc["suppressed"] == 1
    # Without the baseline the key is reported: the baseline is what made it pass.
    code, doc = invoke_json("dir", str(root))
    assert code == 1 and len(doc["findings"]) == 1


def test_cli_baseline_create_rejects_non_scan_command(tmp_path: Path) -> None:
    proc = invoke("baseline", "create", "-o", str(tmp_path / "b.json"), "rules")
    assert proc.returncode == 2
    assert "not a scan command" in proc.stderr
    assert not (tmp_path / "b.json").exists()


def test_cli_baseline_create_fails_when_nothing_can_be_scanned(tmp_path: Path) -> None:
    proc = invoke("baseline", "create", "-o", str(tmp_path / "b.json"), "dir", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert not (tmp_path / "b.json").exists()


def test_cli_scan_with_missing_baseline_is_an_error(tmp_path: Path) -> None:
    root = _repo_with_key(tmp_path, v2_key())
    proc = invoke("dir", str(root), "--baseline", str(tmp_path / "nope.json"))
    assert proc.returncode == 2
    assert "baseline create" in proc.stderr


def test_baseline_and_ignore_files_do_not_flag_themselves(tmp_path: Path) -> None:
    """Both files sit in the repository and are scanned with it: hashes must not look like secrets."""
    key = v2_key()
    root = _repo_with_key(tmp_path, key)
    proc = invoke("baseline", "create", "-o", str(root / ".mindee-scan-baseline.json"), "dir", str(root))
    assert proc.returncode == 0, proc.stderr
    fp = json.loads((root / ".mindee-scan-baseline.json").read_text())["entries"][0]["fingerprint"]
    (root / ".mindee-scan-ignore").write_text(f'{fp} reason="fixture" owner=sec@example.com\n')
    code, doc = invoke_json("dir", str(root))
    assert code == 0, doc["findings"]
    assert doc["suppressed"] == 1
