"""The data that flows between stages: source -> detection -> findings -> report.

Sources, the detector, the verifier and the renderers never import each other; they meet here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.record import field, record, replace
from scanner.redact import find_spans, key_shape_spans, mask_encoded, mask_spans, redact

# A fixed domain separator: the hash identifies a secret across runs and machines without storing it.
_SECRET_HASH_PREFIX = b"mindee-scan/v1:"


def secret_hash(secret: str) -> str:
    """Stable, non-reversible identity of a secret (sha256 with a domain prefix)."""
    import hashlib  # loads OpenSSL: only when there is a finding to identify, not on every clean hook run

    return hashlib.sha256(_SECRET_HASH_PREFIX + secret.encode("utf-8", "surrogateescape")).hexdigest()


def fingerprint_of(rule_id: str, digest: str) -> str:
    """Line-free identity of a finding: rule + secret hash, so moves and rebases keep it."""
    return f"{rule_id}:{digest[:24]}"


def fingerprint_for(rule_id: str, secret: str) -> str:
    """The fingerprint of `secret` found by `rule_id` (hashes the clear text: for tests and one-off keys)."""
    return fingerprint_of(rule_id, secret_hash(secret))


class Secret:
    """A key's clear text and its identity, hashed once when the key is found.

    Equality and hashing go by the identity, so sorting, dedup, suppression and the store never hash the
    clear text again. `repr` and `str` never show it (a stray log line, print or traceback cannot leak a
    key); `reveal()` is the one way to the clear text, for `--show-secret`, the verifier and masking.
    A secret read back from the audit store may carry no text, only its hash and the redacted form kept.
    """

    __slots__ = ("_masked", "_text", "hash")

    def __init__(self, text: str, digest: str, masked: str | None = None) -> None:
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "hash", digest)
        object.__setattr__(self, "_masked", masked)

    _text: str
    hash: str
    _masked: str | None

    @classmethod
    def of(cls, text: str) -> Secret:
        """The secret `text`, hashed now (the only place a found key is hashed)."""
        return cls(text, secret_hash(text))

    @classmethod
    def stored(cls, digest: str, masked: str, text: str = "") -> Secret:
        """A secret known by its hash and the redacted form a store kept (and its text if it kept that)."""
        return cls(text, digest, masked)

    def reveal(self) -> str:
        """The clear key: only for `--show-secret`, the verifier, the store's opt-in copy and masking."""
        return self._text

    @property
    def known(self) -> bool:
        """Whether the clear text is held (a stored secret may have only its hash)."""
        return bool(self._text)

    @property
    def length(self) -> int:
        """Characters of the clear text (0 when only the hash is held)."""
        return len(self._text)

    def occurs_in(self, text: str) -> bool:
        """Whether the clear key appears in `text` (a snippet must never hold it); True when unknown."""
        return self._text in text

    def redacted(self, percent: int | None = None) -> str:
        """Enough to recognise the key, never enough to use it (`percent`: `--redact PCT`)."""
        return self._masked if self._masked is not None else redact(self._text, percent)

    def __eq__(self, other: object) -> bool:
        return self.hash == other.hash if isinstance(other, Secret) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return f"Secret(sha256:{self.hash[:12]}…)"

    def __str__(self) -> str:
        return self.redacted()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> tuple[type[Secret], tuple[str, str, str | None]]:
        # Pickled (to and from worker processes) with its hash: the parent never hashes it again.
        return (Secret, (self._text, self.hash, self._masked))


