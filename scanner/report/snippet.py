"""Redacted source lines for reports: every known secret on the line is masked, not only the finding's own.

`Finding.snippet` masks its own secret and the others the detector found on the same line. A report also
knows secrets found elsewhere at the same path (other blobs of a history, suppressed findings), which a
line may still hold; renderers that print lines go through `SnippetRedactor` to mask those too.
"""

from __future__ import annotations

from scanner.model import Finding, ScanResult, mask_encoded, redact


class SnippetRedactor:
    """Knows every secret of a result, indexed by the paths where it was found."""

    def __init__(self, result: ScanResult) -> None:
        by_path: dict[str, set[str]] = {}
        for f in (*result.findings, *result.suppressed):
            for path in (f.path, *(o.path for o in f.occurrences)):
                by_path.setdefault(path, set()).add(f.secret)
        # Longest first, so a secret that contains another is masked whole.
        self._by_path = {p: sorted(s, key=len, reverse=True) for p, s in by_path.items()}

    def snippet(self, f: Finding, show_secrets: bool = False, width: int = 160) -> str:
        text = f.line_text
        if not show_secrets:
            secrets = self._by_path.get(f.path, [])
            extra = {f.secret, *f.line_secrets} - set(secrets)
            if extra:
                secrets = sorted([*secrets, *extra], key=len, reverse=True)
            for secret in secrets:
                if secret and secret in text:
                    text = text.replace(secret, redact(secret, f.redact_percent))
            text = mask_encoded(text, f.encoding)
        text = text.strip()
        return text if len(text) <= width else text[: width - 1] + "…"
