"""History scan, side by side in one run: mindee-scan git vs betterleaks git and Kingfisher, plus the floor.

    .venv/bin/python bench/make_repo.py            # once: bench/work/history with planted keys
    .venv/bin/python bench/bench_git.py            # 3 interleaved rounds, median per tool

Two floors: `git cat-file --batch-all-objects --batch --unordered > /dev/null` (inflating every
object once, trees included) and the blobs-only floor (`--batch-check` lists the objects, the blob ids
are fed to a second `cat-file --batch`: what a scanner that skips trees must at least do). Each is one
git process per step, as git ships.

Issue 18's row, on the git/git and ansible/ansible mirrors (`fetch`ed into /work/.mirror, never copied
into the project):

    .venv/bin/python bench/bench_git.py --repo /work/.mirror/git+git/repo --only mindee-scan --only floor

Targets (issue 18): mindee-scan <= 1.25x the all-objects floor and <= 1.3x the blobs-only floor, the
whole process tree (main process, workers, their cat-file streams and the provenance walk) <= 400 MB
PSS, sampled from /proc/<pid>/smaps_rollup of every process of the tree every 20 ms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    MINDEE_SCAN,
    ROOT,
    Argv,
    Run,
    chosen,
    compile_bytecode,
    finish,
    interleaved,
    measure,
    peer_commands,
    per_round,
    print_round,
    print_table,
    pss_breakdown,
    ratio_line,
    reset_reports,
)

OUT = ROOT / "bench" / "out"
FLOOR = "floor: cat-file --batch-all-objects"
FLOOR_BLOBS = "floor: cat-file blobs only"
REPORTS = {"mindee-scan": "git-ours.json", "betterleaks": "git-betterleaks.json", "kingfisher": "git-kingfisher.json"}


def commands(repo: Path, jobs: int | None) -> dict[str, Argv]:
    ours: Argv = [MINDEE_SCAN, "git", repo, "--format", "json", "--show-secrets", "-o", OUT / REPORTS["mindee-scan"]]
    if jobs is not None:
        ours += ["--jobs", str(jobs)]
    return {
        "mindee-scan": ours,
        **peer_commands("git", repo, OUT, REPORTS),
        FLOOR: ["sh", "-c", f"git -C '{repo}' cat-file --batch-all-objects --batch --unordered > /dev/null"],
        FLOOR_BLOBS: [
            "sh",
            "-c",
            f"git -C '{repo}' cat-file --batch-all-objects --unordered --batch-check='%(objectname) %(objecttype)'"
            f" | sed -n 's/ blob$//p' | git -C '{repo}' cat-file --batch > /dev/null",
        ],
    }


def repo_facts(repo: Path) -> tuple[int, int, int]:
    """Commits, unique blobs and their total bytes (what a scanner that reads each blob once must read)."""
    import subprocess

    git = ["git", "-C", str(repo)]
    commits = int(subprocess.run([*git, "rev-list", "--all", "--count"], capture_output=True, text=True).stdout or 0)
    # Streamed, never held: the tools are started from this process, and a child's peak RSS (wait4's
    # ru_maxrss) starts from this process's own peak (the whole listing of ansible/ansible held here
    # showed up as a 364 MB peak for mindee-scan, whose largest process peaked at 277 MB).
    blobs = size = 0
    with subprocess.Popen(
        [*git, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)", "--unordered"],
        stdout=subprocess.PIPE,
    ) as listing:
        assert listing.stdout is not None
        for line in listing.stdout:
            kind, _, objsize = line.partition(b" ")
            if kind == b"blob":
                blobs += 1
                size += int(objsize)
    return commits, blobs, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=ROOT / "bench" / "work" / "history")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="pass --jobs to mindee-scan")
    ap.add_argument("--only", action="append", help="run only these tools (repeatable; the floor is 'floor')")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--no-sample", action="store_true", help="skip the extra memory-sampled run of each tool")
    args = ap.parse_args()
    if not args.repo.exists():
        print(f"{args.repo}: missing; run bench/make_repo.py first", file=sys.stderr)
        return 2
    reset_reports(REPORTS, OUT)
    compile_bytecode()
    commits, blobs, size = repo_facts(args.repo)
    print(f"repo {args.repo}: {commits} commits, {blobs} unique blobs, {size / 1e6:.1f} MB of blob content")
    measure("warm-up", commands(args.repo, None)[FLOOR])  # pack files into the page cache
    cmds = commands(args.repo, args.jobs)
    cmds = chosen(cmds, args.only)

    def show(i: int, r: Run) -> None:
        print_round(i, r)

    medians = interleaved(cmds, args.rounds, show, sample=not args.no_sample)
    ours = print_table(medians, size, cmds)
    if ours:
        print()
        for name, target in ((FLOOR, "target <= 1.25"), (FLOOR_BLOBS, "target <= 1.30")):
            print(ratio_line(f"mindee-scan / {name}, wall", per_round(medians, "mindee-scan", name), target))
            print(ratio_line(f"mindee-scan / {name}, CPU ", per_round(medians, "mindee-scan", name, "cpus")))
        print(f"mindee-scan memory (target: whole tree <= 400 MB PSS): process tree {ours.tree_pss_mb:.0f} MB PSS"
              f" ({ours.tree_rss_mb:.0f} MB summed RSS), largest process {ours.max_rss_mb:.0f} MB RSS")  # fmt: skip
        print(f"  at the PSS peak: {pss_breakdown(ours)}")
        for r in medians:
            if r.name.startswith("floor"):
                print(f"  {r.name}: {r.tree_pss_mb:.0f} MB PSS ({pss_breakdown(r)})")
    finish(medians, args.repo.parent / "history-planted.json", REPORTS, OUT, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