def clean_text(text: str) -> str:
    """File names that are not UTF-8 arrive with lone surrogates; make them U+FFFD so every format can encode them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


@record(frozen=True, slots=True)
class Match:
    """One secret found by one rule in one piece of text (offsets are into the scanned bytes)."""

    rule_id: str
    secret: str = field(repr=False)  # clear: the detector's own; a Finding holds it as a Secret
    start: int
    end: int
    line: int
    column: int
    # How the secret was reached when it was not in clear: e.g. "base64", "json-escape".
    encoding: str | None = None
    # How sure the rule is that this is a live credential of the rule's vendor: "high", "medium" or "low".
    confidence: str = "high"
    # Why a human should look twice (an unusual length, a context naming another vendor), shown in reports.
    note: str = ""
    # The other vendor the context names (e.g. "Macrodata"): such a key is never sent to Mindee.
    other_vendor: str | None = None


@record(frozen=True, slots=True)
class Occurrence:
    """Another place the same secret appears (git history, several files)."""

    path: str
    line: int
    commit: str | None = None
    column: int | None = None
    repo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"commit": self.commit, "path": self.path, "line": self.line}
        if self.column is not None:
            out["column"] = self.column
        if self.repo is not None:
            out["repo"] = self.repo
        return out


@record(frozen=True, slots=True)
class ModelInfo:
    """One model a live v2 key reaches (Mindee's search/models): what a security team needs to size a leak."""

    id: str
    name: str
    model_type: str = ""

    def label(self) -> str:
        kind = f"{self.model_type}, " if self.model_type else ""
        return f"{self.name or '(unnamed)'} ({kind}{self.id})" if self.id else self.name

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "model_type": self.model_type}


@record(frozen=True, slots=True)
class Verification:
    """What Mindee said about a key: live, revoked, unknown or not-checked."""

    verdict: str = "not-checked"
    detail: str = ""
    checked_at: str | None = None
    status_code: int | None = None
    models: tuple[str, ...] = ()  # model names (kept for the store and older readers)
    model_count: int | None = None  # Mindee's pagination.total_items
    model_details: tuple[ModelInfo, ...] = ()  # name, model_type and id of each model read (bounded)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict, "detail": self.detail}
        if self.checked_at:
            out["checked_at"] = self.checked_at
        if self.status_code is not None:
            out["status_code"] = self.status_code
        if self.model_count is not None:
            out["model_count"] = self.model_count
            out["models"] = list(self.models)
            if self.model_details:
                out["model_details"] = [m.to_dict() for m in self.model_details]
        return out


# Every triage state, once: the store checks against it and the CLI offers it.
TRIAGE_STATES = ("open", "revoked", "false-positive", "accepted-risk")


@record(frozen=True, slots=True)
class Triage:
    """A human decision about a secret (audit store): open, revoked, false-positive or accepted-risk."""

    state: str = "open"
    note: str = ""
    who: str = ""
    at: str = ""
    expires: str | None = None  # YYYY-MM-DD; an accepted risk is open again the day after

    def effective_state(self, today: str | None = None) -> str:
        """The state that counts today: an accepted risk past its expiry is open again."""
        if self.state == "accepted-risk" and self.expires:
            from datetime import date

            if (today or date.today().isoformat()) > self.expires:
                return "open"
        return self.state

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "note": self.note, "who": self.who, "at": self.at}
        if self.expires:
            out["expires"] = self.expires
            out["effective_state"] = self.effective_state()
        return out


@record(frozen=True, slots=True)
class Location:
    """Where a finding is: file, 1-based line and column, and the repository when an audit spans several."""

    path: str
    line: int
    column: int
    repo: str | None = None


@record(frozen=True, slots=True)
class Judgement:
    """What the rule says about the key it found: which rule, how grave, how sure, and who may check it.

    Findings of one rule with the same confidence and note share one (the builder keeps them)."""

    id: str
    description: str
    severity: str
    verifier: str | None = None  # None when `other_vendor` is set: never sent to Mindee
    confidence: str = "high"  # see Match.confidence
    note: str = ""
    other_vendor: str | None = None  # set when the context says another vendor issued the key

    @property
    def is_mindee(self) -> bool:
        return self.id.startswith("mindee-")

    @property
    def may_verify(self) -> bool:
        """Only a key the detector believes is Mindee's may ever be sent to Mindee."""
        return bool(self.verifier) and self.other_vendor is None


