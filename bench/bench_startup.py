"""Start-up cost: what every hook run and small scan pays before reading a byte.

    .venv/bin/python bench/bench_startup.py [--runs 20] [--venv bench/work/venv]

Times `python -c pass`, `mindee-scan --help`, a one-file `dir` scan with the rules cache warm and
with it disabled (MINDEE_SCAN_NO_CACHE=1: PyYAML import, rule parsing and validation, Hyperscan
compile on every run), and `import click, yaml, git` for scale. Median and min wall, median CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, Run, measure


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = ap.parse_args()
    args.venv = args.venv.resolve()  # the tools run with the temp repository as cwd
    bin_ = args.venv / "bin"
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        target = Path(tmp) / "tree"
        target.mkdir()
        (target / "app.py").write_text("import os\n\nAPI_URL = 'https://api-v2.mindee.net'\n" * 20)
        cache = Path(tmp) / "cache"
        warm = {**os.environ, "MINDEE_SCAN_CACHE_DIR": str(cache)}
        cold = {**warm, "MINDEE_SCAN_NO_CACHE": "1"}
        cases: list[tuple[str, list[str | os.PathLike[str]], dict[str, str]]] = [
            ("python -c pass", [bin_ / "python", "-c", "pass"], warm),
            ("python -c 'import click, yaml, git'", [bin_ / "python", "-c", "import click, yaml, git"], warm),
            ("mindee-scan --help", [bin_ / "mindee-scan", "--help"], warm),
            ("mindee-scan dir (1 file, cache warm)", [bin_ / "mindee-scan", "dir", target], warm),
            ("mindee-scan dir (1 file, no cache)", [bin_ / "mindee-scan", "dir", target], cold),
        ]
        measure("fill cache", [bin_ / "mindee-scan", "dir", target], env=warm)
        runs: dict[str, list[Run]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):
            for name, argv, env in cases:
                runs[name].append(measure(name, argv, env=env, sample_ms=None))
    print(f"{args.runs} runs each, interleaved; venv {args.venv}")
    print(f"{'case':<42} {'median ms':>10} {'min ms':>8} {'cpu ms':>7} {'rc':>4}")
    for name, rs in runs.items():
        walls = [r.wall_s * 1000 for r in rs]
        cpu = statistics.median(r.cpu_s * 1000 for r in rs)
        codes = ",".join(str(c) for c in sorted({r.returncode for r in rs}))
        print(f"{name:<42} {statistics.median(walls):10.1f} {min(walls):8.1f} {cpu:7.0f} {codes:>4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
