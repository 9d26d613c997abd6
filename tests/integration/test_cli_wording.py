"""What the CLI says must be true: staged keys are not compromised yet, unpushed commits can still be
rewritten, a live key is announced even when the report goes to a file, files go where they are named."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from scanner.cli.main import main
from scanner.record import replace
from scanner.report.remediation import HISTORY_NOTE, LOCAL_HISTORY_NOTE
from tests.testing.findings import make_finding
from tests.testing.gitutil import commit_file, git, init_repo
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock


def test_a_staged_key_is_to_remove_before_committing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "README", "hello\n")
    (repo / "app.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    git(repo, "add", "app.env")
    monkeypatch.chdir(repo)
    assert main(["staged"]) == 1
    out = capsys.readouterr().out
    assert "Staged, not committed yet: remove it before committing" in out
    assert "Treat as compromised" not in out and "rotate at" not in out
    assert main(["staged", "-f", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["remediation"]["action"] == "remove-before-commit"


def test_history_warning_only_for_pushed_commits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = init_repo(tmp_path / "r")
    commit_file(repo, "app.env", f"MINDEE_API_KEY={v2_key()}\n")
    assert main(["git", str(repo)]) == 1
    local = capsys.readouterr().out
    assert LOCAL_HISTORY_NOTE in local and HISTORY_NOTE not in local
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # as after a push
    assert main(["git", str(repo)]) == 1
    pushed = capsys.readouterr().out
    assert HISTORY_NOTE in pushed and LOCAL_HISTORY_NOTE not in pushed


def test_revoke_block_on_stderr_when_the_report_goes_to_a_file(
    tmp_path: Path, mindee: MindeeMock, capsys: pytest.CaptureFixture[str]
) -> None:
    key = v2_key()
    (tmp_path / "app.env").write_text(f"MINDEE_API_KEY={key}\n")
    mindee.live_v2(key, ["Invoices"])
    urls = ["--mindee-v2-url", mindee.v2_url, "--mindee-v1-url", mindee.v1_url]
    for fmt in ("text", "json"):
        out = tmp_path / f"report.{fmt}"
        assert main(["dir", str(tmp_path / "app.env"), "--verify", *urls, "-f", fmt, "-o", str(out)]) == 1
        captured = capsys.readouterr()
        assert "!!! REVOKE NOW" in captured.err and key not in captured.err
        assert captured.out == ""


def test_baseline_create_writes_the_file_named_after_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.env").write_text(f"MINDEE_API_KEY={v2_key()}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["baseline", "create", "dir", "src", "-o", "x.json"]) == 0
    doc = json.loads((tmp_path / "x.json").read_text())
    assert doc["kind"] == "baseline" and len(doc["entries"]) == 1
    assert not (tmp_path / ".mindee-scan-baseline.json").exists()
    assert "baseline x.json: 1 entry" in capsys.readouterr().out
    assert main(["baseline", "create", "--output=y.json", "dir", "src"]) == 0
    assert json.loads((tmp_path / "y.json").read_text())["kind"] == "baseline"


def test_remediation_file_covers_the_encoded_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = v2_key()
    value = base64.b64encode(f"MINDEE_API_KEY={key}\n".encode()).decode()
    (tmp_path / "secret.yaml").write_text(f"apiVersion: v1\nkind: Secret\ndata:\n  env: {value}\n")
    replace = tmp_path / "replace.txt"
    assert main(["dir", str(tmp_path / "secret.yaml"), "--remediation-file", str(replace), "-q"]) == 1
    patterns = [line.split("==>")[0] for line in replace.read_text().splitlines()]
    assert key in patterns
    assert any(p != key and p in value for p in patterns), "no line matches the base64 value in the file"


def test_summary_sizes_say_mib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "big.txt").write_bytes(b"a" * (3 * 1024 * 1024 // 2))  # 1.5 MiB, 1.6 MB
    assert main(["dir", str(tmp_path)]) == 0
    assert "1.5 MiB in" in capsys.readouterr().out


def test_audit_findings_never_read_as_unpushed() -> None:
    """A mirror's branches are the remote's: an audit finding gets the history warning, not 'rewrite before pushing'."""
    from scanner.model import ScanResult, ScanStats
    from scanner.report.remediation import is_pushed, remediation_lines

    f = make_finding("mindee-api-key", "Mindee API key", "critical", "a.env", 1, 16, v2_key(), verifier="mindee-v2",
                commit="a" * 40, refs=("refs/heads/main",), repo="https://git.example.com/acme/api.git")  # fmt: skip
    assert is_pushed(f) is None
    assert HISTORY_NOTE in remediation_lines(ScanResult([f], ScanStats()))
    assert is_pushed(f.with_changes(where=replace(f.where, repo=None))) is False
