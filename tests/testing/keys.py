"""Synthetic keys for tests, made with `secrets` at run time: never a real key, never on disk."""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Callable
from typing import Any

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def _random_body(alphabet: str, size: int) -> str:
    """A body that passes the random-token checks (both cases present), like every real key."""
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(size))
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return body


def raw_v2_key() -> str:
    """md_ + 32 alphanumerics (current key shape), as `secrets` draws it: for recall measurements."""
    return "md_" + _random_body(ALNUM, 32)


def raw_v2_long_key() -> str:
    """md_ + 43 base64url characters (current key shape), as `secrets` draws it."""
    return "md_" + _random_body(B64URL, 43)


def raw_v1_key() -> str:
    """Legacy key: 32 lowercase hex characters, as `secrets` draws it."""
    return secrets.token_hex(16)


def v2_key() -> str:
    """A current-shape key the default rules report (see `detectable`): tests that plant one cannot flake."""
    return detectable(raw_v2_key)


def v2_long_key() -> str:
    """A 43-character current-shape key the default rules report."""
    return detectable(raw_v2_long_key)


def v1_key() -> str:
    """A legacy key the default rules report under MINDEE_API_KEY."""
    return detectable(raw_v1_key)


_DETECTOR: Any = None


def detectable(make: Callable[[], str]) -> str:
    """A key from `make` that the default rules report on its own line.

    About 1 random key in 10,000 reads as a placeholder or a name (`...999999...`, a camel-case
    run). Tests plant only keys the detector keeps (v2_key and friends), so they cannot flake; recall
    itself is measured on raw keys (raw_v2_key, test_quality, test_properties).
    """
    global _DETECTOR
    if _DETECTOR is None:
        from scanner.config import Config
        from scanner.detect.build import build_detector

        _DETECTOR = build_detector(Config())
    while True:
        key = make()
        line = f"MINDEE_API_KEY={key}\n" if len(key) == 32 else f"K = '{key}'\n"
        if [m.secret for m in _DETECTOR.scan(line.encode())] == [key]:
            return key


def keys_in_noise(rng: random.Random, keys: list[str], long_lines: bool) -> bytes:
    """`keys` in order, each after 50 to 3,000 characters of noise and a name its rule reads (legacy keys
    under MINDEE_API_KEY): a big text where keys fall anywhere relative to a stream's windows. With
    `long_lines`, the noise has no line breaks."""
    parts: list[str] = []
    for i, key in enumerate(keys):
        filler = "".join(rng.choice("abc xyz=é\n") for _ in range(rng.randrange(50, 3000)))
        if long_lines:
            filler = filler.replace("\n", " ")
        name = "MINDEE_API_KEY" if len(key) == 32 else f"token{i}"
        parts.append(f"{filler} {name}={key} ")
    return "".join(parts).encode()
