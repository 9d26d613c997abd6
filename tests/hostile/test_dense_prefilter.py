"""Dense prefilter hits: an owner whose hits come every few bytes is found as clusters, not hit by hit.

A 63 MB line of `md_md_md_...` is a Hyperscan match every 3 bytes; each cost a Python callback and a
window to merge (about 8 minutes on a loaded machine). Each test is sized so the old code takes well
over its timeout; what is found must not change (a key inside the dense text is still found).
"""

from __future__ import annotations

import base64
import secrets
import string

import pytest

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(Config())


def _key() -> str:
    while True:
        body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
            return "md_" + body


@pytest.mark.timeout(8)
def test_a_line_of_md_prefixes(detector: Detector) -> None:
    """8 MB of `md_` on one line with a key in the middle: one cluster, the key found at its column."""
    key = _key()
    head = "md_" * 1_400_000
    data = f"{head} MINDEE_V2_API_KEY={key} {'md_' * 1_400_000}".encode()
    assert [(m.secret, m.column) for m in detector.scan(data)] == [(key, len(head) + 20)]


@pytest.mark.timeout(8)
def test_a_run_of_base64_fragments(detector: Detector) -> None:
    """20 MB of `bWRf` (base64 of `md_`) then an encoded key: each run decoded once, the key found."""
    key = _key()
    encoded = base64.b64encode(f"MINDEE_V2_API_KEY={key}".encode()).decode()
    data = f"{'bWRf' * 5_000_000}\nsecret: {encoded}\n".encode()
    assert [(m.secret, m.line, m.encoding) for m in detector.scan(data)] == [(key, 2, "base64")]


def test_dense_and_sparse_scans_agree(detector: Detector) -> None:
    """The same keys are found whether the text around them makes the prefilter cluster or not."""
    keys = [_key() for _ in range(20)]
    lines = [f"MINDEE_V2_API_KEY={k}" for k in keys]
    lines += [f"k{i}: {base64.b64encode(('api_key=' + k).encode()).decode()}" for i, k in enumerate(keys)]
    sparse = "\n".join(lines).encode()
    filler = ("md_" * 400 + " " + "bWRf" * 300 + "\n").encode()
    dense = filler + b"\n".join(line.encode() + b" " + b"md_" * 200 for line in lines) + b"\n" + filler

    def found(data: bytes) -> list[tuple[str, str]]:
        return sorted((m.secret, m.encoding or "") for m in detector.scan(data))

    assert found(sparse) == found(dense)
    assert len(found(sparse)) == 40
