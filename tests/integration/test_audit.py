"""Audit of many real repositories into the SQLite store: targets, store contents, incremental re-runs,
triage, re-verification and reports, through the installed CLI and through `run_audit` directly."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from scanner.audit.findings import Filters, load_findings
from scanner.audit.runner import AuditOptions, run_audit
from scanner.audit.store import Store
from scanner.audit.targets import resolve
from tests.testing.cli import invoke
from tests.testing.fleet import Fleet, build_fleet
from tests.testing.gitutil import commit_file, git
from tests.testing.keys import v2_key
from tests.testing.mindee_mock import MindeeMock


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    from tests.testing.gitutil import HERMETIC_ENV

    # Module-scoped: the autouse hermetic fixture is function-scoped, so apply its env by hand here.
    with pytest.MonkeyPatch.context() as mp:
        for k, v in HERMETIC_ENV.items():
            mp.setenv(k, v)
        return build_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def audited(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One CLI audit of the fleet (local pool), shared by the read-only tests below."""
    work = tmp_path_factory.mktemp("audited")
    db = work / "store" / "findings.db"
    proc = invoke(
        "audit", *fleet.targets, "--db", str(db), "--cache-dir", str(work / "cache"), "-j", "2", env=_hermetic()
    )
    return db, proc


def _hermetic() -> dict[str, str]:
    from tests.testing.gitutil import HERMETIC_ENV

    return dict(HERMETIC_ENV)


def _audit(fleet: Fleet, db: Path, cache: Path, **kw: Any) -> Any:
    store = Store.open(str(db))
    try:
        options = AuditOptions(targets=tuple(resolve(fleet.targets)), cache_dir=str(cache), **kw)
        return run_audit(options, store), store.snapshot()
    finally:
        store.close()


# -- targets ----------------------------------------------------------------------------------------------


def test_targets_resolve_folder_list_file_and_urls(fleet: Fleet, tmp_path: Path) -> None:
    targets = resolve([*fleet.targets, str(fleet.folder / "app-00"), str(tmp_path / "nope"), str(tmp_path)])
    keys = [t.key for t in targets]
    assert len(keys) == len(set(keys)), "each repository once, even when named twice"
    names = sorted(t.name for t in targets if t.error is None)
    assert names == sorted([f"app-0{i}" for i in range(9)] + ["svc-09", "svc-10", "svc-11-gone"])
    urls = [t for t in targets if t.kind == "url"]
    assert [t.key for t in urls] == [fleet.url_ok, fleet.url_missing]  # comments, blanks and spaces dropped
    bare = next(t for t in targets if t.name == "svc-09")
    assert bare.kind == "path" and bare.key == os.path.realpath(fleet.repos["svc-09"])  # relative to the list
    errors = {Path(t.key).name: t.error for t in targets if t.error}
    assert "no such file or directory" in (errors["nope"] or "")
    assert "neither a git repository nor a folder" in (errors[tmp_path.name] or "")


# -- one audit: what the store holds -----------------------------------------------------------------------


def test_audit_reports_broken_repositories_and_goes_on(fleet: Fleet, audited: tuple[Path, Any]) -> None:
    db, proc = audited
    assert proc.returncode == 2, proc.stderr  # two repositories failed (open findings too, in the store)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("mindee-scan audit: [")]
    assert len(lines) == fleet.total, proc.stderr  # plain log lines when stderr is not a terminal
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 2, failed
    assert any("app-08" in line for line in failed) and any("svc-11-gone" in line for line in failed)
    repos = json.loads(invoke("findings", "repos", "--db", str(db), "--format", "json").stdout)["repositories"]
    assert len(repos) == fleet.total
    by_name = {Path(r["repo"]).name: r for r in repos}
    assert by_name["app-08"]["last_status"] == "error" and "not a git repository" in by_name["app-08"]["error"]
    assert by_name["app-00"]["open_secrets"] == 1 and by_name["app-05"]["open_secrets"] == 2
    assert by_name["app-04"]["last_status"] == "full" and by_name["app-04"]["objects_scanned"] > 0
    store = Store.open(str(db), create=False)
    try:
        scans = store.snapshot()["scans"]
    finally:
        store.close()
    assert sum(1 for s in scans if s[1] == "full") == 10
    assert sum(1 for s in scans if s[1] == "error") == 2


