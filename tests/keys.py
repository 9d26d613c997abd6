"""Synthetic keys for tests, made with `secrets` at run time: never a real key, never on disk."""

from __future__ import annotations

import secrets
import string

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def _random_body(alphabet: str, size: int) -> str:
    """A body that passes the random-token checks (both cases present), like every real key."""
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(size))
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return body


def v2_key() -> str:
    """md_ + 32 alphanumerics (current key shape)."""
    return "md_" + _random_body(ALNUM, 32)


def v2_long_key() -> str:
    """md_ + 43 base64url characters (current key shape)."""
    return "md_" + _random_body(B64URL, 43)


def v1_key() -> str:
    """Legacy key: 32 lowercase hex characters."""
    return secrets.token_hex(16)
