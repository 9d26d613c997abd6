"""Fuzz targets shared by the atheris harness: each takes raw bytes and must never raise.

Every target checks a property, not only "does not crash": planted keys must be found, and config
errors must be ConfigError. Run through `fuzz/run_atheris.py` (coverage-guided) for long local runs.
"""

from __future__ import annotations

import base64
import contextlib
import random
from collections.abc import Callable

from scanner.config import Config, parse_config
from scanner.detect.build import build_detector
from scanner.detect.filters import is_placeholder, is_random_token
from scanner.detect.findings import FindingBuilder
from scanner.detect.rules import parse_rule_file
from scanner.detect.textio import prepare
from scanner.errors import ConfigError
from scanner.sources.git.diffparse import parse_diff

_BUILDER: FindingBuilder | None = None
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _builder() -> FindingBuilder:
    global _BUILDER
    if _BUILDER is None:
        _BUILDER = FindingBuilder(build_detector(Config()))
    return _BUILDER


def _key(seed: bytes) -> str:
    rng = random.Random(seed)
    while True:
        body = "".join(rng.choice(_ALNUM) for _ in range(32))
        if is_random_token(body) and not is_placeholder("md_" + body):
            return "md_" + body


def detector(data: bytes) -> None:
    """Random bytes never raise; a key planted between them (on its own line) is always found."""
    _builder().from_bytes(data, "fuzz.bin")
    if b"\x00" in data[:8192]:
        return  # binary: only prefixed keys, covered by the plain call above
    key = _key(data[:16])
    half = len(data) // 2
    planted = data[:half] + b"\n" + key.encode() + b"\n" + data[half:]
    found = {f.secret for f in _builder().from_bytes(planted, "fuzz.txt")[0]}
    assert key in found or b"mindee-scan:allow" in planted or b"gitleaks:allow" in planted, planted


def decoders(data: bytes) -> None:
    prepared = prepare(data)
    if prepared.decoded_from:
        prepared.data.decode("utf-8")
    _builder().detector.scan(b"value: " + base64.b64encode(data) + b"\n")


def diff(data: bytes) -> None:
    for change in parse_diff(data):
        assert all(n >= 0 for n in change.added)


def config(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for parse in (lambda t: parse_config(t, "fuzz.yaml"), lambda t: parse_rule_file(t, "rules.yaml")):
        with contextlib.suppress(ConfigError):
            parse(text)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "detector": detector,
    "decoders": decoders,
    "diff": diff,
    "config": config,
}
