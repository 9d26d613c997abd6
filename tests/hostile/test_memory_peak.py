"""Peak memory of a real `mindee-scan` process stays under 300 MB whatever the input (issue 13).

Each test runs the installed CLI as a child of a small helper process and reads the child's own peak
RSS from wait4 (a child forked from pytest itself would start from pytest's peak). Before, 30,000
findings in one 1.4 MB file peaked at 327 MB rendered to JSON and 373 MB to JSON Lines or GitLab:
every finding's dict and the encoder's fragments were held at once, then the whole text and its
UTF-8 copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.cli import cli_path
from tests.testing.keys import v2_key

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LIMIT_MB = 300

# Runs argv[1:] with stdout to the file argv[1], then prints the child's exit code and peak RSS (KB).
_HELPER = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss(args: list[str], stdout: Path) -> tuple[int, float]:
    """Exit code and peak RSS in MB of one `mindee-scan` run, measured alone."""
    proc = subprocess.run(
        [sys.executable, "-c", _HELPER, str(stdout), *cli_path(), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=280,
    )
    code, kb = proc.stdout.split()
    return int(code), int(kb) / 1024


@pytest.fixture(scope="module")
def dense_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30,000 keys, one per line, in a 1.4 MB file: scanned whole (under the 2 MiB streaming size)."""
    path = tmp_path_factory.mktemp("dense") / "keys.py"
    path.write_text("".join(f"k{i} = '{v2_key()}'\n" for i in range(30_000)))
    return path


@pytest.mark.parametrize("fmt", ["json", "jsonl", "gitlab"])
def test_thirty_thousand_findings_rendered(dense_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "report"
    code, mb = peak_rss(["dir", str(dense_file), "--format", fmt], out)
    assert code == 1
    assert mb < LIMIT_MB, f"{fmt}: peak {mb:.0f} MB"
    text = out.read_text()
    if fmt == "jsonl":
        lines = text.splitlines()
        assert len(lines) > 29_000
        assert json.loads(lines[-1])["type"] == "summary"
    else:
        doc = json.loads(text)
        assert len(doc["findings" if fmt == "json" else "vulnerabilities"]) > 29_000


def test_report_file_written_in_pieces(dense_file: Path, tmp_path: Path) -> None:
    """`-o FILE` writes the report as it is rendered, as stdout does."""
    report = tmp_path / "report.json"
    code, mb = peak_rss(["dir", str(dense_file), "--format", "json", "-o", str(report)], tmp_path / "stdout")
    assert code == 1
    assert mb < LIMIT_MB, f"json -o: peak {mb:.0f} MB"
    assert len(json.loads(report.read_text())["findings"]) > 29_000