@record(frozen=True, slots=True)
class LineContext:
    """The text around the key, used only to print a redacted snippet (it holds keys: never shown by repr)."""

    text: str = field(default="", repr=False)  # the source line, cut to a window on long lines
    others: tuple[str, ...] = field(default=(), repr=False)  # other keys in `text`: snippets mask them too
    # (start, end, encoding or "") in characters of `text`: where each secret the detector found in that
    # text sits (for a decoded key, its encoded value). Snippets mask by these spans.
    spans: tuple[tuple[int, int, str], ...] = field(default=(), repr=False)
    encoding: str | None = None  # how the key was reached when not in clear: "base64", "json-escape", ...


@record(frozen=True, slots=True)
class Provenance:
    """Where in a repository's history the key is: the commit that brought it, every other place, the refs
    that still reach it; or that it is staged, in no commit yet. Empty for a directory scan."""

    commit: str | None = None
    author: str | None = None
    date: str | None = None
    occurrences: tuple[Occurrence, ...] = ()
    present_at_head: bool | None = None
    refs: tuple[str, ...] = ()
    staged: bool = False  # on a line the next commit adds (staged scan): not in any commit yet


@record(frozen=True, slots=True)
class Decisions:
    """What was decided after detection: Mindee's verdict, a suppression, a human's triage."""

    verification: Verification = field(default_factory=Verification)
    suppressed_by: str | None = None
    triage: Triage | None = None  # set for findings read from an audit store

    @property
    def triaged(self) -> str | None:
        """The triage state that takes the finding out of the urgent list (revoked, false-positive, an
        unexpired accepted-risk), or None while it is open or was never triaged."""
        if self.triage is None:
            return None
        state = self.triage.effective_state()
        return None if state == "open" else state


# Shared by every finding that has no history and no decision yet (frozen: nothing can change them).
NO_CONTEXT = LineContext()
NO_HISTORY = Provenance()
UNDECIDED = Decisions()


@record(frozen=True, slots=True)
class Finding:
    """A located secret ready for triage and reporting, in parts of one meaning each.

    Its identity, `fingerprint` (rule + secret hash), is formatted from the hash the secret carries: a
    finding read back from a store or a worker never hashes its key again."""

    rule: Judgement
    where: Location
    secret: Secret
    context: LineContext = NO_CONTEXT
    history: Provenance = NO_HISTORY
    decisions: Decisions = UNDECIDED
    redact_percent: int | None = None  # `--redact PCT`: how much of the key output hides (None: prefix + tail)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.rule.id, self.secret.hash)

    def __hash__(self) -> int:
        # Equal findings share identity and place (fields __eq__ compares), so hashing those alone is
        # sound; it skips the nested parts, which made dedup of history findings 3x slower.
        where = self.where
        return hash((self.fingerprint, where.path, where.line, where.column))

    @property
    def may_verify(self) -> bool:
        """Only a key the detector believes is Mindee's may ever be sent to Mindee."""
        return self.rule.may_verify

    @property
    def redacted(self) -> str:
        return self.secret.redacted(self.redact_percent)

    @property
    def triaged(self) -> str | None:
        return self.decisions.triaged

    def with_changes(
        self,
        *,
        rule: Judgement | None = None,
        where: Location | None = None,
        secret: Secret | None = None,
        context: LineContext | None = None,
        history: Provenance | None = None,
        decisions: Decisions | None = None,
    ) -> Finding:
        """A copy with whole parts replaced (a new rule id or secret changes the fingerprint with it)."""
        changes: dict[str, Any] = {
            name: part
            for name, part in (
                ("rule", rule),
                ("where", where),
                ("secret", secret),
                ("context", context),
                ("history", history),
                ("decisions", decisions),
            )
            if part is not None
        }
        return replace(self, **changes)

    def redacting(self, percent: int | None) -> Finding:
        """The finding as `--redact PCT` prints it."""
        return replace(self, redact_percent=percent)

    def snippet(self, show_secret: bool = False, width: int = 160, known: Iterable[tuple[int, int, str]] = ()) -> str:
        """The line around the secret, with it and every other secret on the line redacted unless asked.

        `known`: more spans to mask (secrets a report found elsewhere at the same path).
        """
        context = self.context
        text = context.text
        if not show_secret and text:
            spans = [*context.spans, *known]
            for secret in {self.secret.reveal(), *context.others}:
                spans.extend(find_spans(text, secret))
            text = mask_spans(text, [*spans, *key_shape_spans(text)], self.redact_percent)
            text = mask_encoded(text, context.encoding)
        text = text.strip()
        return text if len(text) <= width else text[: width - 1] + "…"

    def to_dict(self, show_secret: bool = False, snippet: str | None = None) -> dict[str, Any]:
        """`snippet`: the text a report already redacted (see redact.SnippetRedactor), else `self.snippet`."""
        rule, where, history = self.rule, self.where, self.history
        out: dict[str, Any] = {
            "rule_id": rule.id,
            "description": rule.description,
            "severity": rule.severity,
            "path": where.path,
            "line": where.line,
            "column": where.column,
            "secret": self.secret.reveal() if show_secret else self.redacted,
            "redacted": self.redacted,
            "fingerprint": self.fingerprint,
            "secret_hash": self.secret.hash,
            "snippet": self.snippet(show_secret) if snippet is None else snippet,
        }
        if self.context.encoding:
            out["encoding"] = self.context.encoding
        if rule.confidence != "high":
            out["confidence"] = rule.confidence
        if rule.note:
            out["note"] = rule.note
        if rule.other_vendor:
            out["other_vendor"] = rule.other_vendor
        if where.repo is not None:
            out["repo"] = where.repo
        if history.commit is not None or history.occurrences:
            out.update(
                {
                    "commit": history.commit,
                    "author": history.author,
                    "date": history.date,
                    "occurrences": [o.to_dict() for o in history.occurrences],
                    "present_at_head": history.present_at_head,
                    "refs": list(history.refs),
                }
            )
        out["verification"] = self.decisions.verification.to_dict()
        return out


