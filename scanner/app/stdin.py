"""`mindee-scan dir -`: scan what is piped on standard input (`git diff | mindee-scan dir -`).

The input is one text named `<stdin>`; it is read up to the size cap and never more, so a runaway
pipe cannot exhaust memory. Input over the cap is an error (exit 2), never a silent clean result.
"""

from __future__ import annotations

import time
from typing import BinaryIO

from scanner.app.cap import FindingsCap
from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.errors import SourceError
from scanner.model import ScanResult, ScanStats

STDIN_PATH = "<stdin>"


def scan_stdin(stream: BinaryIO, config: Config, max_size: int | None = None, use_hyperscan: bool = True) -> ScanResult:
    started = time.perf_counter()
    cap = max_size or config.max_file_size
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise SourceError(
            f"standard input is larger than the size cap ({cap} bytes): raise --max-file-size, or scan a file"
        )
    builder = FindingBuilder(build_detector(config, use_hyperscan))
    found, binary = builder.from_bytes(data, STDIN_PATH)
    stats = ScanStats(files_scanned=1, bytes_scanned=len(data), binary_files=int(binary))
    kept = FindingsCap()
    kept.add(found)
    del found
    findings = kept.take()
    kept.note(stats)
    stats.duration_s = time.perf_counter() - started
    stats.extra["engine"] = builder.detector.engine
    result = ScanResult(findings=findings, stats=stats, target=STDIN_PATH, source="dir")
    result.sort()
    return result
