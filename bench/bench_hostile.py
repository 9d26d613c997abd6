"""Time and peak memory of `mindee-scan` on hostile inputs, each at two sizes, to show linear growth.

Rows (issue 13): the base64 run bomb at n = 100, 1,000 and 10,000 runs; 16,000 findings on one line;
15,000 and 30,000 findings in one file rendered to JSON, SARIF, JSON Lines and GitLab; a single-line file
of 15 and 60 MB; 4 and 8 files of 30,000 keys each (`dir`); a history of 4 and 8 commits, each a new
30,000-key version of one file (`git`). The last two rows are over the per-scan findings cap (20,000):
their memory must stay flat while the work grows. Dense hits (`md_` and `bWRf` repeated, a near-miss
token repeated, random lowercase keys, legacy hex after its name, `Authorization: Token` lines): CPU
per MB must stay small and constant.
Each input is generated under bench/work/hostile (synthetic keys from `secrets`, never real ones) and
scanned by the real CLI (`dir PATH` or `git PATH`), measured by bench/harness.py (wall, CPU, peak RSS).
`ratio` is time (or memory) at the larger size over the smaller: linear growth keeps the time ratio
near the size ratio; quadratic growth would square it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import GIT_ENV, MINDEE_SCAN, ROOT, Run, measure

WORK = ROOT / "bench" / "work" / "hostile"
_ALNUM = string.ascii_letters + string.digits


def _md_key() -> str:
    while True:
        body = "".join(secrets.choice(_ALNUM) for _ in range(32))
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return "md_" + body


def b64_bomb(n: int) -> bytes:
    return (("bWRf" * 6 + " ") * n + "\n").encode()


def findings_on_a_line(n: int) -> bytes:
    return (" ".join(f"MINDEE_API_KEY={secrets.token_hex(16)[:31]}" for _ in range(n)) + "\n").encode()


def findings_in_a_file(n: int) -> bytes:
    return "".join(f"k{i} = '{_md_key()}'\n" for i in range(n)).encode()


def many_files(n: int, path: str) -> None:
    """`n` files of 30,000 keys each (each under the 2 MiB whole-file size): 30,000 x n findings."""
    os.makedirs(path)
    for i in range(n):
        Path(path, f"keys{i}.py").write_bytes(findings_in_a_file(30_000))


def history_blobs(n: int, path: str) -> None:
    """A repository of `n` commits, each a new version of one file holding 30,000 fresh keys."""
    subprocess.run(["git", "init", "-q", path], check=True, env=GIT_ENV)
    for i in range(n):
        Path(path, "keys.py").write_bytes(findings_in_a_file(30_000))
        subprocess.run(["git", "-C", path, "add", "keys.py"], check=True, env=GIT_ENV)
        subprocess.run(["git", "-C", path, "commit", "-q", "-m", f"v{i}"], check=True, env=GIT_ENV)


def single_line(size: int) -> bytes:
    """One line of words, numbers and base64-looking runs, with a key every 64 KB: no newline at all."""
    words = [
        "".join(secrets.choice(string.ascii_lowercase) for _ in range(secrets.randbelow(9) + 2)) for _ in range(512)
    ]
    parts: list[str] = []
    length = 0
    while length < size:
        piece = " ".join(secrets.choice(words) for _ in range(8000))
        piece += f" MINDEE_V2_API_KEY={_md_key()} "
        parts.append(piece)
        length += len(piece)
    return "".join(parts)[:size].encode()


def _lower(n: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def md_line(size: int) -> bytes:
    """`md_` repeated on one line: a prefilter hit every 3 bytes (issue 13, dense hits)."""
    return b"md_" * (size // 3)


def b64_run(size: int) -> bytes:
    """`bWRf` (base64 of `md_`) repeated: a base64 fragment every 4 bytes, one run."""
    return b"bWRf" * (size // 4)


def near_miss_line(size: int) -> bytes:
    """One `md_` + 31-character token repeated on a line: a rule match every 35 bytes."""
    return (("md_" + _lower(31) + " ") * (size // 35)).encode()


def lower_keys(n: int) -> bytes:
    """Random lowercase `md_` keys, one a line: each judged by the filters (and reported)."""
    return "".join(f"k{i} = 'md_{_lower(32)}'\n" for i in range(n)).encode()


def hex_near_name(n: int) -> bytes:
    """`MINDEE_API_KEY <32 hex>` pairs on one line: legacy-key candidates back to back."""
    return " ".join(f"MINDEE_API_KEY {secrets.token_hex(16)}" for _ in range(n)).encode()


def auth_lines(n: int) -> bytes:
    """`Authorization: Token <hex>` lines in a file that talks to Mindee."""
    return ("import mindee\n" + "".join(f"Authorization: Token {secrets.token_hex(16)}\n" for _ in range(n))).encode()


ROWS: list[tuple[str, Callable[..., bytes | None], list[int], str, str]] = [
    # (name, generator, sizes, unit, format); a generator taking a path makes a tree (`dir`) or a repository
    ("base64 run bomb", b64_bomb, [100, 1_000, 10_000], "runs", "json"),
    ("findings on one line", findings_on_a_line, [4_000, 16_000], "keys", "json"),
    ("findings in one file", findings_in_a_file, [15_000, 30_000], "keys", "json"),
    ("findings in one file", findings_in_a_file, [15_000, 30_000], "keys", "sarif"),
    ("findings in one file", findings_in_a_file, [15_000, 30_000], "keys", "jsonl"),
    ("findings in one file", findings_in_a_file, [15_000, 30_000], "keys", "gitlab"),
    ("single-line file", single_line, [15 * 1024 * 1024, 60 * 1024 * 1024], "bytes", "json"),
    ("files of 30,000 keys", many_files, [4, 8], "files", "json"),
    ("history of 30,000-key blobs", history_blobs, [4, 8], "commits", "json"),
    # Dense hits (issue 13, gap 2): each should cost a small constant per byte.
    ("dense: md_ line", md_line, [16 * 1024 * 1024, 64 * 1024 * 1024], "bytes", "json"),
    ("dense: bWRf run", b64_run, [16 * 1024 * 1024, 64 * 1024 * 1024], "bytes", "json"),
    ("dense: near-miss token", near_miss_line, [4 * 1024 * 1024, 16 * 1024 * 1024], "bytes", "json"),
    ("dense: lowercase md_ keys", lower_keys, [5_000, 20_000], "keys", "json"),
    ("dense: hex after name", hex_near_name, [4_000, 16_000], "keys", "json"),
    ("dense: Authorization lines", auth_lines, [5_000, 20_000], "keys", "json"),
]
_TREES = {many_files: "dir", history_blobs: "git"}


def _label(n: int, unit: str) -> str:
    return f"{n // (1024 * 1024)} MB" if unit == "bytes" else f"{n:,} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only rows whose name contains this")
    parser.add_argument("--make", nargs=3, metavar=("GENERATOR", "N", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        generator, n, path = args.make
        make = globals()[generator]
        if make in _TREES:
            make(int(n), path)
        else:
            Path(path).write_bytes(make(int(n)))
        return 0
    WORK.mkdir(parents=True, exist_ok=True, mode=0o700)
    print(f"{'input':<28} {'format':<6} {'size':>12} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11} {'ratio':>28}")
    for name, make, sizes, unit, fmt in ROWS:
        if args.only and not any(o in name for o in args.only):
            continue
        previous: tuple[int, Run] | None = None
        for n in sizes:
            path = WORK / (f"{make.__name__}-{n}" if make in _TREES else f"{make.__name__}-{n}.txt")
            if not path.exists():
                # Made in a child process: a forked child's peak RSS starts from its parent's, so
                # generating 60 MB here would be charged to every scan measured after it.
                subprocess.run([sys.executable, __file__, "--make", make.__name__, str(n), str(path)], check=True)
            command = _TREES.get(make, "dir")
            run = measure(name, [MINDEE_SCAN, command, path, "--format", fmt], sample_ms=None)
            if run.returncode not in (0, 1):
                print(f"{name}: exit {run.returncode}: {run.stderr.decode(errors='replace')[-500:]}")
                return 2
            ratio = ""
            if previous is not None:
                pn, prun = previous
                ratio = (
                    f"x{n / pn:g}: wall x{run.wall_s / max(prun.wall_s, 1e-9):.1f}"
                    f" cpu x{run.cpu_s / max(prun.cpu_s, 1e-9):.1f}"
                )
            print(
                f"{name:<28} {fmt:<6} {_label(n, unit):>12} {run.wall_s:8.2f} {run.cpu_s:8.2f} "
                f"{run.max_rss_mb:11.0f} {ratio:>28}",
                flush=True,
            )
            previous = (n, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
