"""Directory scan, side by side in one run: mindee-scan dir vs betterleaks and Kingfisher (+ the `cat` floor).

    .venv/bin/python bench/make_tree.py            # once: bench/work/tree, ~300 MB + planted keys
    .venv/bin/python bench/bench_dir.py            # 3 interleaved rounds, median per tool

Prints wall, CPU (user+sys incl. children), peak RSS and MB/s per tool, ratios of mindee-scan against
each peer, and which planted keys each tool reported (a tool that misses its own kind of key fails).

Issue 18's rows, one run each: the 300 MB tree, and the git/git HEAD tree (an export of the mirror's
HEAD, without .git: `git -C /work/.mirror/git+git/repo archive HEAD | tar -x -C bench/work/gitgit-head`):

    .venv/bin/python bench/bench_dir.py --rounds 5
    .venv/bin/python bench/bench_dir.py --rounds 5 --tree bench/work/gitgit-head

Targets (issue 18): >= 6x faster than both peers (per-round ratios printed, wall and CPU), <= 150 MB
(the whole process tree's sampled PSS, workers included).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    MINDEE_SCAN,
    ROOT,
    Argv,
    chosen,
    compile_bytecode,
    finish,
    interleaved,
    peer_commands,
    per_round,
    print_round,
    print_table,
    pss_breakdown,
    ratio_line,
    reset_reports,
    tree_size,
    warm_cache,
)

OUT = ROOT / "bench" / "out"


def commands(
    tree: Path, jobs: int | None, fallback: bool, baseline: Path | None = None, exe: Path = MINDEE_SCAN
) -> dict[str, Argv]:
    def scan(binary: Path, report: str) -> Argv:
        argv: Argv = [binary, "dir", tree, "--format", "json", "--show-secrets", "-o", OUT / report]
        return argv + (["--jobs", str(jobs)] if jobs is not None else [])

    ours = scan(exe, REPORTS["mindee-scan"])
    cmds: dict[str, Argv] = {
        "mindee-scan": ours,
        # Another build (e.g. main before a change, in its own venv), timed in the same rounds.
        **({BASELINE: scan(baseline, REPORTS[BASELINE])} if baseline else {}),
        **peer_commands("fs", tree, OUT, REPORTS),
        "floor: cat every file": ["sh", "-c", f"find '{tree}' -type f -print0 | xargs -0 cat > /dev/null"],
    }
    if fallback:
        cmds["mindee-scan (pure-Python prefilter)"] = [*scan(exe, "ours-py.json"), "--no-hyperscan"]
    return cmds


BASELINE = "mindee-scan (baseline)"
REPORTS = {
    "mindee-scan": "ours.json",
    BASELINE: "baseline.json",
    "mindee-scan (pure-Python prefilter)": "ours-py.json",
    "betterleaks": "betterleaks.json",
    "kingfisher": "kingfisher.json",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", type=Path, default=ROOT / "bench" / "work" / "tree")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="pass --jobs to mindee-scan")
    ap.add_argument("--fallback", action="store_true", help="also time the pure-Python prefilter")
    ap.add_argument("--only", action="append", help="run only these tools (repeatable)")
    ap.add_argument("--baseline", type=Path, help="also time this mindee-scan executable (before/after, one run)")
    ap.add_argument("--exe", type=Path, default=MINDEE_SCAN, help="the mindee-scan to time (e.g. a wheel venv's)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    if not args.tree.is_dir():
        print(f"{args.tree}: missing; run bench/make_tree.py first", file=sys.stderr)
        return 2
    reset_reports(REPORTS, OUT)
    compile_bytecode()
    files, size = tree_size(args.tree)
    print(f"tree {args.tree}: {files} files, {size / 1e6:.1f} MB; {os.cpu_count()} CPUs; {args.rounds} rounds")
    warm_cache(args.tree)
    cmds = commands(args.tree, args.jobs, args.fallback, args.baseline, args.exe)
    cmds = chosen(cmds, args.only)
    medians = interleaved(cmds, args.rounds, print_round)
    ours = print_table(medians, size, cmds)
    if ours:
        print()
        for peer in ("betterleaks", "kingfisher", "floor: cat every file", BASELINE):
            target = "target >= 6" if peer in ("betterleaks", "kingfisher") else ""
            print(ratio_line(f"{peer} / mindee-scan, wall", per_round(medians, peer, "mindee-scan"), target))
            print(ratio_line(f"{peer} / mindee-scan, CPU ", per_round(medians, peer, "mindee-scan", "cpus")))
        print(f"mindee-scan memory (target <= 150 MB): process tree {ours.tree_pss_mb:.0f} MB PSS"
              f" ({ours.tree_rss_mb:.0f} MB summed RSS), largest process {ours.max_rss_mb:.0f} MB RSS;"
              f" at the peak: {pss_breakdown(ours)}")  # fmt: skip
    made_tree = args.tree.resolve() == (ROOT / "bench" / "work" / "tree").resolve()
    planted_file = args.tree.parent / "planted.json" if made_tree else None  # make_tree.py's keys, in its tree only
    finish(medians, planted_file, REPORTS, OUT, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
