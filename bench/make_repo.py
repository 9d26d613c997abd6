"""Build the history benchmark repository: a copy of a real repository plus commits with planted keys.

    .venv/bin/python bench/make_repo.py [--source /work/.mirror/psf+requests/repo]

The source is a repository brought in with the search tool's `fetch` verb (kept out of the project);
the copy (every ref, as a mirror clone has them, plus a checkout) lands in
bench/work/history (gitignored). Planted keys are synthetic (tests/keys.py), one
still at the tip of a branch and one added then deleted, and listed in bench/work/history-planted.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from harness import GIT_ENV  # noqa: E402
from make_tree import aws_pair, github_pat  # noqa: E402

from tests.testing import keys  # noqa: E402

DEFAULT_SOURCE = Path("/work/.mirror/psf+requests/repo")


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


def plant(repo: Path) -> list[dict[str, str]]:
    planted: list[dict[str, str]] = []
    head = git("--git-dir", str(repo), "symbolic-ref", "--short", "HEAD").strip()
    with tempfile.TemporaryDirectory() as tmp:
        wt = Path(tmp) / "wt"
        git("--git-dir", str(repo), "worktree", "add", "-q", "-b", "bench-planted", str(wt), head)
        v2, v1, pat = keys.v2_key(), keys.v1_key(), github_pat()
        key_id, secret = aws_pair()
        (wt / "bench_settings.py").write_text(f'MINDEE_V2_API_KEY = "{v2}"\nGITHUB_TOKEN = "{pat}"\n')
        git("add", "bench_settings.py", cwd=wt)
        git("commit", "-q", "-m", "add settings", cwd=wt)
        (wt / "bench_legacy.ini").write_text(
            f"[mindee]\nMINDEE_API_KEY = {v1}\n[aws]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        )
        git("add", "bench_legacy.ini", cwd=wt)
        git("commit", "-q", "-m", "add legacy config", cwd=wt)
        git("rm", "-q", "bench_legacy.ini", cwd=wt)
        git("commit", "-q", "-m", "remove legacy config", cwd=wt)
        git("--git-dir", str(repo), "worktree", "remove", "--force", str(wt))
    planted += [
        {"secret": v2, "kind": "mindee"},
        {"secret": v1, "kind": "mindee"},
        {"secret": pat, "kind": "generic"},
        {"secret": key_id, "kind": "generic"},
    ]
    return planted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--dest", type=Path, default=HERE / "work" / "history")
    args = ap.parse_args()
    if not args.source.exists():
        sys.exit(f"{args.source}: missing; fetch a public repository first (see bench/README.md)")
    if args.dest.exists():
        shutil.rmtree(args.dest)
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    git_dir = args.dest / ".git"
    # A mirror clone keeps every ref (pull-request refs included); then give it a working tree.
    git("clone", "-q", "--mirror", str(args.source), str(git_dir))
    git("--git-dir", str(git_dir), "config", "--bool", "core.bare", "false")
    git("reset", "-q", "--hard", cwd=args.dest)
    planted = plant(git_dir)
    out = args.dest.parent / "history-planted.json"
    out.write_text(json.dumps(planted, indent=1))
    os.chmod(out, 0o600)
    commits = git("--git-dir", str(git_dir), "rev-list", "--all", "--count").strip()
    print(f"{args.dest}: {commits} commits, {len(planted)} keys planted ({out})")


if __name__ == "__main__":
    main()
