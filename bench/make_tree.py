"""Build the directory benchmark tree: real source copied from installed Python packages, plus planted keys.

The tree lands in bench/work/tree (gitignored). Planted keys are synthetic (tests/keys.py and `secrets`),
made at run time and listed in bench/work/planted.json so bench_dir.py can check every tool found them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import string
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.testing import keys  # noqa: E402

TEXT_SUFFIXES = {
    ".py", ".pyi", ".pyx", ".pxd", ".c", ".h", ".cc", ".cpp", ".hpp", ".js", ".ts", ".json", ".txt", ".md",
    ".rst", ".html", ".css", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".xml", ".sh", ".in", ".csv",
}  # fmt: skip
_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def default_sources() -> list[Path]:
    base = Path.home() / ".pyenv" / "versions"
    found = [
        base / "3.11.7" / "lib" / "python3.11" / "site-packages",
        base / "3.12.1" / "lib" / "python3.12",
        base / "3.13.0" / "lib" / "python3.13",
        Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages",
    ]
    return [p for p in found if p.is_dir()]


def copy_sources(sources: list[Path], dest: Path, budget: int) -> tuple[int, int]:
    total = files = 0
    for si, src in enumerate(sources):
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git"))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if p.suffix not in TEXT_SUFFIXES or p.is_symlink():
                    continue
                size = p.stat().st_size
                if size > 5_000_000:
                    continue
                target = dest / f"src{si}" / p.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, target)
                total += size
                files += 1
                if total >= budget:
                    return total, files
    return total, files


def github_pat() -> str:
    """ghp_ + 30 random + 6-character base62 CRC32 checksum: the shape GitHub issues and scanners check."""
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(30))
    crc = zlib.crc32(body.encode())
    digits = ""
    while crc:
        crc, r = divmod(crc, 62)
        digits = _B62[r] + digits
    return "ghp_" + body + digits.rjust(6, "0")


def aws_pair() -> tuple[str, str]:
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return key_id, secret


def plant(dest: Path) -> list[dict[str, str]]:
    """Plant keys in files spread over the tree; returns what each tool is expected to find."""
    planted: list[dict[str, str]] = []
    spots = sorted(p for p in dest.rglob("*") if p.is_dir())
    step = max(1, len(spots) // 12)
    chosen = spots[::step][:12]

    def put(i: int, name: str, text: str, secret: str, kind: str) -> None:
        path = chosen[i % len(chosen)] / name
        path.write_text(text)
        planted.append({"path": str(path.relative_to(dest)), "secret": secret, "kind": kind})

    for i in range(3):
        k = keys.v2_key()
        put(i, f"settings_{i}.py", f'import os\n\nMINDEE_V2_API_KEY = "{k}"\nTIMEOUT = 30\n', k, "mindee")
        k = keys.v2_long_key()
        put(i + 3, f"config_{i}.env", f"DEBUG=0\nMINDEE_V2_API_KEY={k}\n", k, "mindee")
        k = keys.v1_key()
        put(i + 6, f"client_{i}.js", f'const client = new Mindee({{ apiKey: "{k}" }});\n'
            f'process.env.MINDEE_API_KEY = "{k}";\n', k, "mindee")  # fmt: skip
    for i in range(3):
        pat = github_pat()
        put(i + 9, f"deploy_{i}.sh", f"#!/bin/sh\nexport GITHUB_TOKEN={pat}\ngit push\n", pat, "generic")
        key_id, secret = aws_pair()
        put(i + 1, f"aws_{i}.ini", f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
            key_id, "generic")  # fmt: skip
    return planted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=300, help="size of copied source in MB (default 300)")
    ap.add_argument("--dest", type=Path, default=HERE / "work" / "tree")
    ap.add_argument("--source", type=Path, action="append", help="source folder (repeatable)")
    args = ap.parse_args()
    if args.dest.exists():
        shutil.rmtree(args.dest)
    args.dest.mkdir(parents=True)
    total, files = copy_sources(args.source or default_sources(), args.dest, args.mb * 1_000_000)
    planted = plant(args.dest)
    out = args.dest.parent / "planted.json"
    out.write_text(json.dumps(planted, indent=1))
    os.chmod(out, 0o600)
    print(f"{args.dest}: {files} files, {total / 1e6:.0f} MB copied, {len(planted)} keys planted ({out})")


if __name__ == "__main__":
    main()
