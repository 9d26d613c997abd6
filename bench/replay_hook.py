"""Replay real commits of a repository as staged commits: does the hook's fast path decide them, and
does it give the full path's answer on each?

    .venv/bin/python bench/replay_hook.py /work/.mirror/mindee+mindee-api-python/repo [--commits 300] [--compare]

A shared clone of the repository in a temp dir; for each of its last non-merge commits, HEAD is set to
the commit's first parent and the index and work tree to the commit (`git read-tree -m -u`), as a
developer's `git add` leaves them before `git commit`. Then, in this process, the fast path is asked
(`scanner.app.quickstaged.clean_commit`); with `--compare`, both hook entries (`staged` and
`pre-commit`) also run as the installed CLI, as shipped and with the fast path off (MINDEE_SCAN_NO_CACHE,
which it needs), and exit code, stdout (the summary's duration aside) and stderr must be the same.
Prints the share of commits the fast path decides, and every difference (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import GIT_ENV, ROOT


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


def _scrub(text: str) -> str:
    return re.sub(r" in \d+\.\d\ds", " in Ns", text)


def stage_commit(clone: Path, rev: str) -> None:
    """HEAD at the commit's first parent, index and work tree at the commit: what it staged."""
    git(clone, "reset", "-q", "--hard")
    git(clone, "clean", "-qfdx")
    git(clone, "checkout", "-q", "--detach", f"{rev}^")
    git(clone, "read-tree", "-m", "-u", "HEAD", rev)


def fast_decides(clone: Path) -> bool:
    from scanner.app.quickstaged import clean_commit

    here = os.getcwd()
    os.chdir(clone)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return clean_commit([], quiet=True) == 0
    finally:
        os.chdir(here)


def cli_answers(clone: Path, scanner: Path, fast: bool) -> list[tuple[int, str, str]]:
    env = dict(GIT_ENV)
    if not fast:
        env["MINDEE_SCAN_NO_CACHE"] = "1"
    out = []
    for entry in ("staged", "pre-commit"):
        proc = subprocess.run([scanner, entry], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
        out.append((proc.returncode, _scrub(proc.stdout), proc.stderr))
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", type=Path)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--compare", action="store_true", help="also run both CLI entries with and without the fast path")
    ap.add_argument("--scanner", type=Path, default=ROOT / ".venv" / "bin" / "mindee-scan")
    args = ap.parse_args()
    revs = git(args.repo, "rev-list", "--no-merges", "-n", str(args.commits), "HEAD").split()
    decided = differ = 0
    with tempfile.TemporaryDirectory(prefix="replay-hook-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(args.repo), str(clone)], check=True)
        for rev in revs:
            if len(git(clone, "rev-list", "--parents", "-n", "1", rev).split()) < 2:
                continue  # a root commit: nothing to stand on
            stage_commit(clone, rev)
            took = fast_decides(clone)
            decided += took
            if args.compare:
                fast, full = cli_answers(clone, args.scanner, True), cli_answers(clone, args.scanner, False)
                if fast != full:
                    differ += 1
                    print(f"DIFFERENT {rev}: fast {fast!r}\n  full {full!r}")
                codes = sorted({code for code, _, _ in full})
                print(f"{rev[:10]} decided={took} exit={codes}", flush=True)
    print(f"{args.repo}: {decided} of {len(revs)} commits decided by the fast path ({100 * decided / len(revs):.0f}%)")
    if args.compare:
        print(f"fast == full on {len(revs) - differ} of {len(revs)} commits, both entries")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
