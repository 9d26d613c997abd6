"""The one redactor: how a key is shown (prefix and tail, or `--redact PCT`), and every masking of keys in
text that leaves the scanner: snippets, report lines, error messages.

`Finding.snippet` masks the spans of every secret the detector found in its text (its own, the others on
the line, encoded values) and anything shaped like a key (`key_shape_spans`). A report also knows secrets
found elsewhere at the same path (other blobs of a history, suppressed findings), which a line may still
hold; renderers that print lines go through `SnippetRedactor` to mask those too. Free text where no
finding says where a key sits (error messages) goes through `mask_keys`.

Linear in the findings: each snippet is a bounded text, and the secrets it may hold are looked up by the
text's own substrings in an index of the path's secrets (comparing every snippet with every secret of
its path was quadratic: 8,000 keys in one file took 4 s to render as JSON, 30,000 over a minute).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scanner.detect.shapes import KEY_LIKE
from scanner.lazyre import lazy_compile

if TYPE_CHECKING:
    from scanner.model import Finding, ScanResult


_ENCODED_RUN = lazy_compile(r"[A-Za-z0-9+/_\-]{16,}={0,2}")


def mask_encoded(text: str, encoding: str | None) -> str:
    """A key found inside a base64 value is as usable encoded: mask every such value on the line."""
    if not encoding:
        return text
    return _ENCODED_RUN.sub(f"<{encoding} value redacted>", text)


def mask_keys(text: str) -> str:
    """Redact anything shaped like a Mindee key in free text (error messages), where no finding says where."""
    return KEY_LIKE.sub(lambda m: redact(m.group(0)), text)


def redact(secret: str, percent: int | None = None) -> str:
    """Show enough to recognise a key (prefix and tail), never enough to use it.

    `percent` (`--redact PCT`, as gitleaks spells it) hides that share of the key instead, from its end.
    """
    if percent is not None:
        shown = len(secret) * (100 - percent) // 100
        return secret[:shown] + "…" if shown < len(secret) else secret
    if len(secret) <= 8:
        return "*" * len(secret)
    head = 7 if secret.startswith("md_") else 4
    if len(secret) < 20:
        head = min(head, 3)
    return f"{secret[:head]}…{secret[-3:]}"


def find_spans(text: str, secret: str) -> Iterator[tuple[int, int, str]]:
    """Every place `secret` appears in `text`, as clear spans."""
    if not secret:
        return
    at = text.find(secret)
    while at >= 0:
        yield (at, at + len(secret), "")
        at = text.find(secret, at + 1)


_B64_SHAPE = lazy_compile(r"[A-Za-z0-9+/_\-]{20,}")


def key_shape_spans(text: str) -> list[tuple[int, int, str]]:
    """Spans of key-shaped text in clear and of base64 values that decode to one: the snippet's safety net
    for secrets the detector did not report (a legacy key beside an `md_` key, a key encoded next to one)."""
    import binascii

    spans = [(m.start(), m.end(), "") for m in KEY_LIKE.finditer(text)]
    clear = {start for start, _, _ in spans}
    for m in _B64_SHAPE.finditer(text):
        run = m.group(0)
        if m.start() in clear or run.lower() == run or run.upper() == run:
            continue  # base64 of text mixes cases; hex digests and names in one case are not decoded
        run = run.translate(_URLSAFE)
        for skip in range(4):  # the value may be cut at any point of its 4-character groups
            body = run[skip:]
            if len(body) % 4 == 1:
                body = body[:-1]
            body += "=" * (-len(body) % 4)
            try:
                decoded = binascii.a2b_base64(body).decode("latin-1")
            except (binascii.Error, ValueError):
                continue
            if KEY_LIKE.search(decoded):
                spans.append((m.start(), m.end(), "base64"))
                break
    return spans


_URLSAFE = str.maketrans("-_", "+/")


def mask_spans(text: str, spans: Iterable[tuple[int, int, str]], percent: int | None = None) -> str:
    """Replace each span (merged where they overlap) by its redacted form, in one pass over the text."""
    merged: list[list[Any]] = []
    for start, end, encoding in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            last[2] = last[2] or encoding
        else:
            merged.append([start, end, encoding])
    if not merged:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, encoding in merged:
        parts.append(text[pos:start])
        parts.append(f"<{encoding} value redacted>" if encoding else redact(text[start:end], percent))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


_PREFIX = 6  # secrets are indexed by their first characters; shorter ones by their whole text


class SnippetRedactor:
    """Knows every secret of a result, indexed by the paths where it was found."""

    def __init__(self, result: ScanResult) -> None:
        self._by_path: dict[str, dict[str, set[str]]] = {}
        self._short: dict[str, set[str]] = {}
        for f in (*result.findings, *result.suppressed):
            secret = f.secret.reveal()  # masking needs the clear text; a stored finding may not hold it
            if not secret:
                continue
            for path in {f.where.path, *(o.path for o in f.history.occurrences)}:
                if len(secret) < _PREFIX:
                    self._short.setdefault(path, set()).add(secret)
                else:
                    self._by_path.setdefault(path, {}).setdefault(secret[:_PREFIX], set()).add(secret)

    def known_spans(self, f: Finding) -> list[tuple[int, int, str]]:
        """Where secrets found at the finding's path sit in its text (clear spans)."""
        text = f.context.text
        index = self._by_path.get(f.where.path)
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
        for secret in self._short.get(f.where.path, ()):
            spans.extend(find_spans(text, secret))
        return spans

    def snippet(self, f: Finding, show_secrets: bool = False, width: int = 160) -> str:
        if show_secrets:
            return f.snippet(True, width)
        return f.snippet(False, width, known=self.known_spans(f))


# --- terminal output is inert -------------------------------------------------------------------------

# Names, e-mails, paths, refs and triage notes come from the scanned code: a newline would forge a report
# line, ESC/OSC sequences would clear the screen, hide findings, set the title or the clipboard, and
# bidi controls would reorder what a reviewer reads. Human-readable output shows them escaped.
_CONTROL = {i: f"\\x{i:02x}" for i in (*range(32), 127, *range(0x80, 0xA0))} | {9: "\\t", 10: "\\n", 13: "\\r"}
_CONTROL |= {c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F))}
_CONTROL |= {c: f"\\u{c:04x}" for c in range(0x2066, 0x206A)}


def printable(text: str) -> str:
    """`text` with every control character shown escaped (idempotent: the result has none left).
    For text, `findings list/show` and other human output; machine formats (JSON, SARIF...) stay exact."""
    return text.translate(_CONTROL)


def printable_lines(lines: list[str]) -> str:
    """Lines joined by newlines, each made inert: only our own newlines separate lines."""
    return "\n".join(printable(line) for line in lines)


def error_message(exc: BaseException) -> str:
    """What a user is shown of an error: its message quotes config values, paths and git's words, so any
    key in it is masked and no character in it can drive a terminal or forge a CI log command."""
    return printable(mask_keys(str(exc)))
