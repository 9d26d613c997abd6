"""Issue 17's application layer: the CLI only wires, the store alone speaks SQL, concepts are listed once."""

from __future__ import annotations

import ast
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[3] / "scanner"


def _calls(path: Path, attribute: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == attribute]


def test_every_sql_statement_is_in_the_store() -> None:
    """Every SQL statement lives in audit/store.py: the CLI, the application layer and the rest of the audit
    ask the store; none of them holds its connection."""
    assert (SCANNER / "cli" / "audit_cmd.py").is_file()
    offenders = {
        str(path.relative_to(SCANNER)): lines
        for path in sorted(SCANNER.rglob("*.py"))
        if path.relative_to(SCANNER).as_posix() != "audit/store.py"
        for lines in [_calls(path, "conn") + _calls(path, "execute")]
        if lines
    }
    assert offenders == {}


def test_the_lean_hook_reaches_the_command_line_only_to_hand_over() -> None:
    """`hookrun` runs the staged scan through scanner.app; it imports the click CLI only to hand over a
    command it does not run itself (it took `finish`, `quiet_broken_pipe` and `report_internal_error` from it)."""
    tree = ast.parse((SCANNER / "hookrun.py").read_text(encoding="utf-8"))
    cli_imports = [
        (node.lineno, [a.name for a in node.names])
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scanner.cli")
    ]
    assert [names for _, names in cli_imports] == [["main"]]


def test_scan_stats_are_typed() -> None:
    """Every scan's numbers are named fields (no `extra: dict[str, Any]` where the staged paths travelled
    to be popped back out), and JSON shows each only for the scans that set it."""
    from scanner.model import HistoryStats, ScanStats

    names = set(ScanStats.__record_fields__)  # type: ignore[attr-defined]
    assert "extra" not in names and "staged_paths" not in names
    stats = ScanStats(engine="python", jobs=1, history=HistoryStats(refs={"b": "2", "a": "1"}, objects_scanned=3))
    doc = stats.to_dict()
    history = ["refs", "objects_scanned", "blobs_scanned", "commits_scanned", "tags_scanned", "shallow"]
    assert list(doc)[-8:] == ["engine", "jobs", *history]
    assert list(doc["refs"]) == ["a", "b"]
    assert "files_staged" not in doc and "verification" not in doc and "findings_over_cap" not in doc
