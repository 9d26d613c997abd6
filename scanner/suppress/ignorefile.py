"""`.mindee-scan-ignore`: fingerprints a team decided to ignore, each with a reason, owner and expiry.

One entry per line, then `key=value` fields (shell quoting), `#` starts a comment:

    mindee-api-key:0befacc5946f025702a50bed reason="revoked 2024-05, kept in a test" owner=alice expires=2026-06-30

An expired entry stops suppressing (the finding is reported again) and the scan says so in a note.
gitleaks `.gitleaksignore` files are read too; their fingerprints carry a line number and gitleaks'
rule names, so they match by location only (see `GitleaksEntry`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from scanner.errors import ConfigError
from scanner.lazyre import lazy_compile
from scanner.model import Finding, Occurrence
from scanner.record import record

if TYPE_CHECKING:
    from datetime import date

IGNORE_NAME = ".mindee-scan-ignore"
GITLEAKS_NAME = ".gitleaksignore"
_FIELDS = {"reason", "owner", "expires"}
_FINGERPRINT = lazy_compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):([0-9a-f]{24}|[0-9a-f]{64})$")
_SHA = lazy_compile(r"^[0-9a-f]{7,64}$")


@record(frozen=True, slots=True)
class IgnoreEntry:
    fingerprint: str  # rule:hash24, or rule:full sha256
    reason: str
    where: str  # file:line, for messages
    owner: str | None = None
    expires: date | None = None

    def matches(self, finding: Finding) -> bool:
        rule, _, digest = self.fingerprint.partition(":")
        return finding.rule.id == rule and finding.secret.hash.startswith(digest)

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def label(self) -> str:
        owner = f", owner {self.owner}" if self.owner else ""
        until = f", until {self.expires.isoformat()}" if self.expires else ""
        return f"ignore {self.where}: {self.reason}{owner}{until}"


@record(frozen=True, slots=True)
class GitleaksEntry:
    """A `.gitleaksignore` line: `[commit:]path:gitleaks-rule:line`.

    gitleaks names rules its own way (a Mindee key is `generic-api-key` there), so the rule part is
    not compared: the entry suppresses what we find at that path and line (in that commit, if given).
    Like in gitleaks, moving the line breaks the entry.
    """

    commit: str | None
    path: str
    rule: str
    line: int
    where: str

    def matches(self, finding: Finding) -> bool:
        """True when the entry names any place of the finding (suppression removes only that place)."""
        return any(self.matches_at(finding, place) for place in locations(finding))

    def matches_at(self, finding: Finding, place: Occurrence) -> bool:
        if place.path != self.path or place.line != self.line:
            return False
        return self.commit is None or (place.commit is not None and place.commit.startswith(self.commit))

    def label(self) -> str:
        return f"gitleaks-ignore {self.where}"


def locations(finding: Finding) -> tuple[Occurrence, ...]:
    """Every place of a finding: its occurrences (the first is its own place), or just its own place."""
    own = Occurrence(
        path=finding.where.path, line=finding.where.line, commit=finding.history.commit, column=finding.where.column
    )
    if any((o.path, o.line, o.commit) == (own.path, own.line, own.commit) for o in finding.history.occurrences):
        return finding.history.occurrences
    return (own, *finding.history.occurrences)


def root_ignore_files(root: str) -> list[str]:
    """The ignore files read at the scan root without being named: ours, and gitleaks' (as gitleaks does)."""
    return [p for p in (os.path.join(root, IGNORE_NAME), os.path.join(root, GITLEAKS_NAME)) if os.path.lexists(p)]


def _read_lines(path: str, repo_root: str | None) -> list[str]:
    """Through the trust module: a repository's own ignore file must be a regular file inside it."""
    from scanner.trust import read_repo_file, read_trusted_file

    if repo_root is not None:
        return read_repo_file(path, repo_root, "ignore file").splitlines()
    return read_trusted_file(path, "ignore file").splitlines()


def parse_ignore(text_lines: list[str], path: str) -> list[IgnoreEntry]:
    # Imported here: every hook run imports this module, few repositories have an ignore file.
    import shlex
    from datetime import date

    entries: list[IgnoreEntry] = []
    for n, raw in enumerate(text_lines, 1):
        where = f"{path}:{n}"
        try:
            tokens = shlex.split(raw, comments=True)
        except ValueError as exc:
            # shlex's words ("No closing quotation") never quote the line
            raise ConfigError(f"{where}: {exc}") from None
        if not tokens:
            continue
        fp = tokens[0]
        if not _FINGERPRINT.match(fp):
            raise ConfigError(
                f"{where}: the first word is not a fingerprint (expected RULE:HASH as printed in the JSON, SARIF, "
                "CSV or HTML report, e.g. mindee-api-key:0befacc5946f025702a50bed)"
            )
        fields: dict[str, str] = {}
        for token in tokens[1:]:
            key, sep, value = token.partition("=")
            if not sep or key not in _FIELDS:
                raise ConfigError(f"{where}: unknown field (allowed: reason=, owner=, expires=)")
            fields[key] = value
        if not fields.get("reason", "").strip():
            raise ConfigError(f'{where}: the entry needs a reason, e.g. reason="test fixture, key revoked"')
        expires = None
        if "expires" in fields:
            try:
                expires = date.fromisoformat(fields["expires"])
            except ValueError:
                raise ConfigError(f"{where}: expires= is not a date (YYYY-MM-DD)") from None
        entries.append(IgnoreEntry(fp, fields["reason"].strip(), where, fields.get("owner") or None, expires))
    return entries


def parse_gitleaks(text_lines: list[str], path: str) -> list[GitleaksEntry]:
    entries: list[GitleaksEntry] = []
    for n, raw in enumerate(text_lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{n}"
        parts = line.rsplit(":", 2)
        if len(parts) != 3 or not parts[2].isdigit():
            raise ConfigError(f"{where}: not a gitleaks fingerprint ([commit:]file:rule:line)")
        prefix, rule, line_no = parts
        commit: str | None = None
        head, sep, rest = prefix.partition(":")
        if sep and _SHA.match(head):
            commit, prefix = head, rest
        entries.append(GitleaksEntry(commit, prefix, rule, int(line_no), where))
    return entries


def is_gitleaks_file(path: str) -> bool:
    return os.path.basename(path).endswith(".gitleaksignore")


def load_ignore(path: str, repo_root: str | None = None) -> list[IgnoreEntry] | list[GitleaksEntry]:
    """`repo_root`: the file is read on that repository's say-so (see scanner.trust); None: the user named it."""
    lines = _read_lines(path, repo_root)
    if is_gitleaks_file(path):
        return parse_gitleaks(lines, path)
    return parse_ignore(lines, path)
