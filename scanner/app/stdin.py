"""`mindee-scan dir -`: scan what is piped on standard input (`git diff | mindee-scan dir -`).

The input is one text named `<stdin>`; it is read up to the size cap and never more. Input up to the
streaming window is scanned whole; more is scanned in bounded windows as it is read, as a big file is,
so memory stays constant (a 1 GB pipe was read whole, then scanned at ~45 bytes per byte). Input over
the cap is an error (exit 2), never a silent clean result.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import BinaryIO

from scanner.app.cap import FindingsCap
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import STREAM_WINDOW, FindingBuilder, note_stream
from scanner.errors import SourceError
from scanner.model import ScanResult, ScanStats
from scanner.sources.files import STREAM_CHUNK

STDIN_PATH = "<stdin>"


def scan_stdin(stream: BinaryIO, config: Config, max_size: int | None = None, use_hyperscan: bool = True) -> ScanResult:
    started = time.perf_counter()
    cap = max_size or config.max_file_size
    data = stream.read(min(cap, STREAM_WINDOW) + 1)
    builder = FindingBuilder(build_detector(config, use_hyperscan))
    kept = FindingsCap()
    if len(data) <= STREAM_WINDOW:
        _check_size(len(data), cap)
        found, binary = builder.from_bytes(data, STDIN_PATH)
        stats = ScanStats(files_scanned=1, bytes_scanned=len(data), binary_files=int(binary))
        kept.add(found)
        del found
    else:
        scan = builder.scan_stream(_pieces(data, stream, cap), STDIN_PATH)
        stats = ScanStats(files_scanned=1, bytes_scanned=scan.size, binary_files=int(scan.binary))
        note_stream(scan, STDIN_PATH, stats)
        kept.add(scan.findings)
    findings = kept.take()
    kept.note(stats)
    stats.duration_s = time.perf_counter() - started
    stats.engine = builder.detector.engine
    result = ScanResult(findings=findings, stats=stats, target=STDIN_PATH, source="dir")
    result.sort()
    return result


def _check_size(size: int, cap: int) -> None:
    if size > cap:
        raise SourceError(
            f"standard input is larger than the size cap ({cap} bytes): raise --max-file-size, or scan a file"
        )


def _pieces(head: bytes, stream: BinaryIO, cap: int) -> Iterator[bytes]:
    """The input in pieces as it is read: the first one already read, then the rest up to the cap."""
    total = len(head)
    _check_size(total, cap)
    yield head
    del head
    while piece := stream.read(STREAM_CHUNK):
        total += len(piece)
        _check_size(total, cap)
        yield piece