@record(frozen=True, slots=True)
class HistoryStats:
    """What a history scan read: the refs it started from and the objects it scanned."""

    refs: dict[str, str] = field(default_factory=dict)
    objects_scanned: int = 0  # blobs and commits; tag messages are counted in tags_scanned
    blobs_scanned: int = 0
    commits_scanned: int = 0
    tags_scanned: int = 0
    shallow: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "refs": dict(sorted(self.refs.items())),
            "objects_scanned": self.objects_scanned,
            "blobs_scanned": self.blobs_scanned,
            "commits_scanned": self.commits_scanned,
            "tags_scanned": self.tags_scanned,
            "shallow": self.shallow,
        }


@record(frozen=True, slots=True)
class StoreStats:
    """A report read from an audit store: how many repositories it holds and when the last was scanned."""

    repositories: int = 0
    repositories_ok: int = 0
    last_scan_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "repositories_ok": self.repositories_ok,
            "last_scan_at": self.last_scan_at,
        }


@record(frozen=True, slots=True)
class RepositoryEffect:
    """One thing a file of the scanned repository did to the scan: which file, which setting, its value,
    and the sentence the report prints."""

    file: str | None
    setting: str
    value: object
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "setting": self.setting, "value": self.value, "text": self.text}


@record(frozen=True, slots=True)
class RepositoryConfigStats:
    """What the scanned repository's own files did to the scan (scanner.trust): one effect per setting."""

    root: str
    files: tuple[str, ...] = ()
    effects: tuple[RepositoryEffect, ...] = ()
    allowlisted_paths_skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": list(self.files),
            "effects": [e.to_dict() for e in self.effects],
            "allowlisted_paths_skipped": self.allowlisted_paths_skipped,
        }


@record(frozen=True, slots=True)
class VerificationStats:
    """What `--verify` asked Mindee: distinct keys, requests sent, where, and the verdicts per key."""

    keys_checked: int = 0
    requests: int = 0
    v2_url: str = ""
    v1_url: str = ""
    verdicts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys_checked": self.keys_checked,
            "requests": self.requests,
            "v2_url": self.v2_url,
            "v1_url": self.v1_url,
            "verdicts": dict(self.verdicts),
        }


