"""One serial audit run in-process with timers around its per-repository steps (run by bench_audit.py).

    .venv/bin/python bench/audit_profile.py OUT.json -- audit FOLDER --db DB -j 1 --no-progress -q

Wraps, by name, the functions a serial audit calls for each repository: the whole task, the history
scan inside it, the detector build inside that (rules, Hyperscan database) and the store write, then
runs the CLI's `main(argv)` here. The module layout moves (issue 17): each timer is looked up under
every path it has had, and a step found under none is reported as missing rather than guessed.
Writes wall and CPU seconds per step (summed over repositories) and how many calls each had.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0 = time.perf_counter()  # as close to interpreter start-up's end as this script gets
ROOT = Path(__file__).resolve().parent.parent

# step -> candidate (module, attribute) places, first found wins. Patch where the caller looks it up.
STEPS: dict[str, list[tuple[str, str]]] = {
    "task": [("scanner.audit.runner", "scan_task")],
    "scan": [("scanner.audit.task", "_scan_repository")],
    "detector build": [
        ("scanner.scan_git", "build_detector"),
        ("scanner.app.history", "build_detector"),
        ("scanner.app.run", "build_detector"),
        ("scanner.app.detector", "detector_for"),
    ],
    "store write": [("scanner.audit.store", "Store.record_outcome")],
}


def _timed(fn: Callable[..., Any], totals: dict[str, float], step: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[f"{step} wall"] = totals.get(f"{step} wall", 0.0) + time.perf_counter() - w
            totals[f"{step} cpu"] = totals.get(f"{step} cpu", 0.0) + time.process_time() - c
            totals[f"{step} calls"] = totals.get(f"{step} calls", 0) + 1

    return wrapper


def patch(totals: dict[str, float]) -> list[str]:
    """Wrap every step found; returns the steps found nowhere."""
    missing = []
    for step, places in STEPS.items():
        for module_name, attr in places:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner: Any = module
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            if owner is None or not hasattr(owner, name):
                continue
            setattr(owner, name, _timed(getattr(owner, name), totals, step))
            break
        else:
            missing.append(step)
    return missing


def main() -> int:
    out = Path(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    sys.path.insert(0, str(ROOT))
    imported = time.perf_counter()
    totals: dict[str, float] = {}
    missing = patch(totals)
    imports_s = time.perf_counter() - imported
    from scanner.cli.main import main as cli_main

    w, c = time.perf_counter(), time.process_time()
    code = cli_main(argv)
    totals["main wall"] = time.perf_counter() - w
    totals["main cpu"] = time.process_time() - c
    totals["imports wall"] = imports_s
    totals["script wall"] = time.perf_counter() - T0
    out.write_text(json.dumps({"totals": totals, "missing": missing, "code": code}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
