"""The history scan's detection over a pack-order sample of a mirror, with and without the first pass.

    .venv/bin/python bench/prefilter_sample.py [--repo /work/.mirror/git+git/repo] [--gb 1.2] [--rounds 3]

Reads commits' messages and blobs from `git cat-file --batch-all-objects --batch --unordered` (pack
order, as the history scan's streams) until --gb of them, then runs what `app/objectscan.py` does with
them in this process, round by round, CPU time only (no git, no pool, no provenance):
- `one pass`: every group and every big text through the pass that places hits (start-of-match
  tracking), as before the first pass (`Prefilter.texts_hit` disabled);
- `first pass`: the joined groups through the first pass, big texts (over 32 KB) scanned alone;
- `first pass + big texts`: big texts through the first pass too, as `objectscan` does now.
Each variant must report the same number of findings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.config import Config
from scanner.detect.build import build_detector
from scanner.detect.findings import FindingBuilder
from scanner.sources.git.objects import commit_message

_JOIN_MAX_BYTES = 32 * 1024  # as app/objectscan.py
_JOIN_BATCH_BYTES = 512 * 1024
_JOIN_BATCH_OBJECTS = 1024


def sample(repo: Path, limit: int) -> list[bytes]:
    proc = subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        stdout=subprocess.PIPE,
        bufsize=1 << 20,
    )
    assert proc.stdout is not None
    texts: list[bytes] = []
    total = 0
    while total < limit:
        head = proc.stdout.readline()
        if not head:
            break
        _, kind, size = head.split()
        data = proc.stdout.read(int(size))
        proc.stdout.read(1)
        text = commit_message(data) if kind == b"commit" else data if kind == b"blob" else b""
        if text:
            texts.append(text)
            total += len(data)
    proc.kill()
    proc.wait()
    return texts


def run(builder: FindingBuilder, texts: list[bytes], big_first: bool) -> int:
    found = 0
    pending: list[bytes] = []
    size = 0

    def flush() -> int:
        n = sum(len(builder.from_bytes(pending[i], "x", hits)[0]) for i, hits in builder.prefilter_group(pending))
        pending.clear()
        return n

    for text in texts:
        if len(text) > _JOIN_MAX_BYTES:
            if big_first:
                found += sum(len(builder.from_bytes(text, "x", hits)[0]) for _, hits in builder.prefilter_group([text]))
            else:
                found += len(builder.from_bytes(text, "x")[0])
            continue
        pending.append(text)
        size += len(text)
        if size >= _JOIN_BATCH_BYTES or len(pending) >= _JOIN_BATCH_OBJECTS:
            found += flush()
            size = 0
    return found + flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=Path("/work/.mirror/git+git/repo"))
    ap.add_argument("--gb", type=float, default=1.2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    texts = sample(args.repo, int(args.gb * 1e9))
    big = sum(len(t) for t in texts if len(t) > _JOIN_MAX_BYTES)
    print(f"{len(texts)} texts, {sum(map(len, texts)) / 1e9:.2f} GB, {big / 1e9:.2f} GB in texts over 32 KB")
    builder = FindingBuilder(build_detector(Config()))
    detector = builder.detector
    first_pass = detector.texts_hit
    no_first_pass: Callable[..., None] = lambda data, starts: None  # noqa: E731
    variants = [("one pass", no_first_pass, False), ("first pass", first_pass, False)]
    variants.append(("first pass + big texts", first_pass, True))
    cpus: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for r in range(1, args.rounds + 1):
        line = []
        base = 0.0
        for name, texts_hit, big_first in variants:
            detector.texts_hit = texts_hit  # type: ignore[method-assign]
            started = time.process_time()
            found = run(builder, texts, big_first)
            cpu = time.process_time() - started
            cpus[name].append(cpu)
            base = base or cpu
            line.append(f"{name} {cpu:.2f} s ({found} findings, x{cpu / base:.3f})")
        print(f"round {r}: " + "; ".join(line))
    # The least of each variant's rounds: the one least slowed by whatever else the machine ran.
    least = {name: min(values) for name, values in cpus.items()}
    base = least["one pass"]
    print("least CPU of the rounds: " + "; ".join(f"{n} {c:.2f} s (x{c / base:.3f})" for n, c in least.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
