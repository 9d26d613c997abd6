"""`dir` prefilters the files it reads in groups: only a file with a prefilter hit is scanned on its own,
and what is found (and counted) is what a scan of each file alone finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.app.dir import DirOptions, scan_paths
from scanner.config import Config
from scanner.detect.findings import FindingBuilder
from scanner.detect.prefilter import Hits
from tests.testing.keys import v1_key, v2_key


def _tree(root: Path) -> dict[str, str]:
    root.mkdir()
    planted = {}
    for i in range(300):
        (root / f"clean{i:03}.py").write_text(f"def f{i}(x):\n    return x * {i}\n" * 20)
    for name, text in {
        "a.env": f"MINDEE_V2_API_KEY={v2_key()}\n",
        "b.py": f"from mindee import Client\nclient = Client('{v1_key()}')\n",
        "c.bin": "\x00\x01\x02 not text",
        "d.txt": "\ufeffMINDEE_API_KEY=" + v2_key(),
    }.items():
        (root / name).write_bytes(text.encode("utf-16") if name == "d.txt" else text.encode())
        planted[name] = text
    return planted


@pytest.mark.parametrize("hyperscan", [True, False])
def test_only_files_with_a_prefilter_hit_are_scanned_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hyperscan: bool
) -> None:
    _tree(tmp_path / "t")
    scanned: list[str] = []
    real = FindingBuilder.from_bytes

    def counting(self: FindingBuilder, raw: bytes, path: str, hits: Hits | None = None) -> object:
        scanned.append(path)
        return real(self, raw, path, hits)

    monkeypatch.setattr(FindingBuilder, "from_bytes", counting)
    result = scan_paths(DirOptions(paths=(str(tmp_path / "t"),), config=Config(), jobs=1, use_hyperscan=hyperscan))
    assert sorted(scanned) == ["a.env", "b.py", "c.bin", "d.txt"]  # binary and UTF-16 always, clean never
    assert sorted({f.where.path for f in result.findings}) == ["a.env", "b.py", "d.txt"]
    assert result.stats.files_scanned == 304
    assert result.stats.binary_files == 1


def test_grouped_scan_finds_what_a_scan_of_each_file_alone_finds(tmp_path: Path) -> None:
    _tree(tmp_path / "t")
    result = scan_paths(DirOptions(paths=(str(tmp_path / "t"),), config=Config(), jobs=1))
    alone = []
    for p in sorted((tmp_path / "t").iterdir()):
        alone += scan_paths(DirOptions(paths=(str(p),), config=Config(), jobs=1)).findings
    assert sorted(repr(f.to_dict()) for f in result.findings) == sorted(repr(f.to_dict()) for f in alone)