@record(slots=True)
class ScanStats:
    """What was looked at and what was not, so an error never reads as a clean result.

    Beyond the counts every scan has, each field below is set only by the scans it concerns and
    appears in JSON only when set."""

    files_scanned: int = 0
    bytes_scanned: int = 0
    binary_files: int = 0
    decoded_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    findings_over_cap: int = 0  # findings a capped stream did not keep (each said in a note)
    files_staged: int | None = None  # staged scans
    engine: str | None = None  # the prefilter that ran ("hyperscan" or "python")
    jobs: int | None = None  # processes that scanned (dir and history scans)
    history: HistoryStats | None = None
    store: StoreStats | None = None
    repository_config: RepositoryConfigStats | None = None
    verification: VerificationStats | None = None

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((clean_text(path), reason))

    def merge(self, other: ScanStats) -> None:
        """Add `other`'s counts; a field only `other` has set is taken from it."""
        self.files_scanned += other.files_scanned
        self.bytes_scanned += other.bytes_scanned
        self.binary_files += other.binary_files
        self.decoded_files += other.decoded_files
        self.skipped.extend(other.skipped)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.findings_over_cap += other.findings_over_cap
        if other.files_staged is not None:
            self.files_staged = (self.files_staged or 0) + other.files_staged
        if other.jobs is not None:
            self.jobs = (self.jobs or 0) + other.jobs
        self.engine = self.engine if self.engine is not None else other.engine
        self.history = self.history if self.history is not None else other.history
        self.store = self.store if self.store is not None else other.store
        if self.repository_config is None:
            self.repository_config = other.repository_config
        self.verification = self.verification if self.verification is not None else other.verification

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, reason in self.skipped:
            key = reason.split(":", 1)[0]
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned,
            "binary_files": self.binary_files,
            "decoded_files": self.decoded_files,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "skipped_count": len(self.skipped),
            "skipped_by_reason": self.skipped_by_reason(),
            "errors": list(self.errors),
            "notes": list(self.notes),
            "duration_s": round(self.duration_s, 4),
        }
        # Set only by the scans they concern: absent from the others' JSON.
        only_when_set = {
            "findings_over_cap": self.findings_over_cap or None,
            "files_staged": self.files_staged,
            "engine": self.engine,
            "jobs": self.jobs,
        }
        out.update((name, value) for name, value in only_when_set.items() if value is not None)
        if self.history is not None:
            out.update(self.history.to_dict())
        if self.store is not None:
            out.update(self.store.to_dict())
        if self.repository_config is not None:
            out["repository_config"] = self.repository_config.to_dict()
        if self.verification is not None:
            out["verification"] = self.verification.to_dict()
        return out


def _report_order(f: Finding) -> tuple[bool, str, str, int, int, str]:
    where = f.where
    return (not f.rule.is_mindee, where.repo or "", where.path, where.line, where.column, f.rule.id)


@record(slots=True)
class ScanResult:
    """Findings of one scan plus the stats; `suppressed` keeps what filters removed, for audits."""

    findings: list[Finding]
    stats: ScanStats
    target: str = ""
    source: str = "dir"
    suppressed: list[Finding] = field(default_factory=list)

    def sort(self) -> None:
        self.findings.sort(key=_report_order)

    @property
    def failed(self) -> bool:
        """True when the scan could not look at what it was asked to (never report that as clean).

        Any error counts (a damaged repository, a named file that could not be scanned), however much
        else was scanned: partial coverage must not read as a clean result."""
        if self.stats.errors:
            return True
        if self.stats.files_scanned:
            return False
        # Every file was unreadable (permissions, I/O errors): that is not a clean result either.
        return any(r.startswith("unreadable") for _, r in self.stats.skipped)

    @property
    def exit_code(self) -> int:
        """2 when something could not be scanned (never 0 then, nor 1: findings of a partial scan are
        printed but are not the whole answer), 1 with findings, 0 clean."""
        from scanner.errors import ExitCode

        if self.failed:
            return int(ExitCode.ERROR)
        return int(ExitCode.FINDINGS if self.findings else ExitCode.CLEAN)
