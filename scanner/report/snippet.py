"""Redacted source lines for reports: every known secret on the line is masked, not only the finding's own.

`Finding.snippet` masks the spans of every secret the detector found in its text (its own, the others on
the line, encoded values) and anything shaped like a key. A report also knows secrets found elsewhere at
the same path (other blobs of a history, suppressed findings), which a line may still hold; renderers
that print lines go through `SnippetRedactor` to mask those too.

Linear in the findings: each snippet is a bounded text, and the secrets it may hold are looked up by the
text's own substrings in an index of the path's secrets (comparing every snippet with every secret of
its path was quadratic: 8,000 keys in one file took 4 s to render as JSON, 30,000 over a minute).
"""

from __future__ import annotations

from scanner.model import Finding, ScanResult, find_spans

_PREFIX = 6  # secrets are indexed by their first characters; shorter ones by their whole text


class SnippetRedactor:
    """Knows every secret of a result, indexed by the paths where it was found."""

    def __init__(self, result: ScanResult) -> None:
        self._by_path: dict[str, dict[str, set[str]]] = {}
        self._short: dict[str, set[str]] = {}
        for f in (*result.findings, *result.suppressed):
            if not f.secret:
                continue
            for path in {f.path, *(o.path for o in f.occurrences)}:
                if len(f.secret) < _PREFIX:
                    self._short.setdefault(path, set()).add(f.secret)
                else:
                    self._by_path.setdefault(path, {}).setdefault(f.secret[:_PREFIX], set()).add(f.secret)

    def known_spans(self, f: Finding) -> list[tuple[int, int, str]]:
        """Where secrets found at the finding's path sit in its text (clear spans)."""
        text = f.line_text
        index = self._by_path.get(f.path)
        spans: list[tuple[int, int, str]] = []
        if index:
            # Few prefixes: a C-speed find of each. Many: the text's own prefixes (at most its length)
            # intersected with the index. Either way bounded by the snippet's size, not the path's keys.
            if len(index) <= 32:
                heads = {head for head in index if head in text}
            else:
                heads = {text[i : i + _PREFIX] for i in range(len(text) - _PREFIX + 1)} & index.keys()
            for head in heads:
                for secret in index[head]:
                    spans.extend(find_spans(text, secret))
        for secret in self._short.get(f.path, ()):
            spans.extend(find_spans(text, secret))
        return spans

    def snippet(self, f: Finding, show_secrets: bool = False, width: int = 160) -> str:
        if show_secrets:
            return f.snippet(True, width)
        return f.snippet(False, width, known=self.known_spans(f))
