"""Small pure functions that decide whether a regex match is a real secret or noise.

Noise kills scanners: each function here names one kind of false positive and rejects it.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Words that only a placeholder or documentation would put inside a key body.
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(your|replace|placeholder|example|changeme|change_me|insert|redacted|dummy|sample"
    r"|xxxx|0000|123456|012345|abcdef|notreal|not_a_real|secret_here|key_here|token_here|api_key_here"
    r"|todo|fixme)"
)
_TEMPLATE_MARKERS = ("${", "{{", "}}", "<", ">", "%(", "$(", "***", "…", "...", "%s", "{0}")
_SAME_CHAR_RUN = re.compile(r"(.)\1{3,}")
_INLINE_ALLOW = re.compile(rb"mindee-scan:allow|gitleaks:allow|pragma:\s*allowlist[ -]secret", re.IGNORECASE)
_NEXTLINE_ALLOW = re.compile(rb"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)
_WORDISH_SEGMENT = re.compile(r"[A-Z]?[a-z]{2,}|[A-Z]{2,}|[a-z]")
_VOWELS = set("aeiouyAEIOUY")


def shannon_entropy(text: str) -> float:
    """Bits per character: random keys score high, words and repeated characters low."""
    if not text:
        return 0.0
    n = len(text)
    return -sum((c / n) * math.log2(c / n) for c in Counter(text).values())


def is_placeholder(secret: str) -> bool:
    """Template variables, masked keys and `YOUR_KEY_HERE` style bodies are documentation, not leaks."""
    if any(marker in secret for marker in _TEMPLATE_MARKERS):
        return True
    if _SAME_CHAR_RUN.search(secret):
        return True
    return bool(_PLACEHOLDER_WORDS.search(secret))


def _looks_like_identifier(body: str) -> bool:
    """CamelCase or snake_case names made of word-like pieces (md_ConvertMarkdownToHtml...)."""
    if any(c.isdigit() for c in body):
        return False
    pieces = [p for p in re.split(r"[_\-]+", body) if p]
    if not pieces:
        return True
    for piece in pieces:
        words = _WORDISH_SEGMENT.findall(piece)
        if "".join(words) != piece:
            return False
        for word in words:
            if len(word) >= 3 and not (_VOWELS & set(word)):
                return False
    return True


def is_random_token(body: str) -> bool:
    """A generated key body mixes upper and lower case and does not read as words.

    Measured on random bodies: P(no uppercase) is 3e-8 for 32 alphanumerics, so requiring both
    cases costs no recall, while it rejects lowercase Doxygen/CSS names and UPPER_CASE placeholders.
    """
    if not any(c.isupper() for c in body) or not any(c.islower() for c in body):
        return False
    if shannon_entropy(body) < 3.3:
        return False
    return not _looks_like_identifier(body)


def has_inline_allow(line: bytes, previous_line: bytes = b"") -> bool:
    """The markers users already know: mindee-scan:allow, gitleaks:allow, pragma: allowlist secret."""
    return bool(_INLINE_ALLOW.search(line)) or bool(previous_line and _NEXTLINE_ALLOW.search(previous_line))
