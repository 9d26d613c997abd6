"""The findings store: one SQLite file holding repositories, scans, secrets (by hash), occurrences,
verifications and triage, written one repository per transaction so a killed audit loses nothing recorded.

Only the audit client writes (workers return results), so a single connection suffices.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from scanner.audit.task import RepoOutcome
from scanner.errors import ScanError
from scanner.model import TRIAGE_STATES, Finding, Verification

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repositories (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,            -- real path or clone URL
    location TEXT NOT NULL,              -- git dir, or the URL
    kind TEXT NOT NULL,                  -- path | url
    git_dir TEXT,                        -- where the objects were last read (mirror cache for URLs)
    first_seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audits (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    executor TEXT NOT NULL,
    workers INTEGER,
    targets INTEGER
);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER REFERENCES audits(id),
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    status TEXT NOT NULL,                -- full | incremental | unchanged | error
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    objects_scanned INTEGER NOT NULL DEFAULT 0,
    bytes_scanned INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0,
    excluded_revs TEXT NOT NULL DEFAULT '[]',
    refs TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    worker TEXT
);
CREATE TABLE IF NOT EXISTS ref_tips (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    ref TEXT NOT NULL,
    sha TEXT NOT NULL,
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    PRIMARY KEY (repo_id, ref)
);
CREATE TABLE IF NOT EXISTS secrets (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,    -- rule_id + secret hash: the same key in many repositories is one row
    rule_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    redacted TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    verifier TEXT,
    secret TEXT,                         -- NULL unless the user asked for --store-secrets
    first_seen_at TEXT NOT NULL,
    revoked_detected_at TEXT             -- when a re-check first saw a previously live key revoked
);
CREATE TABLE IF NOT EXISTS repo_secrets (
    secret_id INTEGER NOT NULL REFERENCES secrets(id),
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    commit_sha TEXT NOT NULL DEFAULT '', -- the commit that introduced it in this repository
    author TEXT,
    date TEXT,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    encoding TEXT,
    snippet TEXT NOT NULL,               -- already redacted
    present_at_head INTEGER,
    refs TEXT NOT NULL DEFAULT '[]',
    first_scan_id INTEGER NOT NULL,
    last_scan_id INTEGER NOT NULL,
    PRIMARY KEY (secret_id, repo_id)
);
CREATE TABLE IF NOT EXISTS occurrences (
    id INTEGER PRIMARY KEY,
    secret_id INTEGER NOT NULL REFERENCES secrets(id),
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    commit_sha TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER,
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    UNIQUE (secret_id, repo_id, commit_sha, path, line)
);
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY,
    secret_id INTEGER NOT NULL REFERENCES secrets(id),
    verdict TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status_code INTEGER,
    model_count INTEGER,
    models TEXT NOT NULL DEFAULT '[]',
    checked_at TEXT NOT NULL,
    context TEXT NOT NULL               -- audit | recheck
);
CREATE TABLE IF NOT EXISTS triage (
    secret_id INTEGER PRIMARY KEY REFERENCES secrets(id),
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    expires TEXT                         -- YYYY-MM-DD, accepted-risk only: open again the day after
);
CREATE TABLE IF NOT EXISTS triage_history (
    id INTEGER PRIMARY KEY,
    secret_id INTEGER NOT NULL REFERENCES secrets(id),
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    expires TEXT
);
CREATE INDEX IF NOT EXISTS occurrences_secret ON occurrences(secret_id);
CREATE INDEX IF NOT EXISTS verifications_secret ON verifications(secret_id, id);
CREATE INDEX IF NOT EXISTS scans_repo ON scans(repo_id, id);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_db_path() -> str:
    """$XDG_DATA_HOME/mindee-scan/findings.db (~/.local/share/... when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "mindee-scan", "findings.db")


