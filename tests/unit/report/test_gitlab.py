"""`--format gitlab`: GitLab's secret-detection report, validated against the report schema (15.2.1)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.testing import paths
from tests.testing.cli import invoke
from tests.testing.gitutil import commit_file, init_repo
from tests.testing.keys import v2_key

SCHEMA = json.loads((paths.DATA / "gitlab-secret-detection-report-format.json").read_text())


def _valid(doc: dict) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(doc)


def test_history_report_validates_and_never_holds_the_key(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    key = v2_key()
    commit_file(repo, "clean.txt", "nothing\n")
    sha = commit_file(repo, "conf/app.env", f"DEBUG=0\nMINDEE_API_KEY={key}\n")
    proc = invoke("git", str(repo), "--format", "gitlab", "--show-secrets")
    assert proc.returncode == 1, proc.stderr
    assert key not in proc.stdout, "the report is uploaded to GitLab: never the key, even with --show-secrets"
    doc = json.loads(proc.stdout)
    _valid(doc)
    assert doc["version"] == "15.2.1" and doc["scan"]["type"] == "secret_detection"
    assert doc["scan"]["status"] == "success"
    (vuln,) = doc["vulnerabilities"]
    assert vuln["location"]["file"] == "conf/app.env" and vuln["location"]["start_line"] == 2
    assert vuln["location"]["commit"]["sha"] == sha
    assert vuln["severity"] == "Critical" and vuln["identifiers"][0]["value"] == "mindee-api-key"
    assert not {"details", "tracking", "cvss_vectors"} & set(vuln), "the schema copy in tests/data omits these"
    again = json.loads(invoke("git", str(repo), "--format", "gitlab").stdout)
    assert again["vulnerabilities"][0]["id"] == vuln["id"], "ids are stable across pipelines"


def test_dir_report_and_a_clean_scan_validate(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(f"MINDEE_API_KEY = '{v2_key()}'\n")
    found = json.loads(invoke("dir", str(tmp_path), "--format", "gitlab").stdout)
    _valid(found)
    assert found["vulnerabilities"][0]["location"]["commit"]["sha"] == "0000000"
    (tmp_path / "a.py").write_text("MINDEE_API_KEY = None\n")
    clean = invoke("dir", str(tmp_path), "--format", "gitlab")
    assert clean.returncode == 0
    doc = json.loads(clean.stdout)
    _valid(doc)
    assert doc["vulnerabilities"] == []


def test_the_schema_copy_rejects_what_gitlab_rejects() -> None:
    """The validator is live: a report without `scan`, or with a bad time, fails."""
    import pytest

    with pytest.raises(jsonschema.ValidationError):
        _valid({"version": "15.2.1", "vulnerabilities": []})
    bad_time = {
        "version": "15.2.1",
        "vulnerabilities": [],
        "scan": {
            "analyzer": {"id": "a", "name": "a", "version": "1", "vendor": {"name": "v"}},
            "scanner": {"id": "a", "name": "a", "version": "1", "vendor": {"name": "v"}},
            "type": "secret_detection",
            "start_time": "2024-01-01 00:00:00",
            "end_time": "2024-01-01T00:00:00",
            "status": "success",
        },
    }
    with pytest.raises(jsonschema.ValidationError):
        _valid(bad_time)
