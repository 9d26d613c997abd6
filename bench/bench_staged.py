"""Pre-commit hook latency, hyperfine style: median wall time of a staged scan of a typical commit.

    .venv/bin/python bench/bench_staged.py [--runs 20]

Builds a throwaway repository (a few hundred files of history) in a temp dir, stages a typical
commit (3 files, 50 added lines, clean), then times, interleaved after warm-up runs:
`mindee-scan staged`, the pre-commit framework's entry `mindee-scan pre-commit <files>`, the
install-hook entry `python -m scanner.hookrun pre-commit`,
`betterleaks git --staged`, `detect-secrets-hook <files>` (what pre-commit runs),
`kingfisher scan . --staged`, and the floors `git diff --cached -U0` and `python -c pass`.
With `--replay MIRROR [--commit REV]` the staged commit is a real one of that repository instead (e.g. a
Mindee client's: the word `mindee` in every file). With `--baseline V2` the hook entries and
`python -c pass` of a second venv (a wheel of main: the before figure) run in the same rounds.
Target (issue 18): every mindee-scan hook entry <= 3x a bare `python -c pass` of the same venv,
measured interleaved in the same run; printed per round (each round runs every command once, so one
noisy moment hits both) and as the median of those ratios, for wall time and for CPU time (user + sys,
which the other jobs on a shared machine disturb less; this VM exposes no instruction counters).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BETTERLEAKS, GIT_ENV, KINGFISHER, ROOT, Run, chosen, measure, ratio_line

VENV_BIN = ROOT / ".venv" / "bin"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True)


def build_repo(repo: Path, with_key: bool) -> list[str]:
    """A small project with history, and a typical staged commit: 3 files, 50 added lines."""
    git(repo, "init", "-q", "-b", "main")
    src = ROOT / "scanner"
    for i, p in enumerate(sorted(src.rglob("*.py"))):
        dst = repo / "pkg" / p.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(p.read_text())
        if i % 10 == 9:
            git(repo, "add", ".")
            git(repo, "commit", "-q", "-m", f"import {i}")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "import rest", "--allow-empty")
    staged = ["pkg/feature.py", "pkg/util.py", "README.md"]
    (repo / "pkg" / "feature.py").write_text("".join(f"def feature_{i}(x):\n    return x + {i}\n" for i in range(10)))
    (repo / "pkg" / "util.py").write_text("".join(f"CONSTANT_{i} = {i * 7}\n" for i in range(15)))
    readme = "".join(f"Line {i} of the documentation.\n" for i in range(15))
    if with_key:
        from tests.testing.keys import v2_key

        readme += f"MINDEE_V2_API_KEY={v2_key()}\n"
    (repo / "README.md").write_text(readme)
    git(repo, "add", *staged)
    return staged


def replay_commit(repo: Path, mirror: Path, rev: str | None) -> list[str]:
    """A shared clone of `mirror` with a real commit staged (HEAD at its parent, index and work tree at
    it); without `rev`, the newest non-merge commit that changes 2-4 files and adds 20-100 lines."""
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(repo)], check=True)
    if rev is None:
        log = subprocess.run(
            ["git", "log", "--no-merges", "--format=@%H", "--numstat", "-n", "500"],
            cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        for block in log.split("@")[1:]:
            sha, *rows = [line for line in block.splitlines() if line]
            added = [int(r.split("\t")[0]) for r in rows if r.split("\t")[0].isdigit()]
            if 2 <= len(rows) <= 4 and len(added) == len(rows) and 20 <= sum(added) <= 100:
                rev = sha
                break
        if rev is None:
            raise SystemExit(f"no commit of 2-4 files and 20-100 added lines in {mirror}")
    git(repo, "checkout", "-q", "--detach", f"{rev}^")
    git(repo, "read-tree", "-m", "-u", "HEAD", rev)
    names = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout.split()
    print(f"replayed {rev} of {mirror}: {len(names)} files staged")
    return names


def main() -> int:
    sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--with-key", action="store_true", help="stage a synthetic Mindee key too (hook blocks)")
    ap.add_argument("--only", action="append", help="run only these tools (repeatable)")
    ap.add_argument(
        "--venv",
        type=Path,
        default=ROOT / ".venv",
        help="venv whose mindee-scan to time (e.g. bench/work/venv: a wheel install, without the editable finder)",
    )
    ap.add_argument(
        "--baseline",
        type=Path,
        help="a second venv (e.g. a wheel of main) whose hook entries and `python -c pass` run in the same rounds",
    )
    ap.add_argument("--replay", type=Path, help="stage a real commit of this repository (e.g. a Mindee client mirror)")
    ap.add_argument("--commit", help="with --replay: the commit to stage (default: a recent 2-4 file commit)")
    args = ap.parse_args()
    args.venv = args.venv.resolve()  # the tools run with the temp repository as cwd
    base = args.baseline.resolve() if args.baseline else None
    with tempfile.TemporaryDirectory(prefix="bench-staged-") as tmp:
        repo = Path(tmp)
        if args.replay:
            repo = repo / "replay"
            files = replay_commit(repo, args.replay.resolve(), args.commit)
        else:
            files = build_repo(repo, args.with_key)
        cmds: dict[str, list[str | os.PathLike[str]]] = {
            "mindee-scan staged": [args.venv / "bin" / "mindee-scan", "staged"],
            # What .pre-commit-hooks.yaml runs (the framework passes the staged files), and what the
            # git hook written by `mindee-scan install-hook` runs.
            "mindee-scan pre-commit FILES": [args.venv / "bin" / "mindee-scan", "pre-commit", *files],
            "install-hook entry": [args.venv / "bin" / "python", "-m", "scanner.hookrun", "pre-commit"],
            "betterleaks git --staged": [BETTERLEAKS, "git", "--staged", "--no-banner", "--no-color", "."],
            "detect-secrets-hook": [VENV_BIN / "detect-secrets-hook", *files],
            "kingfisher --staged": [KINGFISHER, "scan", ".", "--staged", "--no-validate", "--no-update-check"],
            "floor: git diff --cached -U0": ["git", "diff", "--cached", "-U0"],
            "floor: python -c pass": [args.venv / "bin" / "python", "-c", "pass"],
        }
        cmds = chosen(cmds, args.only)
        if base is not None:  # before/after in one run: each round runs both venvs' entries
            cmds |= {
                "baseline: mindee-scan staged": [base / "bin" / "mindee-scan", "staged"],
                "baseline: mindee-scan pre-commit FILES": [base / "bin" / "mindee-scan", "pre-commit", *files],
                "baseline: install-hook entry": [base / "bin" / "python", "-m", "scanner.hookrun", "pre-commit"],
                "baseline: python -c pass": [base / "bin" / "python", "-c", "pass"],
            }
        runs: dict[str, list[Run]] = {k: [] for k in cmds}
        for _ in range(args.warmup):
            for name, argv in cmds.items():
                measure(name, argv, cwd=repo, env=GIT_ENV, sample_ms=None)
        for _ in range(args.runs):
            for name, argv in cmds.items():
                runs[name].append(measure(name, argv, cwd=repo, env=GIT_ENV, sample_ms=None))
        lines = "replayed" if args.replay else "50 lines"
        print(f"staged commit: {len(files)} files, {lines}; {args.runs} runs each after {args.warmup} warm-up runs")
        print(f"{'tool':<32} {'median ms':>10} {'min ms':>8} {'stdev ms':>9} {'cpu ms':>7} {'RSS MB':>7} {'rc':>4}")
        medians: dict[str, float] = {}
        for name, rs in runs.items():
            walls = [r.wall_s * 1000 for r in rs]
            medians[name] = statistics.median(walls)
            cpu = statistics.median(r.cpu_s * 1000 for r in rs)
            rss = max(r.max_rss_mb for r in rs)
            codes = sorted({r.returncode for r in rs})
            print(
                f"{name:<32} {medians[name]:10.1f} {min(walls):8.1f} {statistics.pstdev(walls):9.1f} {cpu:7.0f}"
                f" {rss:7.1f} {','.join(map(str, codes)):>4}"
            )
            if any(r.returncode not in (0, 1) for r in rs):
                print("   " + rs[-1].stderr.decode(errors="replace")[-600:].replace("\n", "\n   "))
        ours = medians.get("mindee-scan staged")
        if ours:
            print("\nratios (peer median / mindee-scan median; >1 = mindee-scan is faster):")
            for name, value in medians.items():
                if name != "mindee-scan staged":
                    print(f"  {name:<32} x{value / ours:5.2f}")
        entries = ("mindee-scan staged", "mindee-scan pre-commit FILES", "install-hook entry")
        for prefix, names in (("floor: ", entries), ("baseline: ", tuple("baseline: " + n for n in entries))):
            floor = runs.get(prefix + "python -c pass")
            if not floor:
                continue
            print(f"\neach {prefix}hook entry / `python -c pass` of the same venv, round by round (target <= 3):")
            for name in names:
                if name not in runs:
                    continue
                for what, attr in (("wall", "wall_s"), ("CPU ", "cpu_s")):
                    ratios = [
                        getattr(a, attr) / max(getattr(b, attr), 1e-9) for a, b in zip(runs[name], floor, strict=True)
                    ]
                    print("  " + ratio_line(f"{name:<30} {what}", ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
