"""Issue 17's application layer: the CLI only wires, the store alone speaks SQL, concepts are listed once."""

from __future__ import annotations

import ast
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[3] / "scanner"


def _calls(path: Path, attribute: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == attribute]


def test_every_sql_statement_is_in_the_store() -> None:
    """The CLI and the application layer ask the store; neither holds its connection."""
    assert (SCANNER / "cli" / "audit_cmd.py").is_file()
    offenders = {
        str(path.relative_to(SCANNER)): lines
        for path in sorted(SCANNER.rglob("*.py"))
        if path.name != "store.py" and path.parent.name in ("cli", "app")
        for lines in [_calls(path, "conn") + _calls(path, "execute")]
        if lines
    }
    assert offenders == {}
