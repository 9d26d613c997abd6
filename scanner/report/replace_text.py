"""`--remediation-file`: a `git filter-repo --replace-text` file that blanks every key found.

One `<secret>==>REMOVED-MINDEE-KEY` line per distinct key (other credentials: `==>REMOVED-SECRET`).
The file holds keys in full, so it is written 0600; rewriting history never replaces revocation.
"""

from __future__ import annotations

import os
import stat

from scanner.errors import ScanError
from scanner.model import ScanResult
from scanner.report.remediation import REPLACE_TEXT_WARNING

MINDEE_REPLACEMENT = "REMOVED-MINDEE-KEY"
OTHER_REPLACEMENT = "REMOVED-SECRET"
# filter-repo reads these prefixes as pattern kinds; a secret starting with one must be marked literal.
_PATTERN_PREFIXES = ("regex:", "glob:", "literal:")


def replace_text_lines(result: ScanResult) -> tuple[list[str], list[str]]:
    """(lines, skipped redacted secrets): multi-line secrets (PEM keys) cannot be expressed in this format."""
    lines: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for f in sorted(result.findings, key=lambda f: (not f.is_mindee, f.path, f.line)):
        secret = f.secret
        if not secret or secret in seen:
            continue
        seen.add(secret)
        if "\n" in secret or "\r" in secret or "==>" in secret:
            skipped.append(f.redacted)
            continue
        if secret.startswith(_PATTERN_PREFIXES):
            secret = "literal:" + secret
        lines.append(f"{secret}==>{MINDEE_REPLACEMENT if f.is_mindee else OTHER_REPLACEMENT}")
    return lines, skipped


def write_replace_text(result: ScanResult, path: str) -> str:
    """Write the file (0600) and return the warning the CLI must print with it."""
    lines, skipped = replace_text_lines(result)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # An existing report is made private too; `--output /dev/null` (or a FIFO) is left alone:
            # chmod 0600 on /dev/null as root breaks the machine for every other user.
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, 0o600)
            fh.write("".join(line + "\n" for line in lines))
    except OSError as exc:
        raise ScanError(f"cannot write {path}: {exc.strerror or exc}") from None
    message = [
        f"wrote {len(lines)} replacement(s) to {path} (mode 0600) for: git filter-repo --replace-text {path}",
        f"WARNING: {REPLACE_TEXT_WARNING}",
    ]
    if skipped:
        message.append(f"not included (multi-line secrets, rotate them): {', '.join(skipped)}")
    return "\n".join(message)
