"""`mindee-scan dir` on messy real files, through the installed CLI: what users actually point it at."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.testing import paths
from tests.testing.cli import invoke, invoke_json
from tests.testing.keys import v1_key, v2_key, v2_long_key


def _secrets_found(doc: dict) -> list[str]:
    return [f["secret"] for f in doc["findings"]]


def test_clean_tree_exits_zero_and_says_what_it_scanned(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('hello')\n")
    proc = invoke("dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "scanned 1 file(s)" in proc.stdout


def test_findings_exit_one_with_redacted_location(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "settings.py").write_text(f"import os\nMINDEE_V2_API_KEY = '{key}'\n")
    proc = invoke("dir", str(tmp_path))
    assert proc.returncode == 1
    assert "sub/settings.py:2:22" in proc.stdout
    assert key not in proc.stdout + proc.stderr
    assert f"{key[:7]}…{key[-3:]}" in proc.stdout
    assert "https://app.mindee.com/settings?tab=api-keys" in proc.stdout


def test_json_fields_and_show_secrets(tmp_path: Path) -> None:
    key = v2_long_key()
    (tmp_path / "k.txt").write_text(f"token: {key}\n")
    code, doc = invoke_json("dir", str(tmp_path), "--show-secrets")
    assert code == 1
    (finding,) = doc["findings"]
    assert finding["rule_id"] == "mindee-api-key"
    assert finding["path"] == "k.txt"
    assert (finding["line"], finding["column"]) == (1, 8)
    assert finding["secret"] == key
    assert finding["fingerprint"].startswith("mindee-api-key:")
    for field in ("files_scanned", "bytes_scanned", "skipped", "duration_s"):
        assert field in doc["stats"]
    code, doc = invoke_json("dir", str(tmp_path))
    assert doc["findings"][0]["secret"] != key


def test_python_dash_m_runs_the_same_cli(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "x.env").write_text(f"K={key}\n")
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "scanner", "dir", str(tmp_path), "-q"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "x.env:1:3" in proc.stdout


def test_messy_files_are_decoded_and_scanned(tmp_path: Path) -> None:
    keys = {name: v2_key() for name in ("utf16", "crlf", "badutf8", "eof", "minified", "url", "jsonesc", "k8s", "nb")}
    legacy = v1_key()
    (tmp_path / "utf16.txt").write_bytes(("\ufeff" + f"KEY={keys['utf16']}\n").encode("utf-16-le"))
    (tmp_path / "crlf.ini").write_bytes(f"[a]\r\nkey = {keys['crlf']}\r\n".encode())
    (tmp_path / "bad.cfg").write_bytes(b"\xff\xfe\xfa broken \xc3(\n" + f"key={keys['badutf8']}\n".encode())
    (tmp_path / "eof.txt").write_text(f"last line has the key {keys['eof']}")
    (tmp_path / "app.min.js").write_text("var a=1;" * 12_500 + f'var k="{keys["minified"]}";' + "b();" * 100)
    (tmp_path / "links.md").write_text(f"see https://example.com/cb?api_key={keys['url']}&lang=en\n")
    (tmp_path / "esc.json").write_text(json.dumps({"cfg": json.dumps({"key": keys["jsonesc"]})}) + "\n")
    encoded = base64.b64encode(f"MINDEE_V2_API_KEY={keys['k8s']}".encode()).decode()
    legacy_encoded = base64.b64encode(legacy.encode()).decode()
    (tmp_path / "secret.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\ndata:\n  env: {encoded}\n  MINDEE_API_KEY: {legacy_encoded}\n"
    )
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["import os\n", f"os.environ['MINDEE_V2_API_KEY'] = \"{keys['nb']}\"\n"],
                "outputs": [{"output_type": "stream", "text": [f"using key {keys['nb']}\n"]}],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "demo.ipynb").write_text(json.dumps(notebook, indent=1))
    _code, doc = invoke_json("dir", str(tmp_path), "--show-secrets")
    found = _secrets_found(doc)
    for name, key in keys.items():
        assert key in found, f"{name} key missed"
    assert legacy in found, "base64-encoded legacy key under MINDEE_API_KEY missed"
    k8s = [f for f in doc["findings"] if f["path"] == "secret.yaml"]
    assert {f["line"] for f in k8s} == {4, 5}
    assert all(f.get("encoding") == "base64" for f in k8s)
    nb = [f for f in doc["findings"] if f["path"] == "demo.ipynb"]
    assert len(nb) == 2, "key in the code cell and in the output are both reported"


def test_binaries_large_files_and_symlinks_are_skipped_and_listed(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 1000)
    (tmp_path / "big.txt").write_bytes(b"a" * 2_000_000)
    (tmp_path / "real.txt").write_text(f"k={key}\n")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.txt")
    code, doc = invoke_json("dir", str(tmp_path), "--max-file-size", "1MB", "--show-secrets")
    assert code == 1
    reasons = {s["path"]: s["reason"] for s in doc["stats"]["skipped"]}
    assert reasons["big.txt"].startswith("too large")
    assert reasons["link.txt"].startswith("symlink")
    assert doc["stats"]["binary_files"] == 1
    assert [f["path"] for f in doc["findings"]] == ["real.txt"], "a symlink is not followed, so one finding"
    _code, doc = invoke_json("dir", str(tmp_path), "--follow-symlinks", "--max-file-size", "1MB")
    assert sorted(f["path"] for f in doc["findings"]) == ["link.txt", "real.txt"]


def test_key_in_binary_file_is_found(tmp_path: Path) -> None:
    key = v2_key()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20 + b"tEXtComment\x00" + key.encode() + b"\x00IEND"
    (tmp_path / "shot.png").write_bytes(png)
    _code, doc = invoke_json("dir", str(tmp_path), "--show-secrets")
    assert _secrets_found(doc) == [key]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file; covered by the hardening tests")
def test_unreadable_file_is_reported_not_fatal(tmp_path: Path) -> None:  # pragma: no cover - non-root only
    (tmp_path / "secret.txt").write_text("x")
    (tmp_path / "secret.txt").chmod(0)
    (tmp_path / "ok.txt").write_text("y")
    code, doc = invoke_json("dir", str(tmp_path))
    assert code == 0
    assert any(s["reason"].startswith("unreadable") for s in doc["stats"]["skipped"])


def test_excludes_from_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.js").write_text(f"k='{v2_key()}'\n")
    (tmp_path / "gen.py").write_text(f"k='{v2_key()}'\n")
    (tmp_path / "keep.py").write_text(f"k='{v2_key()}'\n")
    (tmp_path / ".mindee-scan.yaml").write_text("exclude: [vendor]\n")
    _code, doc = invoke_json("dir", str(tmp_path), "--exclude", "gen.py")
    assert [f["path"] for f in doc["findings"]] == ["keep.py"]


def test_config_allowlists_and_inline_markers(tmp_path: Path) -> None:
    allowed, stop, marked, pragma, kept = (v2_key() for _ in range(5))
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "f.txt").write_text(f"k={allowed}\n")
    (tmp_path / "a.py").write_text(
        f"a = '{marked}'  # mindee-scan:allow\nb = '{pragma}'  # pragma: allowlist secret\nc = '{kept}'\nd = '{stop}'\n"
    )
    (tmp_path / ".mindee-scan.yaml").write_text(
        f"allowlist:\n  paths: ['fixtures/**']\n  stopwords: ['{stop[3:15].lower()}']\n"
    )
    _code, doc = invoke_json("dir", str(tmp_path), "--show-secrets")
    assert _secrets_found(doc) == [kept]


def test_config_can_disable_and_add_rules(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text(f"x={v2_key()}\ninternal: ACME-9f3a61c07be24d58\n")
    (tmp_path / "cfg.yaml").write_text(
        "rules:\n"
        "  disable: [mindee-api-key]\n"
        "  add:\n"
        "    - id: acme-token\n"
        "      description: ACME internal token\n"
        "      regex: '(?P<secret>ACME-[0-9a-f]{16})'\n"
        "      keywords: [acme-]\n"
        "      examples: {match: ['ACME-9f3a61c07be24d58']}\n"
    )
    _code, doc = invoke_json("dir", str(tree), "--config", str(tmp_path / "cfg.yaml"))
    assert [f["rule_id"] for f in doc["findings"]] == ["acme-token"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("allowlist: [1, 2]\n", "allowlist must be a mapping"),
        ("excludes: [a]\n", "unknown key(s): excludes"),
        (
            "rules:\n  add:\n    - id: x\n      description: d\n      regex: '(a'\n      keywords: [a]\n"
            "      examples: {match: [a]}\n",
            "does not compile",
        ),
        ("rules: {disable: [no-such-rule]}\n", "cannot disable unknown rule"),
        ("key: [unclosed\n", "invalid YAML"),
    ],
)
def test_bad_config_is_a_clear_error_exit_two(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "a.txt").write_text(f"x={v2_key()}\n")
    (tmp_path / "bad.yaml").write_text(config)
    proc = invoke("dir", str(tmp_path), "--config", str(tmp_path / "bad.yaml"))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "bad.yaml" in proc.stderr
    assert proc.stdout == "", "nothing is reported as if scanned"


def test_missing_path_is_an_error_not_clean(tmp_path: Path) -> None:
    proc = invoke("dir", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


def test_output_file_is_private(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"x={v2_key()}\n")
    out = tmp_path / "report.json"
    proc = invoke("dir", str(tmp_path / "a.txt"), "-f", "json", "-o", str(out))
    assert proc.returncode == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["findings"]


def test_jsonl_has_one_line_per_finding_and_a_summary(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"x={v2_key()}\ny={v2_key()}\n")
    proc = invoke("dir", str(tmp_path), "-f", "jsonl")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["finding", "finding", "summary"]


def test_parallel_and_serial_scans_agree(tmp_path: Path) -> None:
    planted = []
    for i in range(120):
        key = v2_key()
        planted.append(key)
        (tmp_path / f"f{i:03}.py").write_text("x = 1\n" * 8000 + f"KEY = '{key}'\n")
    _, serial = invoke_json("dir", str(tmp_path), "--jobs", "1", "--show-secrets")
    _, parallel = invoke_json("dir", str(tmp_path), "--jobs", "2", "--show-secrets")
    assert parallel["stats"]["jobs"] == 2
    assert sorted(_secrets_found(serial)) == sorted(planted) == sorted(_secrets_found(parallel))
    assert serial["stats"]["files_scanned"] == parallel["stats"]["files_scanned"] == 120


def test_rules_command_lists_mindee_rules_first() -> None:
    proc = invoke("rules")
    assert proc.returncode == 0
    first = proc.stdout.splitlines()[0]
    assert first.startswith("mindee-")


def test_project_passes_its_own_scan() -> None:
    root = paths.ROOT
    proc = invoke("dir", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_config_names_the_baseline_and_ignore_file(tmp_path: Path) -> None:
    old, new = v2_key(), v2_key()
    (tmp_path / "a.py").write_text(f"A = '{old}'\n")
    proc = invoke("baseline", "create", "-o", str(tmp_path / "known.json"), "dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (tmp_path / ".mindee-scan.yaml").write_text("baseline: known.json\nallowlist:\n  paths: [known.json]\n")
    (tmp_path / "b.py").write_text(f"B = '{new}'\n")
    _code, doc = invoke_json("dir", str(tmp_path), "--show-secrets")
    assert [f["secret"] for f in doc["findings"]] == [new]
    assert doc["suppressed"] == 1


def test_text_output_gives_the_fingerprint_for_the_ignore_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(f"A = '{v2_key()}'\n")
    _code, doc = invoke_json("dir", str(tmp_path))
    proc = invoke("dir", str(tmp_path))
    assert f"fingerprint: {doc['findings'][0]['fingerprint']}" in proc.stdout
