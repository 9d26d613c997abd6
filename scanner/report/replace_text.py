"""`--remediation-file`: a `git filter-repo --replace-text` file that blanks every key found.

One `<secret>==>REMOVED-MINDEE-KEY` line per distinct key (other credentials: `==>REMOVED-SECRET`); a key
found inside a base64 value also gets lines for its encoded forms (see `base64_cores`).
The file holds keys in full, so it is written 0600; rewriting history never replaces revocation.
"""

from __future__ import annotations

from scanner.model import ScanResult
from scanner.report.remediation import REPLACE_TEXT_WARNING
from scanner.report.writer import write_private

MINDEE_REPLACEMENT = "REMOVED-MINDEE-KEY"
OTHER_REPLACEMENT = "REMOVED-SECRET"
# filter-repo reads these prefixes as pattern kinds; a secret starting with one must be marked literal.
_PATTERN_PREFIXES = ("regex:", "glob:", "literal:")


def replace_text_lines(result: ScanResult) -> tuple[list[str], list[str]]:
    """(lines, skipped redacted secrets): multi-line secrets (PEM keys) cannot be expressed in this format."""
    lines: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for f in sorted(result.findings, key=lambda f: (not f.rule.is_mindee, f.where.path, f.where.line)):
        secret = f.secret.reveal()  # the file's whole purpose: the keys to blank, in full
        if not secret or secret in seen:
            continue
        seen.add(secret)
        if "\n" in secret or "\r" in secret or "==>" in secret:
            skipped.append(f.redacted)
            continue
        replacement = MINDEE_REPLACEMENT if f.rule.is_mindee else OTHER_REPLACEMENT
        forms = [secret]
        if f.context.encoding == "base64":
            # Found inside a base64 value: the history holds the encoded form, which the plain key never matches.
            forms.extend(form for form in base64_cores(secret) if form not in forms)
        for form in forms:
            if form.startswith(_PATTERN_PREFIXES):
                form = "literal:" + form
            lines.append(f"{form}==>{replacement}")
    return lines, skipped


def base64_cores(secret: str) -> list[str]:
    """The text every base64 encoding of a value holding `secret` contains, for each of the three byte
    alignments the secret can sit at (standard and URL-safe alphabets): the groups made of the secret's
    bytes only. Replacing any one of them breaks the encoded key."""
    import base64

    data = secret.encode("utf-8", "surrogateescape")
    out: list[str] = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data)
        first = -(-offset // 3)  # the first 3-byte group holding no padding byte
        last = (offset + len(data)) // 3  # the groups before it are whole
        if last - first < 2:
            continue  # too short to be specific
        core = encoded[4 * first : 4 * last].decode("ascii")
        for form in (core, core.replace("+", "-").replace("/", "_")):
            if form not in out:
                out.append(form)
    return out


def write_replace_text(result: ScanResult, path: str) -> str:
    """Write the file (0600) and return the warning the CLI must print with it."""
    lines, skipped = replace_text_lines(result)
    write_private(path, "".join(line + "\n" for line in lines))
    message = [
        f"wrote {len(lines)} replacement(s) to {path} (mode 0600) for: git filter-repo --replace-text {path}",
        f"WARNING: {REPLACE_TEXT_WARNING}",
    ]
    if skipped:
        message.append(f"not included (multi-line secrets, rotate them): {', '.join(skipped)}")
    return "\n".join(message)
