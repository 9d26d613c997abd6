"""`dir -` over the streaming window is scanned in windows as it is read, with the findings a file gets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.app.stdin import scan_stdin
from scanner.config import Config
from scanner.detect.findings import STREAM_WINDOW
from scanner.errors import SourceError
from tests.testing.keys import v2_key


def test_big_input_gives_the_findings_of_the_same_file(tmp_path: Path) -> None:
    filler = b'text = "lorem ipsum dolor sit amet"\n' * 4000
    parts = []
    for _ in range(25):  # about 3.5 MB: over the 2 MiB window, keys on both sides of every cut
        parts += [filler, f"MINDEE_V2_API_KEY={v2_key()}\n".encode()]
    data = b"".join(parts)
    assert len(data) > STREAM_WINDOW
    path = tmp_path / "input.env"
    path.write_bytes(data)
    piped = scan_stdin(io.BytesIO(data), Config())
    named = scan_paths(DirOptions(paths=(str(path),), config=Config(), jobs=1))
    assert len(piped.findings) == 25
    assert [(f.secret.reveal(), f.where.line, f.where.column, f.snippet()) for f in piped.findings] == [
        (f.secret.reveal(), f.where.line, f.where.column, f.snippet()) for f in named.findings
    ]
    assert piped.stats.bytes_scanned == len(data)


def test_input_over_the_cap_is_an_error_streamed_or_not() -> None:
    big = b"x" * (STREAM_WINDOW + 10)
    with pytest.raises(SourceError, match="larger than the size cap"):
        scan_stdin(io.BytesIO(big * 3), Config(), max_size=len(big) * 2)
    with pytest.raises(SourceError, match="larger than the size cap"):
        scan_stdin(io.BytesIO(b"y" * 200), Config(), max_size=100)
