"""Precision of the `generic-secret` rule on real repositories, against a checked-in label table.

    .venv/bin/python -m tests.quality.generic_precision \
        site-packages=.venv/lib/python3.11/site-packages flask=/path/to/flask ...   # report
    ... --update      # add rows for findings not labelled yet (label "?"), to be labelled by hand
    ... --code=DIR    # scan with the scanner source in DIR (e.g. `git archive` of an older commit)

Every finding of the rule is looked up in tests/quality/generic_labels.tsv by tree name, path and
secret hash (never the secret: the table is public). The report gives, per tree, the findings, how
many are labelled true or false positives, the false-positive rate, and the true positives of the
table that are no longer found (precision must not be bought with recall). Exit status 1 when a
finding is unlabelled or a labelled true positive is lost. Slow (it scans whole trees): not part of
the default test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("generic_labels.tsv")
RULE = "generic-secret"
_HEADER = "tree\tpath\tsecret_hash\tlabel\treason\n"


@dataclass(frozen=True)
class Row:
    tree: str
    path: str
    secret_hash: str
    label: str  # "tp", "fp" or "?" (not labelled yet)
    reason: str


def load() -> dict[tuple[str, str, str], Row]:
    rows: dict[tuple[str, str, str], Row] = {}
    if not TABLE.exists():
        return rows
    for line in TABLE.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        tree, path, digest, label, reason = (line.split("\t") + [""] * 5)[:5]
        rows[(tree, path, digest)] = Row(tree, path, digest, label, reason)
    return rows


def save(rows: dict[tuple[str, str, str], Row]) -> None:
    body = "".join(f"{r.tree}\t{r.path}\t{r.secret_hash}\t{r.label}\t{r.reason}\n" for _, r in sorted(rows.items()))
    TABLE.write_text(_HEADER + body, encoding="utf-8")


def scan(path: str, code: str | None = None) -> list[dict[str, object]]:
    """The rule's findings in `path`, by the installed scanner or by the source tree `code` (a before/after)."""
    cmd = [sys.executable, "-m", "scanner", "dir", str(Path(path).resolve()), "--format", "json", "-j", "1"]
    cmd += ["--ignore-file", "/dev/null"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=code)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan of {path} failed: {proc.stderr.strip()}")
    findings = json.loads(proc.stdout)["findings"]
    return [f for f in findings if f["rule_id"] == RULE]


def main(argv: list[str]) -> int:
    update = "--update" in argv
    code = next((a.split("=", 1)[1] for a in argv if a.startswith("--code=")), None)
    trees = [a.split("=", 1) for a in argv if "=" in a and not a.startswith("-")]
    if not trees:
        print(__doc__)
        return 2
    rows = load()
    failed = False
    total = {"found": 0, "tp": 0, "fp": 0}
    for name, path in trees:
        found = {(name, str(f["path"]), str(f["secret_hash"])[:16]): f for f in scan(path, code)}
        unlabelled = [k for k in found if k not in rows or rows[k].label == "?"]
        tp = sum(1 for k in found if k in rows and rows[k].label == "tp")
        fp = sum(1 for k in found if k in rows and rows[k].label == "fp")
        lost = [r for k, r in rows.items() if r.tree == name and r.label == "tp" and k not in found]
        total["found"] += len(found)
        total["tp"] += tp
        total["fp"] += fp
        rate = fp / len(found) if found else 0.0
        print(f"{name}: findings={len(found)} tp={tp} fp={fp} unlabelled={len(unlabelled)} fp_rate={rate:.3f}")
        for r in lost:
            print(f"  LOST true positive: {r.path} ({r.reason})")
        for k in unlabelled:
            f = found[k]
            print(f"  unlabelled: {k[1]}:{f['line']} {str(f['snippet'])[:100]!r}")
            if update and k not in rows:
                rows[k] = Row(name, k[1], k[2], "?", f"line {f['line']}")
        failed = failed or bool(unlabelled) or bool(lost)
    n = total["found"]
    print(f"all: findings={n} tp={total['tp']} fp={total['fp']} precision={total['tp'] / n if n else 1.0:.3f}")
    if update:
        save(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