class Store:
    """A findings database; open it with `Store.open(path)` and close it when done."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: str, create: bool = True) -> Store:
        """Open the store at `path`, creating it (mode 0600) only where nothing exists yet.

        Nothing at `path` is touched (no chmod, no write) until it is known to be ours: a file this call
        created, or an existing regular file that already is a findings store. `--db /dev/null` or
        `--db notes.txt` is refused as it is; run as root, the old chmod-first broke /dev/null for all.
        """
        created = False
        if os.path.lexists(path):
            created = _check_existing(path)
        elif not create:
            raise ScanError(f"{path}: no findings store here (run `mindee-scan audit --db {path}` first)")
        else:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, mode=0o700, exist_ok=True)
            # Created 0600 before SQLite writes a byte: it holds provenance of secrets (and keys, if asked).
            # O_EXCL: a file (or link) that appeared meanwhile is not ours to take over.
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except FileExistsError:
                raise ScanError(f"{path}: appeared while the store was being created; run again") from None
            except OSError as exc:
                raise ScanError(f"{path}: cannot create the findings store: {exc.strerror or exc}") from None
            os.close(fd)
            created = True
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            if not created:
                _check_schema(conn, path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            _add_missing_columns(conn)
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            if created:
                _remove_quietly(path)
            raise ScanError(f"{path}: not a usable findings store: {exc}") from None
        # Ours now (created here, or verified to be a store): keep it and SQLite's side files private.
        for name in (path, path + "-wal", path + "-shm"):
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(name).st_mode):
                    os.chmod(name, 0o600)
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: BEGIN IMMEDIATE takes the write lock up front, so no half-written repository."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- audits and repositories ---------------------------------------------------------------

    def begin_audit(self, executor: str, workers: int, targets: int) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO audits(started_at, executor, workers, targets) VALUES (?, ?, ?, ?)",
                (now(), executor, workers, targets),
            )
            return int(cur.lastrowid or 0)

    def finish_audit(self, audit_id: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE audits SET finished_at = ? WHERE id = ?", (now(), audit_id))

    def known_refs(self, key: str) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT t.ref, t.sha FROM ref_tips t JOIN repositories r ON r.id = t.repo_id WHERE r.key = ?", (key,)
        ).fetchall()
        return {ref: sha for ref, sha in rows}

    def head_paths(self, key: str) -> tuple[tuple[str, str], ...]:
        """(secret hash, path) of every key this repository had at HEAD when last scanned."""
        rows = self.conn.execute(
            "SELECT DISTINCT s.secret_hash, o.path FROM repo_secrets x JOIN repositories r ON r.id = x.repo_id"
            " JOIN secrets s ON s.id = x.secret_id"
            " JOIN occurrences o ON o.secret_id = x.secret_id AND o.repo_id = x.repo_id"
            " WHERE r.key = ? AND x.present_at_head = 1 ORDER BY 1, 2",
            (key,),
        ).fetchall()
        return tuple((h, p) for h, p in rows)

    def _repo_id(self, c: sqlite3.Connection, key: str, location: str, kind: str, git_dir: str | None) -> int:
        c.execute(
            "INSERT OR IGNORE INTO repositories(key, location, kind, first_seen_at) VALUES (?, ?, ?, ?)",
            (key, location, kind, now()),
        )
        if git_dir:
            c.execute("UPDATE repositories SET git_dir = ? WHERE key = ?", (git_dir, key))
        return int(c.execute("SELECT id FROM repositories WHERE key = ?", (key,)).fetchone()[0])

    # -- one repository's results, atomically --------------------------------------------------

    def record_outcome(self, audit_id: int | None, outcome: RepoOutcome, store_secrets: bool = False) -> int:
        """Write one repository's scan; ref tips move only with the findings they were computed at."""
        with self.transaction() as c:
            repo_id = self._repo_id(c, outcome.key, outcome.location, outcome.kind, outcome.git_dir)
            started = datetime.fromtimestamp(outcome.started_at, UTC).isoformat(timespec="seconds")
            cur = c.execute(
                "INSERT INTO scans(audit_id, repo_id, status, started_at, finished_at, duration_s, objects_scanned,"
                " bytes_scanned, findings, excluded_revs, refs, notes, error, worker)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    audit_id,
                    repo_id,
                    outcome.status,
                    started,
                    now(),
                    round(outcome.duration_s, 4),
                    outcome.objects_scanned,
                    outcome.bytes_scanned,
                    len(outcome.findings),
                    json.dumps(list(outcome.excluded_revs)),
                    json.dumps(outcome.refs, sort_keys=True),
                    json.dumps(outcome.notes),
                    outcome.error,
                    outcome.worker,
                ),
            )
            scan_id = int(cur.lastrowid or 0)
            if outcome.status == "error":
                return scan_id
            for finding in outcome.findings:
                self._record_finding(c, repo_id, scan_id, finding, store_secrets)
            fresh = {f.secret.hash for f in outcome.findings if f.history.present_at_head}
            for gone in sorted(set(outcome.gone_from_head) - fresh):
                c.execute(
                    "UPDATE repo_secrets SET present_at_head = 0, last_scan_id = ? WHERE repo_id = ?"
                    " AND secret_id IN (SELECT id FROM secrets WHERE secret_hash = ?)",
                    (scan_id, repo_id, gone),
                )
            c.execute("DELETE FROM ref_tips WHERE repo_id = ?", (repo_id,))
            c.executemany(
                "INSERT INTO ref_tips(repo_id, ref, sha, scan_id) VALUES (?, ?, ?, ?)",
                [(repo_id, ref, sha, scan_id) for ref, sha in sorted(outcome.refs.items())],
            )
            return scan_id

    def _record_finding(
        self, c: sqlite3.Connection, repo_id: int, scan_id: int, f: Finding, store_secrets: bool
    ) -> None:
        c.execute(
            "INSERT OR IGNORE INTO secrets(fingerprint, rule_id, secret_hash, redacted, description, severity,"
            " verifier, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f.fingerprint,
                f.rule.id,
                f.secret.hash,
                f.redacted,
                f.rule.description,
                f.rule.severity,
                f.rule.verifier,
                now(),
            ),
        )
        secret_id = int(c.execute("SELECT id FROM secrets WHERE fingerprint = ?", (f.fingerprint,)).fetchone()[0])
        if store_secrets:
            c.execute("UPDATE secrets SET secret = ? WHERE id = ?", (f.secret.reveal(), secret_id))
        c.execute(
            "INSERT OR IGNORE INTO triage(secret_id, state, who, at) VALUES (?, 'open', 'mindee-scan', ?)",
            (secret_id, now()),
        )
        row = c.execute(
            "SELECT date FROM repo_secrets WHERE secret_id = ? AND repo_id = ?", (secret_id, repo_id)
        ).fetchone()
        values = (
            f.history.commit or "",
            f.history.author,
            f.history.date,
            f.where.path,
            f.where.line,
            f.where.column,
            f.context.encoding,
            f.snippet(False),
            None if f.history.present_at_head is None else int(f.history.present_at_head),
            json.dumps(sorted(f.history.refs)),
        )
        if row is None:
            c.execute(
                "INSERT INTO repo_secrets(secret_id, repo_id, commit_sha, author, date, path, line, col, encoding,"
                " snippet, present_at_head, refs, first_scan_id, last_scan_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (secret_id, repo_id, *values, scan_id, scan_id),
            )
        else:
            # An incremental scan sees only new objects: keep the older introduction, refresh the rest.
            refs = json.dumps(sorted(f.history.refs))
            c.execute(
                "UPDATE repo_secrets SET present_at_head = ?, refs = ?, last_scan_id = ?"
                " WHERE secret_id = ? AND repo_id = ?",
                (values[8], refs, scan_id, secret_id, repo_id),
            )
        locations: list[tuple[str, str, int, int | None]] = [
            (f.history.commit or "", f.where.path, f.where.line, f.where.column)
        ]
        locations += [(o.commit or "", o.path, o.line, o.column) for o in f.history.occurrences]
        c.executemany(
            "INSERT OR IGNORE INTO occurrences(secret_id, repo_id, commit_sha, path, line, col, scan_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(secret_id, repo_id, commit, path, line, col, scan_id) for commit, path, line, col in locations],
        )
        if f.decisions.verification.verdict != "not-checked":
            self._record_verification(c, secret_id, f.decisions.verification, "audit")

    # -- verification and triage -----------------------------------------------------------------

    def record_verification(self, fingerprint: str, verification: Verification, context: str = "recheck") -> str:
        """Store a verdict; returns the previous verdict so callers can report transitions."""
        with self.transaction() as c:
            secret_id = self._secret_id(c, fingerprint)
            return self._record_verification(c, secret_id, verification, context)

    def _record_verification(self, c: sqlite3.Connection, secret_id: int, v: Verification, context: str) -> str:
        prev = c.execute(
            "SELECT verdict FROM verifications WHERE secret_id = ? ORDER BY id DESC LIMIT 1", (secret_id,)
        ).fetchone()
        previous = prev[0] if prev else "not-checked"
        at = v.checked_at or now()
        c.execute(
            "INSERT INTO verifications(secret_id, verdict, detail, status_code, model_count, models, checked_at,"
            " context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (secret_id, v.verdict, v.detail, v.status_code, v.model_count, json.dumps(list(v.models)), at, context),
        )
        # A key seen live, then unknown (a proxy's page, a timeout), then revoked by Mindee's 401 was deleted:
        # the transition is judged against the last verdict that said something about the key.
        known = c.execute(
            "SELECT verdict FROM verifications WHERE secret_id = ? AND verdict IN ('live', 'revoked')"
            " ORDER BY id DESC LIMIT 1 OFFSET 1",
            (secret_id,),
        ).fetchone()
        if v.verdict == "revoked" and known is not None and known[0] == "live":
            c.execute(
                "UPDATE secrets SET revoked_detected_at = ? WHERE id = ? AND revoked_detected_at IS NULL",
                (at, secret_id),
            )
            state = c.execute("SELECT state FROM triage WHERE secret_id = ?", (secret_id,)).fetchone()
            if state is None or state[0] == "open":
                self._set_triage(
                    c,
                    secret_id,
                    "revoked",
                    "Mindee answered 401 on re-check: key deleted",
                    "mindee-scan --verify",
                    at,
                )
        return str(previous)

    def triage(
        self, fingerprints: str | list[str], state: str, note: str, who: str, expires: str | None = None
    ) -> None:
        """Set the state of one or many secrets in one transaction (all or none).

        An accepted risk needs a note saying why and an expiry date (YYYY-MM-DD, not in the past): the day
        after it the secret counts as open again. Other states take no expiry."""
        check_triage(state, note, expires)
        at = now()
        with self.transaction() as c:
            for fingerprint in [fingerprints] if isinstance(fingerprints, str) else fingerprints:
                self._set_triage(c, self._secret_id(c, fingerprint), state, note, who, at, expires)

    @staticmethod
    def _set_triage(
        c: sqlite3.Connection, secret_id: int, state: str, note: str, who: str, at: str, expires: str | None = None
    ) -> None:
        c.execute(
            "INSERT INTO triage(secret_id, state, note, who, at, expires) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(secret_id) DO UPDATE SET state = excluded.state, note = excluded.note,"
            " who = excluded.who, at = excluded.at, expires = excluded.expires",
            (secret_id, state, note, who, at, expires),
        )
        c.execute(
            "INSERT INTO triage_history(secret_id, state, note, who, at, expires) VALUES (?, ?, ?, ?, ?, ?)",
            (secret_id, state, note, who, at, expires),
        )

    def resolve_fingerprint(self, prefix: str) -> str:
        """Accept a full fingerprint or an unambiguous prefix of it (or of the secret hash)."""
        rows = self.conn.execute(
            "SELECT fingerprint FROM secrets WHERE fingerprint = ? OR fingerprint LIKE ? ESCAPE '\\'"
            " OR secret_hash LIKE ? ESCAPE '\\'",
            (prefix, _like_prefix(prefix), _like_prefix(prefix)),
        ).fetchall()
        exact = [r[0] for r in rows if r[0] == prefix]
        if exact:
            return str(exact[0])
        if not rows:
            raise ScanError(f"no finding with fingerprint {prefix!r} in {self.path}")
        if len(rows) > 1:
            raise ScanError(f"fingerprint {prefix!r} is ambiguous ({len(rows)} findings): give more characters")
        return str(rows[0][0])

    def _secret_id(self, c: sqlite3.Connection, fingerprint: str) -> int:
        row = c.execute("SELECT id FROM secrets WHERE fingerprint = ?", (fingerprint,)).fetchone()
        if row is None:
            raise ScanError(f"no finding with fingerprint {fingerprint!r} in {self.path}")
        return int(row[0])

    # -- what the CLI reads back ----------------------------------------------------------------------

    def open_secrets_in(self, keys: list[str]) -> int:
        """Distinct secrets still open (untriaged, or an expired accepted risk) in these repositories."""
        if not keys:
            return 0
        marks = ",".join("?" * len(keys))
        row = self.conn.execute(
            "SELECT COUNT(DISTINCT x.secret_id) FROM repo_secrets x JOIN repositories r ON r.id = x.repo_id"
            f" LEFT JOIN triage t ON t.secret_id = x.secret_id WHERE r.key IN ({marks}) AND {OPEN_SQL}",
            keys,
        ).fetchone()
        return int(row[0])

    def repository_rows(self) -> list[tuple[Any, ...]]:
        """(key, last status, last scan end, objects scanned, error, open secrets) per repository, by key."""
        rows: list[tuple[Any, ...]] = self.conn.execute(
            "SELECT r.key, s.status, s.finished_at, s.objects_scanned, s.error,"
            " (SELECT COUNT(*) FROM repo_secrets x LEFT JOIN triage t ON t.secret_id = x.secret_id"
            f"  WHERE x.repo_id = r.id AND {OPEN_SQL})"
            " FROM repositories r JOIN scans s ON s.id = (SELECT MAX(id) FROM scans WHERE repo_id = r.id)"
            " ORDER BY r.key"
        ).fetchall()
        return rows

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.conn.execute(sql, params).fetchall()
        return rows

    def secret_rows(self) -> list[tuple[Any, ...]]:
        """Every secret with its current triage decision, by fingerprint."""
        return self._rows(
            "SELECT s.id, s.fingerprint, s.rule_id, s.secret_hash, s.redacted, s.description, s.severity, s.verifier,"
            " s.secret, s.revoked_detected_at, t.state, t.note, t.who, t.at, t.expires"
            " FROM secrets s LEFT JOIN triage t ON t.secret_id = s.id ORDER BY s.fingerprint"
        )

    def secret_places(self, secret_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Where a secret was introduced, per repository, oldest first (the first is the primary location),
        and every place it occurs: (repository, commit, path, line, column)."""
        located = self._rows(
            "SELECT r.key, x.commit_sha, x.author, x.date, x.path, x.line, x.col, x.encoding, x.snippet,"
            " x.present_at_head, x.refs FROM repo_secrets x JOIN repositories r ON r.id = x.repo_id"
            " WHERE x.secret_id = ? ORDER BY COALESCE(x.date, ''), r.key",
            (secret_id,),
        )
        occurs = self._rows(
            "SELECT r.key, o.commit_sha, o.path, o.line, o.col FROM occurrences o"
            " JOIN repositories r ON r.id = o.repo_id WHERE o.secret_id = ?"
            " ORDER BY r.key, o.path, o.line, o.commit_sha",
            (secret_id,),
        )
        return located, occurs

    def latest_verification_row(self, secret_id: int) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.conn.execute(
            "SELECT verdict, detail, checked_at, status_code, models, model_count FROM verifications"
            " WHERE secret_id = ? ORDER BY id DESC LIMIT 1",
            (secret_id,),
        ).fetchone()
        return row

    def history_rows(self, fingerprint: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """A secret's verifications and triage decisions, oldest first."""
        sid = self.conn.execute("SELECT id FROM secrets WHERE fingerprint = ?", (fingerprint,)).fetchone()[0]
        verifications = self._rows(
            "SELECT verdict, detail, status_code, checked_at, context FROM verifications WHERE secret_id = ?"
            " ORDER BY id",
            (sid,),
        )
        triage = self._rows(
            "SELECT state, note, who, at, expires FROM triage_history WHERE secret_id = ? ORDER BY id", (sid,)
        )
        return verifications, triage

    def latest_scans(self) -> list[tuple[Any, ...]]:
        """Each repository's last scan: (key, status, error, objects, bytes, finished_at), by key."""
        return self._rows(
            "SELECT r.key, s.status, s.error, s.objects_scanned, s.bytes_scanned, s.finished_at FROM scans s"
            " JOIN repositories r ON r.id = s.repo_id"
            " WHERE s.id = (SELECT MAX(id) FROM scans WHERE repo_id = s.repo_id) ORDER BY r.key"
        )

    def scan_totals(self) -> tuple[int, int]:
        """Objects and bytes read by every scan that did not fail."""
        objects, size = self.conn.execute(
            "SELECT COALESCE(SUM(objects_scanned), 0), COALESCE(SUM(bytes_scanned), 0) FROM scans"
            " WHERE status != 'error'"
        ).fetchone()
        return int(objects), int(size)

    def git_dirs(self) -> dict[str, str | None]:
        """Repository key -> where its objects live (the mirror cache for clone URLs)."""
        return dict(self.conn.execute("SELECT key, git_dir FROM repositories").fetchall())

    # -- a comparable picture of the whole store (tests, local pool vs Dask) --------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the audit recorded, without ids, timestamps or workers: equal stores, equal snapshots."""
        q = self.conn.execute
        return {
            "repositories": sorted(q("SELECT key, kind FROM repositories").fetchall()),
            "ref_tips": sorted(
                q("SELECT r.key, t.ref, t.sha FROM ref_tips t JOIN repositories r ON r.id = t.repo_id").fetchall()
            ),
            "secrets": sorted(q("SELECT fingerprint, rule_id, secret_hash, redacted, secret FROM secrets").fetchall()),
            "repo_secrets": sorted(
                q(
                    "SELECT s.fingerprint, r.key, x.commit_sha, x.author, x.date, x.path, x.line, x.col, x.snippet,"
                    " x.present_at_head, x.refs FROM repo_secrets x JOIN secrets s ON s.id = x.secret_id"
                    " JOIN repositories r ON r.id = x.repo_id"
                ).fetchall()
            ),
            "occurrences": sorted(
                q(
                    "SELECT s.fingerprint, r.key, o.commit_sha, o.path, o.line, o.col FROM occurrences o"
                    " JOIN secrets s ON s.id = o.secret_id JOIN repositories r ON r.id = o.repo_id"
                ).fetchall()
            ),
            "scans": sorted(
                q(
                    "SELECT r.key, s.status, s.findings, s.error IS NOT NULL FROM scans s"
                    " JOIN repositories r ON r.id = s.repo_id"
                ).fetchall()
            ),
            "triage": sorted(
                q("SELECT s.fingerprint, t.state FROM triage t JOIN secrets s ON s.id = t.secret_id").fetchall()
            ),
        }


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_existing(path: str) -> bool:
    """An existing `--db` must be a regular file holding an SQLite database, before anything touches it.

    True for an empty file exactly as `open` creates one (ours, 0600): a run killed before SQLite wrote."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ScanError(f"{path}: cannot use as a findings store: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ScanError(f"{path}: not a regular file, so not a findings store; choose another --db path")
    if st.st_size == 0 and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid():
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ScanError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head != _SQLITE_MAGIC:
        raise ScanError(
            f"{path}: exists and is not a mindee-scan findings store (left untouched); choose another --db path"
        )
    return False


def _check_schema(conn: sqlite3.Connection, path: str) -> None:
    """An SQLite file of some other program is not ours either: the store has a `meta` schema version."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        conn.close()
        raise ScanError(
            f"{path}: an SQLite database, but not a mindee-scan findings store (left untouched); "
            "choose another --db path"
        )


def _remove_quietly(path: str) -> None:
    for name in (path, path + "-wal", path + "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(name)


# SQL for "this secret counts as open": never triaged, open, or an accepted risk past its expiry.
OPEN_SQL = "(COALESCE(t.state, 'open') = 'open' OR (t.state = 'accepted-risk' AND t.expires < date('now')))"


def check_triage(state: str, note: str, expires: str | None) -> None:
    """The rules of a triage decision, checked before anything is written."""
    from datetime import date

    from scanner.errors import UsageError

    if state not in TRIAGE_STATES:
        raise UsageError(f"unknown triage state {state!r} (choose from {', '.join(TRIAGE_STATES)})")
    if state != "accepted-risk":
        if expires:
            raise UsageError("--expires applies to accepted-risk only")
        return
    if not note.strip():
        raise UsageError("accepted-risk needs --note saying why the risk is accepted (and by whose decision)")
    if not expires:
        raise UsageError("accepted-risk needs --expires YYYY-MM-DD: the day after it, the secret is open again")
    try:
        day = date.fromisoformat(expires)
    except ValueError:
        raise UsageError(f"--expires {expires!r} is not a date (YYYY-MM-DD)") from None
    if day.isoformat() != expires or day < date.today():
        raise UsageError("--expires must be a YYYY-MM-DD date, today or later")


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Stores written by earlier versions lack the triage expiry: add it (NULL: no expiry)."""
    for table in ("triage", "triage_history"):
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if "expires" not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN expires TEXT")


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
