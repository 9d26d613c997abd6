"""Audit throughput: 50 repositories, serial vs the local process pool (and optionally Dask), by worker count.

    .venv/bin/python bench/bench_audit.py                 # builds bench/work/audit-fleet once, then measures
    .venv/bin/python bench/bench_audit.py --dask          # also LocalClusters of 1, 2 and 4 worker processes
    .venv/bin/python bench/bench_audit.py --repos 50 --commits 400 --files 150 --rounds 3

Each repository gets a realistic history built with `git fast-import` (hundreds of commits touching a
few source files each, some vendored/minified files, planted synthetic keys, some shared between
repositories). Every measured run is a full audit into a fresh store through the installed CLI, so
process start-up, pool start-up and store writes are included. Reports wall time (median of rounds),
repositories/s, MB/s of unique blob content and the speed-up over serial; then the cost of an
incremental re-run where nothing moved. On a 2-core machine, expect at most ~2x: say so if it is less.

Issue 18's row: `--dask` adds a Dask LocalCluster (scheduler and worker processes on 127.0.0.1) of 1, 2
and 4 workers, interleaved with the local pool; then one serial audit runs in-process with timers
(bench/audit_profile.py) to split each repository's cost into scanning proper and overhead: process
start-up, detector build, store write, the task's git plumbing. Target: overhead <= 10% of scan time.
Dask extras are a bench/test dependency only (`pip install -e '.[dask]'`), never a required one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.testing.keys import v2_key  # noqa: E402 - synthetic keys made at run time, never stored in the repo

MINDEE_SCAN = str(ROOT / ".venv" / "bin" / "mindee-scan")
WORDS = [
    "invoice",
    "receipt",
    "parser",
    "model",
    "field",
    "value",
    "amount",
    "total",
    "vendor",
    "customer",
    "date",
    "tax",
    "line",
    "item",
    "document",
    "prediction",
    "confidence",
    "page",
    "polygon",
    "currency",
    "address",
]


def _source_file(rng: random.Random, lines: int) -> str:
    out = []
    for i in range(lines):
        w = rng.sample(WORDS, 4)
        out.append(f"def {w[0]}_{w[1]}_{i}({w[2]}, {w[3]}):\n    return {w[2]}.get('{w[3]}', {rng.randint(0, 9999)})\n")
    return "".join(out)


def _minified(rng: random.Random, size: int) -> str:
    return "".join(f"var {rng.choice(WORDS)}{i}={rng.randint(0, 99999)};" for i in range(size // 12))


def build_repo(path: Path, seed: int, commits: int, files: int, keys: list[str]) -> int:
    """One repository through `git fast-import`; returns the bytes of blob content written."""
    rng = random.Random(seed)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    names = [f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{i}.py" for i in range(files)]
    contents = {n: _source_file(rng, rng.randint(20, 200)) for n in names}
    contents["static/vendor.min.js"] = _minified(rng, 400_000)
    stream: list[bytes] = []
    written = 0
    when = 1_500_000_000 + seed * 1000
    for c in range(commits):
        changed = rng.sample(names, k=rng.randint(1, 3))
        for name in changed:
            lines = contents[name].splitlines(keepends=True)
            pos = rng.randint(0, len(lines))
            lines[pos:pos] = [_source_file(rng, 2)]
            contents[name] = "".join(lines)
        if keys and c in (commits // 3, commits // 2):
            changed.append("config/settings.env")
            contents["config/settings.env"] = f"MINDEE_API_KEY={keys[c % len(keys)]}\nDEBUG=false\n"
        if c == 0:
            changed = list(contents)
        stream.append(f"commit refs/heads/main\ncommitter Bench <bench@example.com> {when + c * 3600} +0000\n".encode())
        msg = f"change {c}: {' '.join(rng.sample(WORDS, 5))}\n".encode()
        stream.append(b"data %d\n%s" % (len(msg), msg))
        for name in changed:
            data = contents[name].encode()
            written += len(data)
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
        stream.append(b"\n")
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True, env=env)
    subprocess.run(["git", "-C", str(path), "gc", "-q"], check=True, env=env)
    return written


def build_fleet(folder: Path, repos: int, commits: int, files: int) -> dict[str, Any]:
    marker = folder / ".built.json"
    wanted = {"repos": repos, "commits": commits, "files": files}
    if marker.exists() and json.loads(marker.read_text()).get("params") == wanted:
        cached: dict[str, Any] = json.loads(marker.read_text())
        return cached
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shared = [v2_key() for _ in range(3)]
    total = 0
    started = time.perf_counter()
    for i in range(repos):
        keys = [shared[i % 3], v2_key()] if i % 2 == 0 else []
        total += build_repo(folder / f"repo-{i:02d}", i, commits, files, keys)
    info = {"params": wanted, "content_bytes": total, "build_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info))
    return info


def audit(folder: Path, db: Path, extra: list[str]) -> tuple[float, float, str]:
    """One CLI audit: (wall s, CPU s of the audit and its children, stderr summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [MINDEE_SCAN, "audit", str(folder), "--db", str(db), "--no-progress", "-q", *extra],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next((line for line in proc.stderr.splitlines() if line.startswith("audited ")), "")
    failures = [line for line in proc.stderr.splitlines() if line.startswith("  failed: ")]
    return wall, cpu, "\n".join([summary, *failures[:5]])


def scan_seconds(db: Path) -> float:
    """The summed per-repository task time the audit recorded (each task: refs, scan; not the store write)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        (total,) = conn.execute("SELECT COALESCE(SUM(duration_s), 0) FROM scans").fetchone()
    return float(total)


def profile(folder: Path, db: Path, repos: int) -> list[str]:
    """A serial audit in-process with timers around its per-repository steps (bench/audit_profile.py):
    where the time of each repository goes besides scanning it."""
    out = db.with_suffix(".profile.json")
    argv = [
        sys.executable, str(ROOT / "bench" / "audit_profile.py"), str(out), "--",
        "audit", str(folder), "--db", str(db), "--no-progress", "-q", "-j", "1",
    ]  # fmt: skip
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if not out.exists():
        return [f"profile failed ({proc.returncode}): {proc.stderr[-1000:]}"]
    data = json.loads(out.read_text())
    t: dict[str, float] = data["totals"]

    def get(key: str) -> float:
        return float(t.get(key, 0.0))

    # Start-up: the process's whole wall time minus the CLI's main() (interpreter, imports, exit).
    startup = wall - get("main wall")
    scan = get("scan wall") - get("detector build wall")  # scanning proper: git streams, detection
    steps = [
        ("process start-up + exit (once)", startup, startup / repos, None),
        ("detector build (per repository)", get("detector build wall"), None, get("detector build cpu")),
        ("store write (per repository)", get("store write wall"), None, get("store write cpu")),
        ("task outside the scan (refs, checks)", get("task wall") - get("scan wall"), None, None),
        ("audit outside the tasks (config, targets, store open)",
         get("main wall") - get("task wall") - get("store write wall"), None, None),
    ]  # fmt: skip
    lines = [
        f"serial audit, in-process timers (bench/audit_profile.py): {wall:.2f} s wall, {cpu:.2f} s CPU"
        f" (the scans' own git processes included); scanning proper {scan:.2f} s"
        f" ({scan / repos * 1000:.0f} ms per repository)",
        f"  {'step':<54} {'total s':>8} {'ms/repo':>8} {'% of scan':>10}",
    ]
    overhead = 0.0
    for name, total, _per, _cpu in steps:
        overhead += total
        lines.append(f"  {name:<54} {total:8.2f} {total / repos * 1000:8.1f} {100 * total / max(scan, 1e-9):9.1f}%")
    lines.append(
        f"  {'per-repository overhead, all of the above':<54} {overhead:8.2f} {overhead / repos * 1000:8.1f}"
        f" {100 * overhead / max(scan, 1e-9):9.1f}%   (target <= 10%)"
    )
    if data["missing"]:
        lines.append(f"  (steps not found in this layout, counted as scanning: {', '.join(data['missing'])})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default="1,2,4", help="local pool sizes to measure (1 = serial)")
    parser.add_argument("--dask", action="store_true", help="also run on LocalClusters (loopback), --dask-workers")
    parser.add_argument("--dask-workers", default="1,2,4", help="worker processes of each LocalCluster")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "audit-fleet")
    args = parser.parse_args()

    info = build_fleet(args.work, args.repos, args.commits, args.files)
    mb = info["content_bytes"] / 1e6
    cpus = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()[0]
    print(
        f"fleet: {args.repos} repositories x {args.commits} commits, {mb:.0f} MB of blob content written "
        f"(built in {info['build_s']} s); machine: {cpus} CPUs, load average {load_before:.1f}",
        flush=True,
    )

    configs: list[tuple[str, list[str], int]] = [
        ("serial (-j1)" if j == "1" else f"local pool -j{j}", ["-j", j], int(j)) for j in args.jobs.split(",")
    ]
    clusters: list[Any] = []
    if args.dask:
        import logging

        from distributed import LocalCluster

        # One cluster per size, all started before the first round (their start-up is not an audit's):
        # worker processes with one thread each, scheduler and workers on loopback only.
        for n in (int(x) for x in args.dask_workers.split(",")):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            clusters.append(cluster)
            configs.append((f"dask LocalCluster {n} worker(s)", ["--dask", cluster.scheduler_address], n))

    tmp = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        audit(args.work, tmp / "warm.db", ["-j", "2"])  # warm the page cache once
        rows = []
        times: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        scans: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        for r in range(args.rounds):  # interleaved rounds: drift hits every configuration alike
            for i, (name, extra, _) in enumerate(configs):
                db = tmp / f"round{r}-config{i}.db"
                wall, used, summary = audit(args.work, db, extra)
                if f"({args.repos} full)" not in summary:  # a reused store would skip: measure scans only
                    raise SystemExit(f"{name}: not a full audit of every repository: {summary}")
                times[name].append(wall)
                cpu[name].append(used)
                scans[name].append(scan_seconds(db))
                print(f"  round {r + 1} {name:<32} {wall:7.2f} s", flush=True)
        serial_runs = times[configs[0][0]]
        print(
            f"\n{'configuration':<32} {'wall s':>8} {'repos/s':>8} {'MB/s':>7} {'CPU s':>7} {'speed-up':>9}"
            f" {'by round':>18} {'tasks s':>8}"
        )
        for name, _, workers in configs:
            wall = statistics.median(times[name])
            ups = [a / b for a, b in zip(serial_runs, times[name], strict=True)]
            rows.append(
                {
                    "config": name,
                    "workers": workers,
                    "wall_s": round(wall, 2),
                    "cpu_s": round(statistics.median(cpu[name]), 2),
                    "repos_per_s": round(args.repos / wall, 2),
                    "speedup_by_round": [round(x, 2) for x in ups],
                    "tasks_s": round(statistics.median(scans[name]), 2),
                }
            )
            # Dask workers are not children of the CLI: their CPU time cannot be counted here.
            cpu_text = "-" if name.startswith("dask") else f"{statistics.median(cpu[name]):.2f}"
            print(
                f"{name:<32} {wall:>8.2f} {args.repos / wall:>8.2f} {mb / wall:>7.1f} {cpu_text:>7}"
                f" {statistics.median(ups):>8.2f}x {' '.join(f'{x:.2f}' for x in ups):>18}"
                f" {statistics.median(scans[name]):>8.2f}"
            )
        print(
            "(speed-up: serial wall / this wall, median of the per-round ratios; tasks s: the summed per-repository"
            " task time the store recorded)"
        )
        print()
        print("\n".join(profile(args.work, tmp / "profile.db", args.repos)))
        # Incremental: nothing moved, so the second audit only reads refs.
        db = tmp / "incremental.db"
        audit(args.work, db, ["-j", "2"])
        wall, _, summary = audit(args.work, db, ["-j", "2"])
        print(f"\nre-run with nothing moved (-j2): {wall:.2f} s  [{summary.splitlines()[0][:110]}]")
        load_after = os.getloadavg()[0]
        if max(load_before, load_after) > cpus * 0.5:
            print(
                f"WARNING: load average {load_before:.1f} -> {load_after:.1f} on {cpus} CPUs: other work "
                "competed for the cores; speed-ups are understated. Re-run on an idle machine."
            )
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench_audit.json").write_text(
            json.dumps(
                {
                    "fleet": info,
                    "cpus": cpus,
                    "rows": rows,
                    "rerun_unchanged_s": round(wall, 2),
                    "load_avg": [load_before, load_after],
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for cluster in clusters:
            cluster.close()


if __name__ == "__main__":
    main()
