"""Which part of `scanner` may import which: data flows source -> detection -> findings -> report.

A part is a package under scanner/ or a top-level module (scanner/trust.py is `trust`). Every import of
a `scanner` module counts, lazy ones inside functions too (they still tie the parts together); only
imports under `if TYPE_CHECKING:` are left out (they name a type and run nothing). Today's violations
are listed in VIOLATIONS with the reason each is wrong; the list only shrinks: an entry nothing needs
any more fails the test, so whoever removes the last such import removes the entry too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[2] / "scanner"

# The bottom: every part may use them ("scanner" is the package's __init__; "shapes" is detect/shapes.py,
# the Mindee key shapes: a leaf that redaction, detection and `verify` all read; "lazyre" compiles
# module-level regexes on first use).
BASE = frozenset({"scanner", "errors", "record", "redact", "shapes", "lazyre"})

ALLOWED: dict[str, frozenset[str]] = {
    "scanner": frozenset(),
    "record": frozenset(),
    "lazyre": frozenset(),
    "shapes": frozenset(),
    "redact": frozenset({"shapes", "lazyre"}),
    "errors": frozenset({"redact", "shapes", "lazyre"}),
    "model": BASE,
    "pathmatch": BASE,
    # What may be read from a scanned repository, and how it is printed.
    "trust": BASE | {"model"},
    # Rules, prefilter, engine, findings: text in, matches and findings out.
    "detect": BASE | {"model"},
    # The user's settings; user rules are parsed with the rule schema.
    "config": BASE | {"model", "detect", "trust"},
    # The four middle stages never import each other: they meet through model's types (suppression
    # reads the settings: which baseline and ignore file the config names).
    "sources": BASE | {"model", "pathmatch"},
    "suppress": BASE | {"model", "pathmatch", "trust", "config"},
    "verify": BASE | {"model"},
    "report": BASE | {"model", "trust"},
    # The one place that builds a detector and drives a source.
    "app": BASE | {"model", "pathmatch", "trust", "config", "detect", "sources", "suppress", "verify", "report"},
    "audit": BASE | {"model", "trust", "config", "app", "sources", "verify", "report"},
    # click only: parse -> app -> render -> write -> exit.
    "cli": BASE | {"model", "trust", "config", "app", "audit", "verify", "report"},
    "hookrun": BASE | {"model", "trust", "config", "app", "report", "cli"},
    "__main__": frozenset({"cli", "hookrun"}),
    "ci": BASE | {"model", "trust", "config", "sources", "report", "cli"},
}

# (importer, imported): why it is wrong. Remove an entry with the last import it stands for.
VIOLATIONS: dict[tuple[str, str], str] = {}


def _part(module: str) -> str:
    if module == "scanner.detect.shapes":
        return "shapes"
    parts = module.split(".")
    return "scanner" if len(parts) == 1 else parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SCANNER.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
    return ".".join(parts)


def _is_module(name: str) -> bool:
    return (SCANNER / f"{name}.py").is_file() or (SCANNER / name / "__init__.py").is_file()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                out.update(id(n) for n in ast.walk(stmt))
    return out


def _imports(path: Path) -> list[str]:
    """The `scanner` modules a file imports at run time (a `from scanner import x` names scanner.x)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _type_checking_nodes(tree)
    out: list[str] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name == "scanner" or a.name.startswith("scanner.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "scanner":  # a submodule, or an attribute of the package (__version__)
                out += [f"scanner.{a.name}" if _is_module(a.name) else "scanner" for a in node.names]
            elif node.module.startswith("scanner."):
                out.append(node.module)
    return out


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importer part, imported part) -> 'module imports module' lines, for every cross-part import."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SCANNER.rglob("*.py")):
        module = _module_name(path)
        for imported in _imports(path):
            pair = (_part(module), _part(imported))
            if pair[0] != pair[1]:
                edges.setdefault(pair, []).append(f"{module} imports {imported}")
    return edges


def test_every_part_has_a_rule() -> None:
    parts = {_part(_module_name(p)) for p in SCANNER.rglob("*.py")}
    assert parts - set(ALLOWED) == set(), "a new part of scanner/: say in ALLOWED which parts it may import"


def test_imports_follow_the_layers() -> None:
    wrong = [
        line
        for pair, lines in sorted(_edges().items())
        if pair[1] not in ALLOWED[pair[0]] and pair not in VIOLATIONS
        for line in lines
    ]
    assert wrong == [], "imports against the layering (see ALLOWED):\n" + "\n".join(wrong)


def test_the_allow_list_only_shrinks() -> None:
    edges = _edges()
    stale = [f"{a} -> {b}" for (a, b) in VIOLATIONS if (a, b) not in edges or b in ALLOWED[a]]
    assert stale == [], "no import needs these VIOLATIONS entries any more: remove them\n" + "\n".join(stale)


def test_the_check_sees_lazy_and_aliased_imports(tmp_path: Path) -> None:
    """The parser must see what the scanner's own code uses: imports inside functions, `from scanner
    import x`, `import scanner.x as y`; and it must skip `if TYPE_CHECKING:` blocks."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import scanner.detect.engine as engine\n"
        "from scanner import errors, __version__\n"
        "if TYPE_CHECKING:\n"
        "    from scanner.config import Config\n"
        "def f():\n"
        "    from scanner.sources.git.gitio import Git\n"
    )
    assert sorted(_imports(sample)) == [
        "scanner",
        "scanner.detect.engine",
        "scanner.errors",
        "scanner.sources.git.gitio",
    ]


def test_the_readme_says_where_every_part_is() -> None:
    """README's "Where things are" gives every package and top-level module of scanner/ its job."""
    readme = (SCANNER.parent / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    packages = [f"`scanner/{p.parent.name}/`" for p in SCANNER.glob("*/__init__.py")]
    modules = [p.name for p in SCANNER.glob("*.py") if not p.name.startswith("__")]
    missing = [name for name in [*packages, *modules] if name not in section]
    assert missing == [], f"README's 'Where things are' does not mention {missing}"