def test_same_secret_across_repositories_is_one_secret(fleet: Fleet, audited: tuple[Path, Any]) -> None:
    db, _ = audited
    store = Store.open(str(db), create=False)
    try:
        findings = {f.secret.hash: f for f in load_findings(store)}
    finally:
        store.close()
    from scanner.model import secret_hash

    expected = {secret_hash(k) for k in fleet.keys.values()}
    # B (history only), C (branch only), E (tag), G (clone URL), H (repo config says allowlisted) included
    assert set(findings) == expected
    shared = findings[secret_hash(fleet.keys["A"])]
    repos = {Path(o.repo or "").name for o in shared.history.occurrences}
    assert repos == {"app-00", "app-02", "app-05", "svc-09.git"}
    assert len([o for o in shared.history.occurrences if o.repo and o.repo.endswith("app-05")]) == 2
    assert shared.where.repo == os.path.realpath(fleet.repos["svc-09"])  # the oldest introduction is the primary
    assert shared.history.date and shared.history.date.startswith("2019-07-01")
    cloned = findings[secret_hash(fleet.keys["G"])]
    assert cloned.where.repo == fleet.url_ok


def test_store_is_private_and_holds_no_key_in_clear(fleet: Fleet, audited: tuple[Path, Any], tmp_path: Path) -> None:
    db, _ = audited
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    raw = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    for key in fleet.keys.values():
        assert key.encode() not in raw
    # ...unless the user asks for it.
    kept = tmp_path / "kept.db"
    _audit(fleet, kept, tmp_path / "cache", jobs=1, store_secrets=True)
    store = Store.open(str(kept), create=False)
    try:
        stored = {row[0] for row in store.conn.execute("SELECT secret FROM secrets")}
    finally:
        store.close()
    assert stored == set(fleet.keys.values())
    shown = invoke("findings", "list", "--db", str(kept), "--show-secrets").stdout
    hidden = invoke("findings", "list", "--db", str(kept)).stdout
    assert all(k in shown for k in fleet.keys.values())
    assert not any(k in hidden for k in fleet.keys.values())


def test_findings_list_json_has_scan_fields_repo_and_state(fleet: Fleet, audited: tuple[Path, Any]) -> None:
    db, _ = audited
    proc = invoke("findings", "list", "--db", str(db), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["findings"]) == len(fleet.keys)
    scan_fields = {
        "rule_id",
        "description",
        "severity",
        "path",
        "line",
        "column",
        "secret",
        "redacted",
        "fingerprint",
        "secret_hash",
        "snippet",
        "commit",
        "author",
        "date",
        "occurrences",
        "present_at_head",
        "refs",
        "verification",
    }
    for f in doc["findings"]:
        assert scan_fields <= set(f), scan_fields - set(f)
        assert f["state"] == "open"
        assert f["repo"] and all(o["repo"] for o in f["occurrences"])
        assert f["secret"] == f["redacted"] and "…" in f["secret"]
    assert not any(k in proc.stdout for k in fleet.keys.values())

    one = invoke("findings", "list", "--db", str(db), "--format", "json", "--repo", "app-07")
    (tagged,) = json.loads(one.stdout)["findings"]
    assert tagged["secret_hash"] == _hash(fleet.keys["E"])
    assert any("v1.0" in ref for ref in tagged["refs"])


def _hash(key: str) -> str:
    from scanner.model import secret_hash

    return secret_hash(key)


