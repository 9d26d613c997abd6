"""`holds_decodable_run`: False only where the base64 decoder reads no run of any line in clear (the
hook's fast path passes over a wide rule's hits on that answer, scanner/detect/reach.py)."""

from __future__ import annotations

import base64
import random
import string

from scanner.detect.b64text import holds_decodable_run
from scanner.detect.decoders import Budget, Decoding, base64_segments


def _lines(data: bytes) -> list[tuple[int, int]]:
    out, start = [], 0
    for part in data.split(b"\n"):
        out.append((start, start + len(part)))
        start += len(part) + 1
    return out


def _piece(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:  # base64 of text, around the length threshold, padded or not, URL-safe or not
        text = "".join(rng.choice(string.printable[:94]) for _ in range(rng.randrange(14, 22)))
        run = base64.b64encode(text.encode()).decode()
        run = run.rstrip("=") if rng.random() < 0.3 else run
        return run.replace("+", "-").replace("/", "_") if rng.random() < 0.3 else run
    if kind == 1:  # identifiers of every case
        words = [rng.choice(["mindee", "Client", "api", "Key", "get", "FROM", "env", "v4"]) for _ in range(6)]
        return rng.choice(["", "_", "-", "/"]).join(words)
    if kind == 2:
        return "".join(rng.choice(string.ascii_letters + string.digits + "+/=_-") for _ in range(rng.randrange(18, 30)))
    if kind == 3:
        return base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(12, 30)))).decode()
    return "mindee"


def test_no_run_means_no_segment_on_any_line() -> None:
    rng = random.Random(18)
    decodable = 0
    for _ in range(3000):
        pieces = [_piece(rng) for _ in range(rng.randrange(1, 4))]
        data = "".join(p + rng.choice(["", " ", "\n", " = ", "'", ": ", "=", "=="]) for p in pieces).encode()
        segments = base64_segments(Decoding(data, None, Budget(len(data))), (), _lines(data))
        if segments:
            decodable += 1
            assert holds_decodable_run(data), data
    assert decodable > 300  # both sides exercised


def test_examples() -> None:
    assert holds_decodable_run(b"logo: " + base64.b64encode(b"plain text, long enough") + b"\n")
    assert not holds_decodable_run(b"getMindeeClientFromTheEnvironment()\n")
    assert not holds_decodable_run(b"tests/data/products/invoices/response_v4/complete.json\n")
