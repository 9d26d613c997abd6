"""SARIF 2.1.0: valid against the official OASIS schema, revocation help, stable fingerprints, no secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Finding, Occurrence, ScanResult, ScanStats, Verification
from scanner.report import RenderOptions
from scanner.report.remediation import DASHBOARD_URL, ROTATION_STEPS
from scanner.report.sarif import FINGERPRINT_KEY, render
from tests.testing import paths
from tests.testing.cli import invoke
from tests.testing.findings import make_finding
from tests.testing.keys import v1_key, v2_key, v2_long_key

jsonschema = pytest.importorskip("jsonschema", reason="pip install jsonschema (in the test extra)")
SCHEMA = json.loads((paths.DATA / "sarif-schema-2.1.0.json").read_text())


def _validate(doc: dict[str, Any]) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    errors = sorted(cls(SCHEMA).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def _finding(secret: str, **kw: Any) -> Finding:
    where = {"path": "src/app.py", "line": 3, "column": 12}
    return make_finding(**{**where, "secret": secret, "line_text": f'    API_KEY = "{secret}"  # prod', **kw})


def _result(findings: list[Finding]) -> ScanResult:
    stats = ScanStats(files_scanned=3, bytes_scanned=100)
    stats.notes.append("history is incomplete (shallow clone)")
    return ScanResult(findings, stats, target="repo", source="git")


def _doc(findings: list[Finding], show: bool = False) -> tuple[str, dict[str, Any]]:
    text = render(_result(findings), RenderOptions(show_secrets=show))
    return text, json.loads(text)


def test_sarif_validates_and_never_contains_a_secret() -> None:
    k1, k2, k3, legacy = v2_key(), v2_long_key(), v2_key(), v1_key()
    history = _finding(
        k2,
        path="config/old settings#1.yaml",
        line=7,
        column=5,
        commit="a" * 40,
        author="Dev <dev@example.com>",
        date="2021-03-04T05:06:07+00:00",
        present_at_head=False,
        refs=("refs/heads/main", "refs/tags/v1"),
        occurrences=(Occurrence("config/old settings#1.yaml", 7, "a" * 40), Occurrence("b.yaml", 2, "b" * 40)),
        verification=Verification("live", "200 OK", model_count=2, models=("invoice", "receipt")),
    )
    encoded = _finding(k3, path="k8s/secret.yaml", encoding="base64", line_text="  key: bWRfc2VjcmV0")
    other = _finding(legacy, rule_id="mindee-legacy-api-key", description="Mindee legacy key", severity="high")
    text, doc = _doc([_finding(k1), history, encoded, other], show=True)
    _validate(doc)
    for key in (k1, k2, k3, legacy):
        assert key not in text  # --show-secrets does not apply to SARIF: it is uploaded to dashboards
    run_ = doc["runs"][0]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["mindee-api-key", "mindee-legacy-api-key"]
    assert [r["ruleIndex"] for r in run_["results"]] == [0, 0, 0, 1]
    assert run_["results"][0]["locations"][0]["physicalLocation"]["region"]["snippet"]["text"].startswith(
        'API_KEY = "md_'
    )
    enc_region = run_["results"][2]["locations"][0]["physicalLocation"]["region"]
    assert "snippet" not in enc_region  # the encoded form of the key would be the key


def test_rules_carry_descriptions_and_revocation_help() -> None:
    _, doc = _doc([_finding(v2_key())])
    [rule] = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] == "Mindee API key"
    assert rule["fullDescription"]["text"]
    for step in ROTATION_STEPS:
        assert step in rule["help"]["text"] and step in rule["help"]["markdown"]
    assert f"]({DASHBOARD_URL})" in rule["help"]["markdown"]
    assert rule["properties"]["security-severity"] == "9.5"
    assert rule["defaultConfiguration"]["level"] == "error"


def test_location_is_relative_and_1_based() -> None:
    f = _finding(v2_key(), path="dir with space/ünï.py", line=9, column=4)
    _, doc = _doc([f])
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "dir%20with%20space/%C3%BCn%C3%AF.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 9 and loc["region"]["startColumn"] == 4
    assert loc["region"]["endColumn"] == 4 + len(f.secret.reveal())


def test_partial_fingerprints_ignore_lines_but_not_keys_or_paths() -> None:
    key = v2_key()
    _, doc = _doc(
        [
            _finding(key, line=3),
            _finding(key, line=300, column=1),
            _finding(key, path="other.py"),
            _finding(v2_key(), line=3),
        ]
    )
    fps = [r["partialFingerprints"][FINGERPRINT_KEY] for r in doc["runs"][0]["results"]]
    assert fps[0] == fps[1]
    assert len({fps[0], fps[2], fps[3]}) == 3


def test_history_findings_carry_commit_provenance() -> None:
    occ = (Occurrence("a.py", 2, "c" * 40), Occurrence("b.py", 5, "d" * 40))
    f = _finding(
        v2_key(),
        commit="c" * 40,
        author="A <a@example.com>",
        date="2020-01-01T00:00:00+00:00",
        present_at_head=True,
        refs=("refs/heads/main",),
        occurrences=occ,
    )
    _, doc = _doc([f])
    res = doc["runs"][0]["results"][0]
    props = res["properties"]
    assert props["commit"] == "c" * 40 and props["author"] == "A <a@example.com>"
    assert props["date"].startswith("2020-01-01") and props["presentAtHead"] is True
    assert [o["path"] for o in props["occurrences"]] == ["a.py", "b.py"]
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in res["relatedLocations"]] == ["a.py", "b.py"]
    assert "git history" in res["message"]["text"]


def test_empty_and_failed_scans_are_valid_sarif() -> None:
    stats = ScanStats()
    stats.errors.append("repo: not a git repository")
    text = render(ScanResult([], stats), RenderOptions())
    doc = json.loads(text)
    _validate(doc)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "repo: not a git repository"


def test_cli_sarif_end_to_end(tmp_path: Path) -> None:
    key = v2_key()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "settings.py").write_text(f'import os\n\nMINDEE_API_KEY = "{key}"\n')
    proc = invoke("dir", str(tmp_path), "--format", "sarif", "--show-secrets")
    assert proc.returncode == 1, proc.stderr
    assert key not in proc.stdout
    doc = json.loads(proc.stdout)
    _validate(doc)
    [res] = doc["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/settings.py"
    assert (region["startLine"], region["startColumn"]) == (3, 19)


def test_schema_check_is_live() -> None:
    """The validator catches what GitHub would reject (guards against a schema that accepts anything)."""
    _, doc = _doc([_finding(v2_key())])
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match=r"startLine|level"):
        _validate(doc)


def test_cli_sarif_of_a_git_history_scan(tmp_path: Path) -> None:
    """A real history: the removed key carries its commit; moving the key keeps its fingerprint."""
    from tests.testing.gitutil import commit_file, git, init_repo

    key = v2_key()
    repo = init_repo(tmp_path / "repo")
    first = commit_file(repo, "app.py", f'MINDEE_API_KEY = "{key}"\n', "add key", date="2021-05-01T10:00:00+00:00")
    commit_file(repo, "app.py", "import os\n", "remove key")

    def sarif() -> dict[str, Any]:
        proc = invoke("git", str(repo), "--format", "sarif")
        assert proc.returncode == 1, proc.stderr
        assert key not in proc.stdout
        doc: dict[str, Any] = json.loads(proc.stdout)
        _validate(doc)
        return doc

    [res] = sarif()["runs"][0]["results"]
    assert res["properties"]["commit"] == first
    assert res["properties"]["date"].startswith("2021-05-01")
    assert res["properties"]["presentAtHead"] is False
    assert "git history" in res["message"]["text"]

    git(repo, "switch", "-q", "-c", "other", first)
    commit_file(repo, "app.py", "# header\n" * 10 + f'MINDEE_API_KEY = "{key}"\n', "move it down")
    proc = invoke("dir", str(repo), "--format", "sarif")
    [moved] = json.loads(proc.stdout)["runs"][0]["results"]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 11
    assert moved["partialFingerprints"] == res["partialFingerprints"]


def test_key_in_a_commit_message_is_located_and_valid(tmp_path: Path) -> None:
    from tests.testing.gitutil import commit_file, init_repo

    key = v2_key()
    repo = init_repo(tmp_path / "repo")
    sha = commit_file(repo, "a.txt", "hello\n", f"debug: use MINDEE_API_KEY={key} for now")
    proc = invoke("git", str(repo), "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    assert key not in proc.stdout
    doc = json.loads(proc.stdout)
    _validate(doc)
    [res] = doc["runs"][0]["results"]
    assert f"the message of commit {sha[:12]}" in res["message"]["text"]