def test_reports_from_the_store(fleet: Fleet, audited: tuple[Path, Any], tmp_path: Path) -> None:
    from scanner.report import available_formats

    db, _ = audited
    for fmt in [f for f in ("json", "sarif", "html") if f in available_formats()]:
        out = tmp_path / f"report.{fmt}"
        proc = invoke("findings", "report", "--db", str(db), "--format", fmt, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        text = out.read_text()
        assert all(k not in text for k in fleet.keys.values())
        if fmt == "json":
            doc = json.loads(text)
            assert doc["source"] == "audit" and len(doc["findings"]) == len(fleet.keys)
            assert doc["stats"]["repositories"] == 12 and len(doc["stats"]["errors"]) == 2


# -- incremental re-runs ------------------------------------------------------------------------------------


def test_rerun_skips_unchanged_and_scans_only_new_objects(tmp_path: Path) -> None:
    fleet = build_fleet(tmp_path / "own-fleet")  # this test moves a repository: not the shared fleet
    db, cache = tmp_path / "inc.db", tmp_path / "cache"
    first, snap1 = _audit(fleet, db, cache, jobs=1)
    assert first.by_status == {"full": 10, "error": 2}

    second, snap2 = _audit(fleet, db, cache, jobs=1)
    assert second.by_status == {"unchanged": 10, "error": 2}
    assert second.objects_scanned == 0
    assert {k: v for k, v in snap2.items() if k != "scans"} == {k: v for k, v in snap1.items() if k != "scans"}

    # Move one repository: a new commit adds a new key and deletes the file holding the old one.
    repo = fleet.repos["app-00"]
    old_tip = git(repo, "rev-parse", "HEAD")
    new_key = v2_key()
    git(repo, "rm", "-q", "config/.env")
    commit_file(repo, "new/.env", f"MINDEE_API_KEY={new_key}\n", "new key, old one removed")
    third, _ = _audit(fleet, db, cache, jobs=1)
    assert third.by_status == {"unchanged": 9, "incremental": 1, "error": 2}
    store = Store.open(str(db), create=False)
    try:
        status, excluded, found, objects = store.conn.execute(
            "SELECT s.status, s.excluded_revs, s.findings, s.objects_scanned FROM scans s"
            " JOIN repositories r ON r.id = s.repo_id WHERE r.key = ? ORDER BY s.id DESC LIMIT 1",
            (os.path.realpath(repo),),
        ).fetchone()
        full_objects = store.conn.execute(
            "SELECT s.objects_scanned FROM scans s JOIN repositories r ON r.id = s.repo_id"
            " WHERE r.key = ? AND s.status = 'full'",
            (os.path.realpath(repo),),
        ).fetchone()[0]
        findings = {f.secret.hash: f for f in load_findings(store, Filters(repo=os.path.realpath(repo)))}
    finally:
        store.close()
    assert status == "incremental" and json.loads(excluded) == [old_tip]
    assert found == 1, "only the new objects were scanned: the old key's blob was not re-read"
    assert 0 < objects < full_objects + 3
    assert set(findings) == {_hash(new_key), _hash(fleet.keys["A"])}
    a_in_app00 = [o for o in findings[_hash(fleet.keys["A"])].history.occurrences if o.repo == os.path.realpath(repo)]
    assert len(a_in_app00) == 1, "no duplicate occurrence after the incremental scan"
    store = Store.open(str(db), create=False)
    try:
        at_head = dict(
            store.conn.execute(
                "SELECT s.secret_hash, x.present_at_head FROM repo_secrets x JOIN secrets s ON s.id = x.secret_id"
                " JOIN repositories r ON r.id = x.repo_id WHERE r.key = ?",
                (os.path.realpath(repo),),
            ).fetchall()
        )
    finally:
        store.close()
    assert at_head == {_hash(fleet.keys["A"]): 0, _hash(new_key): 1}, "HEAD state refreshed by the re-run"


# -- triage and re-verification ------------------------------------------------------------------------------


def test_triage_records_who_and_when_and_filters(fleet: Fleet, tmp_path: Path) -> None:
    db = tmp_path / "triage.db"
    _audit(fleet, db, tmp_path / "cache", jobs=1)
    fp = _fingerprint(db, fleet.keys["B"])
    proc = invoke(
        "findings",
        "triage",
        fp[:20],
        "--db",
        str(db),
        "--state",
        "false-positive",
        "--note",
        "test fixture, never a real key",
        "--who",
        "alice@example.com",
    )
    assert proc.returncode == 0, proc.stderr
    bad = invoke("findings", "triage", "nope:0000", "--db", str(db), "--state", "revoked")
    assert bad.returncode == 2 and "no finding" in bad.stderr

    listed = invoke("findings", "list", "--db", str(db), "--state", "false-positive")
    assert fp in listed.stdout and listed.stdout.count("\n") == 3  # the header, one row, the count line
    opened = invoke("findings", "list", "--db", str(db), "--state", "open", "--format", "json")
    assert fp not in opened.stdout and len(json.loads(opened.stdout)["findings"]) == len(fleet.keys) - 1

    shown = json.loads(invoke("findings", "show", fp, "--db", str(db), "--format", "json").stdout)
    assert shown["state"] == "false-positive"
    last = shown["history"]["triage"][-1]
    assert last["who"] == "alice@example.com" and last["note"].startswith("test fixture") and last["at"]


def test_verify_rechecks_open_keys_and_records_live_to_revoked(
    fleet: Fleet, tmp_path: Path, mindee: MindeeMock
) -> None:
    db = tmp_path / "verify.db"
    _audit(fleet, db, tmp_path / "cache", jobs=1)  # keys are not stored: the re-check re-reads them from git
    key = fleet.keys["A"]
    fp = _fingerprint(db, key)
    accepted = ("--state", "accepted-risk", "--note", "vendor sandbox", "--expires", "2999-12-31")
    invoke("findings", "triage", _fingerprint(db, fleet.keys["D"]), "--db", str(db), *accepted)
    mindee.live_v2(key, ["invoices", "receipts"])

    args = (
        "findings",
        "list",
        "--db",
        str(db),
        "--verify",
        "--mindee-v2-url",
        mindee.v2_url,
        "--mindee-v1-url",
        mindee.v1_url,
        "--format",
        "json",
    )
    first = invoke(*args)
    assert first.returncode == 0, first.stderr
    assert f"verified {fp}: not-checked -> live" in first.stderr
    verdicts = {f["fingerprint"]: f["verification"]["verdict"] for f in json.loads(first.stdout)["findings"]}
    assert verdicts[fp] == "live"
    assert verdicts[_fingerprint(db, fleet.keys["D"])] == "not-checked", "only open keys are re-checked"
    assert not mindee.requests_for(fleet.keys["D"])
    assert len(mindee.requests_for(key)) == 1, "a key in four repositories is checked once"

    mindee.delete("v2", key)  # the user deleted the key in the dashboard
    second = invoke(*args)
    assert f"verified {fp}: live -> revoked" in second.stderr
    shown = json.loads(invoke("findings", "show", fp, "--db", str(db), "--format", "json").stdout)
    assert shown["verification"]["verdict"] == "revoked" and shown["revoked_detected_at"]
    assert shown["state"] == "revoked" and shown["triage"]["who"] == "mindee-scan --verify"
    assert [v["verdict"] for v in shown["history"]["verifications"]] == ["live", "revoked"]
    # Revoked keys are no longer open: a third re-check does not send this key again.
    invoke(*args)
    assert len(mindee.requests_for(key)) == 2


def _fingerprint(db: Path, key: str) -> str:
    store = Store.open(str(db), create=False)
    try:
        row = store.conn.execute("SELECT fingerprint FROM secrets WHERE secret_hash = ?", (_hash(key),)).fetchone()
    finally:
        store.close()
    return str(row[0])


def test_audit_verify_checks_each_key_once_across_repositories(
    fleet: Fleet, tmp_path: Path, mindee: MindeeMock
) -> None:
    key = fleet.keys["A"]
    mindee.live_v2(key, ["invoices"])
    db = tmp_path / "v.db"
    proc = invoke(
        "audit",
        *(str(fleet.repos[name]) for name in ("app-00", "app-02", "app-05", "svc-09")),  # A in all four
        "--db",
        str(db),
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "2",
        "--verify",
        "--mindee-v2-url",
        mindee.v2_url,
        "--mindee-v1-url",
        mindee.v1_url,
    )
    assert proc.returncode == 1, proc.stderr
    assert len(mindee.requests_for(key)) == 1, "one request for a key found in four repositories"
    assert len(mindee.requests_for(fleet.keys["D"])) == 1 and len(mindee.requests) == 3  # A, D, F
    store = Store.open(str(db), create=False)
    try:
        rows = store.conn.execute(
            "SELECT v.verdict, v.context, v.checked_at FROM verifications v JOIN secrets s ON s.id = v.secret_id"
            " WHERE s.secret_hash = ?",
            (_hash(key),),
        ).fetchall()
    finally:
        store.close()
    assert {(verdict, context) for verdict, context, _ in rows} == {("live", "audit")}
    assert all(at for *_, at in rows)


def test_progress_line_on_a_terminal_and_log_lines_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setenv("COLUMNS", "200")

    from scanner.audit.progress import Progress
    from scanner.audit.task import RepoOutcome

    ok = RepoOutcome(key="/r/one", location="/r/one", kind="path", status="full", objects_scanned=1200)
    bad = RepoOutcome(key="/r/two", location="/r/two", kind="path", status="error", error="fatal: corrupt")
    tty = io.StringIO()
    progress = Progress(tty, tty=True)
    progress.start("local pool", 2, ["/r/one", "/r/two"])
    progress.update(ok)
    progress.update(bad)
    progress.finish()
    text = tty.getvalue()
    assert "\r\x1b[K" in text and "[1/2]" in text and "objects/s" in text and "scanning /r/two" in text
    assert "(last: /r/one: scanned, 1200 objects" in text
    monkeypatch.setenv("COLUMNS", "40")  # a status line never wraps (a wrapped line cannot be rewritten)
    narrow = io.StringIO()
    progress = Progress(narrow, tty=True)
    progress.start("local pool", 2, ["/r/one", "/r/two"])
    progress.update(ok)
    status = narrow.getvalue().split("\r\x1b[K")[-1]
    assert status.endswith("…") and len(status) <= 39
    assert "[2/2] /r/two: FAILED: fatal: corrupt" in text and text.count("\n") == 2  # start line + the failure

    plain = io.StringIO()
    progress = Progress(plain, tty=False)
    progress.start("serial", 1, ["/r/one", "/r/two"])
    progress.update(ok)
    progress.update(bad)
    lines = plain.getvalue().splitlines()
    assert "\r" not in plain.getvalue() and len(lines) == 3
    assert lines[1].startswith("mindee-scan audit: [1/2] /r/one: scanned, 1200 objects, 0 findings")


def test_bare_repository_given_by_path(tmp_path: Path) -> None:
    from tests.testing.gitutil import init_repo

    key = v2_key()
    work = init_repo(tmp_path / "work")
    commit_file(work, "a.env", f"MINDEE_API_KEY={key}\n")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    store = Store.open(str(tmp_path / "b.db"))
    try:
        summary = run_audit(AuditOptions(targets=tuple(resolve([str(bare)])), cache_dir=str(tmp_path / "c")), store)
        found = [f.secret.hash for f in load_findings(store)]
    finally:
        store.close()
    assert summary.by_status == {"full": 1}, summary.errors
    assert found == [_hash(key)]


def test_audit_help_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from scanner.cli.main import main; main(['audit', '--help']);"
        "main(['findings', 'list', '--help']);"
        "print(sorted(m for m in ('distributed', 'dask', 'sqlite3', 'scanner.app.history', 'scanner.verify')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_clone_urls_are_mirrored_into_the_default_cache(fleet: Fleet, tmp_path: Path) -> None:
    env = {**_hermetic(), "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"), "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    for _ in range(2):  # clone, then fetch into the same mirror
        proc = invoke("audit", fleet.url_ok, env=env)
        assert proc.returncode == 1, proc.stderr
    db = tmp_path / "xdg-data" / "mindee-scan" / "findings.db"
    assert db.is_file() and stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    (mirror,) = (tmp_path / "xdg-cache" / "mindee-scan" / "mirrors").iterdir()
    assert mirror.name.startswith("svc-10.git-")
    assert git(mirror, "config", "remote.origin.mirror") == "true"
    assert git(mirror, "rev-parse", "--is-bare-repository") == "true", "nothing is ever checked out"
    assert "unchanged" in proc.stderr


def test_a_crashing_scan_is_that_repositorys_error(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.audit.runner as runner_module
    from scanner.audit.task import RepoTask, scan_task

    def flaky(task: RepoTask) -> Any:  # fault injection: a scanner bug on one odd repository
        if task.key.endswith("app-03"):
            raise KeyError("odd tree entry")
        return scan_task(task)

    monkeypatch.setattr(runner_module, "scan_task", flaky)
    summary, _ = _audit(fleet, tmp_path / "crash.db", tmp_path / "c", jobs=1)
    assert summary.by_status == {"full": 9, "error": 3}
    assert any(key.endswith("app-03") and "KeyError" in err for key, err in summary.errors)


def _killer(task: Any) -> Any:
    """Fault injection, run in a pool worker: the process dies (as under the OOM killer) on one repository."""
    from scanner.audit.task import scan_task

    if task.key.endswith("app-03"):
        os._exit(137)
    return scan_task(task)


def test_a_dead_worker_process_fails_only_its_repository(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.audit.runner as runner_module

    monkeypatch.setattr(runner_module, "scan_task", _killer)
    names = ["app-00", "app-01", "app-02", "app-03", "app-04", "app-05"]
    store = Store.open(str(tmp_path / "dead.db"))
    try:
        targets = tuple(resolve([str(fleet.repos[n]) for n in names]))
        summary = run_audit(AuditOptions(targets=targets, cache_dir=str(tmp_path / "c"), jobs=2), store)
        found = {f.secret.hash for f in load_findings(store)}
    finally:
        store.close()
    assert summary.executor == "local pool"
    assert summary.by_status == {"full": 5, "error": 1}, summary.errors
    (died,) = [err for key, err in summary.errors if key.endswith("app-03")]
    assert "worker process died" in died
    assert found == {_hash(fleet.keys[k]) for k in "ABD"}  # every other repository's keys are recorded
