"""One history worker (`app/objectscan._scan_share`) over a slice of a mirror's objects in pack order,
in this process: its own CPU and its `cat-file`'s, separately, and a digest of what it found.

    .venv/bin/python bench/history_worker.py --repo /work/.mirror/git+git/repo [--start 0] [--count 100000]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/history_worker.py ...   # another version

The slice is taken from `cat-file --batch-all-objects --batch-check --unordered` (the listing the scan
uses), commits, tags and blobs only. Run two versions alternately to compare them: the digest must
match. `--read-only` reads the objects without scanning them; `--profile FILE` writes a cProfile of
the worker's CPU time (threads other than the worker's are not in it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.app import objectscan
from scanner.app.detector import history_detector
from scanner.config import DEFAULT_MAX_FILE_SIZE, Config
from scanner.detect.findings import FindingBuilder
from scanner.sources.git.gitio import Git
from scanner.sources.git.objects import GitObject


class _Flag:
    value = 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/git+git/repo")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--read-only", action="store_true")
    ap.add_argument("--profile", default="")
    a = ap.parse_args()
    listing = subprocess.run(
        ["git", "-C", a.repo, "cat-file", "--batch-all-objects", "--unordered",
         "--batch-check=%(objecttype) %(objectname) %(objectsize)"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    objects = []
    for raw in listing.splitlines():
        kind, sha, size = raw.decode().split()
        if kind in ("blob", "commit", "tag") and not (kind == "blob" and int(size) > DEFAULT_MAX_FILE_SIZE):
            objects.append(GitObject(sha, kind, int(size)))
    objects = objects[a.start : a.start + a.count]
    builder = FindingBuilder(history_detector(Config(), True))
    builder.from_bytes(b"warm up: mindee api key", "x")
    chunks = objectscan._chunks(objects)
    shared = objectscan._Shared(
        git=Git(a.repo), builder=builder, chunks=chunks, claims=objectscan._ChunkClaims(len(chunks)),
        counters=[[0, 0]], found=_Flag(), walking=_Flag(),
    )  # fmt: skip
    before = os.times()
    out: Any = None
    if a.read_only:
        for _ in objectscan._objects(shared, 0, lambda o, r: None):
            pass
    elif a.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        out = objectscan._scan_share(0, shared)
        profiler.disable()
        profiler.dump_stats(a.profile)
    else:
        out = objectscan._scan_share(0, shared)
    after = os.times()
    digest = ""
    if out is not None:
        h = hashlib.sha256()
        for sha in sorted(out.blob_hits):
            h.update(sha.encode() + repr([(f.rule.id, f.secret.hash) for f in out.blob_hits[sha]]).encode())
        for hits in (out.message_hits, out.tag_hits):
            for sha in sorted(hits):
                h.update(sha.encode() + repr([(f.rule.id, f.secret.hash) for f in hits[sha][0]]).encode())
        h.update(repr((sorted(out.unread), out.commits, out.tags, out.stats.files_scanned)).encode())
        h.update(repr((out.stats.bytes_scanned, out.stats.binary_files, sorted(out.stats.skipped))).encode())
        digest = h.hexdigest()[:16]
    own = after.user - before.user + after.system - before.system
    git = after.children_user - before.children_user + after.children_system - before.children_system
    size = round(sum(o.size for o in objects) / 1e6)
    row = {"objects": len(objects), "MB": size, "python_cpu": round(own, 2), "git_cpu": round(git, 2)}
    print(json.dumps({**row, "digest": digest}))


if __name__ == "__main__":
    main()
