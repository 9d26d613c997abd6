"""`baseline create` scans through the application layer: click parses the scan's command line once and
runs no second command (it ran the whole scan command again and parsed its own JSON report back)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli.main import cli, main
from tests.testing.keys import v2_key


def test_baseline_create_parses_the_scan_without_running_the_cli_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    keys = [v2_key(), v2_key()]
    (tree / "a.env").write_text(f"MINDEE_V2_API_KEY={keys[0]}\n")
    (tree / "b.env").write_text(f"MINDEE_V2_API_KEY={keys[1]}\nMINDEE_API_KEY={keys[0]}\n")
    runs: list[list[str]] = []
    real = cli.main

    def counted(*args: object, **kwargs: object) -> object:
        runs.append(list(kwargs.get("args") or []))  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "main", counted)
    out = tmp_path / "baseline.json"
    assert main(["baseline", "create", "dir", str(tree), "-o", str(out)]) == 0
    assert len(runs) == 1, runs
    doc = json.loads(out.read_text())
    assert len(doc["entries"]) == 2
    assert sorted(p for e in doc["entries"] for p in e["paths"]) == ["a.env", "b.env", "b.env"]
    assert main(["dir", str(tree), "--baseline", str(out), "-q"]) == 0  # everything baselined
