"""Decoders on hostile input: whatever a line holds, decoding costs a constant per byte.

The base64 run bomb (`bWRf` runs separated by spaces) cost about n^4 in the runs of a line: each run
was decoded into its line and the line scanned again, the other runs decoded again below it. At
n = 100 that took minutes, at n = 10,000 longer than anyone waits. Each new decoder (JSON escapes,
string concatenation, UTF-16 in binaries) gets a large adversarial line of its own here.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

import pytest

import scanner.detect.decoders
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.engine import Detector
from scanner.detect.findings import FindingBuilder
from tests.testing.cli import run_json
from tests.testing.keys import v1_key, v2_key

_RUN = "bWRfbWRfbWRfbWRfbWRfbWRf "  # base64 of `md_md_md_md_md_md_`, then a space


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(Config())


@pytest.fixture(scope="module")
def python_detector() -> Detector:
    return build_detector(Config(), use_hyperscan=False)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("runs", [100, 1000, 10_000])
def test_base64_run_bomb_is_linear(detector: Detector, runs: int) -> None:
    key = v2_key()
    line = _RUN * runs + f"k: {_b64(key)}\n"
    found = FindingBuilder(detector).from_bytes(line.encode(), "bomb.txt")[0]
    assert [(f.secret.reveal(), f.context.encoding) for f in found] == [(key, "base64")]


@pytest.mark.timeout(30)
def test_base64_run_bomb_without_hyperscan(python_detector: Detector) -> None:
    key = v2_key()
    line = _RUN * 1000 + f"k: {_b64(key)}\n"
    assert [m.secret for m in python_detector.scan(line.encode())] == [key]


@pytest.mark.timeout(30)
def test_each_base64_run_is_decoded_once(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[int] = []
    real: Callable[[bytes], bytes | None] = scanner.detect.decoders._b64decode_text

    def counting(blob: bytes) -> bytes | None:
        out = real(blob)
        decoded.append(len(out or b""))
        return out

    monkeypatch.setattr(scanner.detect.decoders, "_b64decode_text", counting)
    data = (_RUN * 60 + "\n").encode()
    assert detector.scan(data) == []
    assert len(decoded) == 60  # one decode per run (the old decoder made ~60^3 / 6 of them)
    assert sum(decoded) <= len(data)


def test_decoding_stops_at_the_scan_budget(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget (a constant times the input) is what bounds decoding even if a decoder misbehaved."""
    key = v2_key()
    data = f"k: {_b64(key)}\n".encode()
    assert [m.secret for m in detector.scan(data)] == [key]
    monkeypatch.setattr(scanner.detect.decoders, "_BUDGET_FACTOR", 0)
    monkeypatch.setattr(scanner.detect.decoders, "_BUDGET_FLOOR", len(_b64(key)) // 2)
    assert detector.scan(data) == []


@pytest.mark.timeout(30)
def test_nested_base64_bomb_is_bounded_by_what_it_decodes_to(detector: Detector) -> None:
    """A Mindee-named value whose base64 decodes to a line of 2,000 runs: each inner run decoded once."""
    key = v2_key()
    inner = _RUN * 2000 + f"k: {_b64(key)}"
    found = detector.scan(f"MINDEE_API_KEY: {_b64(inner)}\n".encode())
    assert [(m.secret, m.encoding) for m in found] == [(key, "base64")]


@pytest.mark.timeout(30)
def test_base64_run_bomb_through_the_cli(tmp_path: pytest.TempPathFactory) -> None:
    key = v2_key()
    target = tmp_path / "bomb.txt"  # type: ignore[operator]
    target.write_text(_RUN * 10_000 + f"k: {_b64(key)}\n")
    code, doc = run_json("dir", str(target), timeout=25)
    assert code == 1
    assert [(f["rule_id"], f.get("encoding")) for f in doc["findings"]] == [("mindee-api-key", "base64")]


@pytest.mark.timeout(60)
def test_json_escape_bomb_is_linear(detector: Detector, python_detector: Detector) -> None:
    key = v2_key()
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    # 600 kB of escaped underscores (a prefilter hit every 6 bytes), `md_` followed by escapes, a key.
    line = "\\u005f" * 100_000 + (" md_" + "\\u0041" * 40) * 4_000 + f' "{escaped}"\n'
    for d in (detector, python_detector):
        assert [(m.secret, m.encoding) for m in d.scan(line.encode())] == [(key, "json-escape")]


@pytest.mark.timeout(60)
def test_concatenation_bomb_is_linear(detector: Detector, python_detector: Detector) -> None:
    key, legacy = v2_key(), v1_key()
    chain = '"md_ab" + ' * 60_000  # every `md_` opens a chain of joins
    joins = 'ab" "' * 60_000  # on a Mindee-named line every join is undone
    text = (
        f'x = {chain}"cd"\n'
        f'MINDEE_API_KEY = "{legacy[:16]}" + "{legacy[16:]}"; y = "{joins}"\n'
        f'k = "{key[:12]}" + "{key[12:]}"\n'
    )
    for d in (detector, python_detector):
        found = {(m.secret, m.encoding) for m in d.scan(text.encode())}
        assert {(key, "concatenation"), (legacy, "concatenation")} <= found


@pytest.mark.timeout(60)
def test_utf16_bomb_in_a_binary_is_linear(detector: Detector, python_detector: Detector) -> None:
    key = v2_key()
    wide_md = "md_".encode("utf-16-le")
    blob = (
        secrets.token_bytes(8192)  # what makes it a binary, not a UTF-16 text file
        + wide_md * 100_000  # one 600 kB UTF-16 string made of `md_`
        + b"\x01\xff"
        + ("md_" + "a" * 8).encode("utf-16-le") * 30_000  # 30,000 hits in one string
        + b"\x01\xff"
        + (wide_md + b"a\x00b\x00c\x00d\x00e\x00\x01\xff") * 20_000  # 20,000 short strings
        + b"\x03\xff"
        + key.encode("utf-16-le")
        + b"\x00\x07"
    )
    for d in (detector, python_detector):
        found = FindingBuilder(d).from_bytes(blob, "app.dll")[0]
        assert [(f.secret.reveal(), f.context.encoding) for f in found] == [(key, "utf-16-le")]
