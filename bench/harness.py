"""Run a command and measure it: wall time, CPU (user+sys of it and every child it waited for), peak memory.

Three memory figures, because tools differ in shape: `max_rss_mb` is the largest single process (what
`/usr/bin/time -v` reports, from wait4's rusage), `tree_rss_mb` the sampled peak of the whole process
tree's summed RSS (fair to a tool that forks workers, but pages shared between processes, such as a
pack file that several git processes map, are counted once per process), and `tree_pss_mb` the sampled
peak of the tree's summed PSS (each shared page split between the processes that map it: the tree's
real share of memory; Linux only, 0 elsewhere).

Wall and CPU time are measured with no sampler running: on two cores, a thread reading /proc every 20 ms
slowed a six-process scan by 12% and a one-process `cat-file` by 6%, and tools with more processes paid
more. `interleaved` takes the timings from unsampled rounds and the tree memory from one extra sampled run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# git for the benchmark repositories: no user or system config, a fixed identity.
GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
SITE = ROOT / ".venv" / "lib" / "python3.11" / "site-packages"
BETTERLEAKS = SITE / "betterleaks" / "bin" / "betterleaks"
KINGFISHER = SITE / "kingfisher" / "bin" / "kingfisher"
MINDEE_SCAN = ROOT / ".venv" / "bin" / "mindee-scan"
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    name: str
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    tree_rss_mb: float
    returncode: int
    tree_pss_mb: float = 0.0
    stdout: bytes = b""
    stderr: bytes = b""
    extra: dict[str, object] = field(default_factory=dict)


Argv = list[str | os.PathLike[str]]


def peer_commands(betterleaks_source: str, target: Path, out: Path, reports: Mapping[str, str]) -> dict[str, Argv]:
    """betterleaks (`fs` or `git`) and Kingfisher on `target`, run as bench/README.md says: no banner, colour,
    validation or update check; their JSON reports under `out`, named by `reports`."""
    return {
        "betterleaks": [
            BETTERLEAKS, betterleaks_source, target, "--no-banner", "--no-color", "-o", out / reports["betterleaks"]
        ],
        "kingfisher": [
            KINGFISHER, "scan", target, "--no-validate", "--no-update-check", "--format", "json",
            "-o", out / reports["kingfisher"],
        ],
    }  # fmt: skip


def compile_bytecode() -> None:
    """Byte-compile the package as a wheel install does: with the project installed in editable mode and
    PYTHONDONTWRITEBYTECODE set, every run would otherwise recompile the modules changed since the last
    compile (20-40 ms charged to mindee-scan that no installed copy pays)."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(ROOT / "scanner")],
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    )


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _comm(pid: int) -> str:
    """A short name for a process of the tree: git's subcommand, or the program's name."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    prog = os.path.basename(argv[0])
    if prog.startswith("python") and len(argv) > 1 and not argv[1].startswith("-"):
        prog = os.path.basename(argv[1])  # a console script: forked workers share its command line
    if prog == "git":
        words = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
        # `git -c k=v -C dir cat-file ...`: the first bare word after the options is the subcommand.
        sub = next((w for w in words if w in _GIT_SUBCOMMANDS), words[0] if words else "")
        return f"git {sub}"
    return prog


_GIT_SUBCOMMANDS = {"cat-file", "log", "rev-list", "diff-tree", "show-ref", "for-each-ref", "diff", "ls-tree"}


def _tree_memory(pid: int, by_process: list[tuple[str, int]] | None = None) -> tuple[int, int]:
    """(summed RSS, summed PSS) of `pid` and its descendants, in bytes; with `by_process`, each
    process's (name, PSS) is appended to it too."""
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                rss += int(fh.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        one = int(line.split()[1]) * 1024
                        pss += one
                        if by_process is not None:
                            by_process.append((_comm(p), one))
                        break
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(_children(p))
    return rss, pss


def measure(
    name: str,
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    capture: bool = True,
    sample_ms: int | None = 20,
) -> Run:
    """Run argv once; stdout is captured (or discarded) so terminal output costs nothing. With
    `sample_ms=None` no memory sampler runs (tree figures are then the largest process's)."""
    out_target = subprocess.PIPE if capture else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=out_target,
        stderr=out_target,
    )
    peak = peak_pss = 0
    at_peak: list[tuple[str, int]] = []
    done = threading.Event()

    def sampler(interval_s: float) -> None:
        nonlocal peak, peak_pss, at_peak
        while not done.is_set():
            parts: list[tuple[str, int]] = []
            rss, pss = _tree_memory(proc.pid, parts)
            peak = max(peak, rss)
            if pss > peak_pss:
                peak_pss, at_peak = pss, parts
            done.wait(interval_s)

    thread = None
    if sample_ms is not None:
        thread = threading.Thread(target=sampler, args=(sample_ms / 1000,), daemon=True)
        thread.start()
    # communicate() would reap the child and lose its rusage: read the pipes in threads, wait4 here.
    chunks: dict[str, bytes] = {"out": b"", "err": b""}
    readers = []
    for key, stream in (("out", proc.stdout), ("err", proc.stderr)):
        if stream is not None:

            def read(key: str = key, stream=stream) -> None:  # type: ignore[no-untyped-def]
                chunks[key] = stream.read()

            t = threading.Thread(target=read, daemon=True)
            t.start()
            readers.append(t)
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin)
        finally:
            proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    if thread is not None:
        thread.join()
    for t in readers:
        t.join()
    return Run(
        name=name,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        tree_rss_mb=max(peak, usage.ru_maxrss * 1024) / 1e6,
        tree_pss_mb=peak_pss / 1e6,
        returncode=proc.returncode,
        stdout=chunks["out"],
        stderr=chunks["err"],
        extra={"pss_at_peak": [(n, round(b / 1e6, 1)) for n, b in sorted(at_peak, key=lambda x: -x[1])]},
    )


def best_of(runs: list[Run]) -> Run:
    """The median run by wall time (machines are noisy; the median resists one slow outlier)."""
    ordered = sorted(runs, key=lambda r: r.wall_s)
    return ordered[len(ordered) // 2]


def interleaved(
    cmds: Mapping[str, Sequence[str | os.PathLike[str]]],
    rounds: int,
    on_run: Callable[[int, Run], None] | None = None,
    sample: bool = True,
) -> list[Run]:
    """The median-wall run of each tool over `rounds` interleaved, unsampled rounds (background noise hits
    every tool alike), with the process tree's peak memory from one more run per tool, sampled."""
    runs: dict[str, list[Run]] = {k: [] for k in cmds}
    for i in range(rounds):
        for name, argv in cmds.items():
            r = measure(name, argv, sample_ms=None)
            runs[name].append(r)
            if on_run is not None:
                on_run(i, r)
    medians: list[Run] = []
    for name, argv in cmds.items():
        median = best_of(runs[name])
        sampled = measure(name, argv) if sample else median
        median.tree_rss_mb = max(sampled.tree_rss_mb, median.tree_rss_mb)
        median.tree_pss_mb = sampled.tree_pss_mb
        median.max_rss_mb = max(sampled.max_rss_mb, median.max_rss_mb)
        median.extra["pss_at_peak"] = sampled.extra.get("pss_at_peak", [])
        # Every round's figures, for per-round ratios (the median run's CPU is not the median CPU).
        median.extra["walls"] = [r.wall_s for r in runs[name]]
        median.extra["cpus"] = [r.cpu_s for r in runs[name]]
        median.extra["cpu_median"] = statistics.median(r.cpu_s for r in runs[name])
        medians.append(median)
    return medians


def cpu_of(run: Run) -> float:
    """The median CPU time over the rounds (the median-wall run's own CPU when there were no rounds)."""
    return float(run.extra.get("cpu_median", run.cpu_s))  # type: ignore[arg-type]


def per_round(runs: list[Run], num: str, den: str, what: str = "walls") -> list[float]:
    """`num`'s figure over `den`'s, round by round (both ran in the same round, so the noise of that
    moment hits both): the ratios to quote on a shared machine."""
    by_name = {r.name: r for r in runs}
    if num not in by_name or den not in by_name:
        return []
    a, b = by_name[num].extra.get(what, []), by_name[den].extra.get(what, [])
    return [x / y for x, y in zip(a, b, strict=False) if y]  # type: ignore[operator]


def ratio_line(label: str, ratios: list[float], target: str = "") -> str:
    """`label: median x (by round a b c) target`."""
    if not ratios:
        return f"{label}: -"
    text = " ".join(f"{x:.2f}" for x in ratios)
    return f"{label}: median {statistics.median(ratios):.2f} (by round {text}){'  ' + target if target else ''}"


def pss_breakdown(run: Run) -> str:
    """Which processes made up the tree's PSS at its sampled peak, largest first (same names summed)."""
    summed: dict[str, tuple[float, int]] = {}
    for name, mb in run.extra.get("pss_at_peak", []):  # type: ignore[attr-defined]
        total, count = summed.get(name, (0.0, 0))
        summed[name] = (total + mb, count + 1)
    parts = [f"{n} x{c} {mb:.0f} MB" if c > 1 else f"{n} {mb:.0f} MB" for n, (mb, c) in
             sorted(summed.items(), key=lambda kv: -kv[1][0])]  # fmt: skip
    return ", ".join(parts) or "-"


def chosen(cmds: dict[str, Any], only: Sequence[str] | None) -> dict[str, Any]:
    """The tools named with --only (a name, or its part before ':', so 'floor' picks the floor); all without."""
    if not only:
        return cmds
    return {k: v for k, v in cmds.items() if k in only or k.split(":")[0] in only}


def print_round(i: int, r: Run) -> None:
    """One timed run as it ends, with the tool's stderr when it failed (exit 1 is also a Python crash)."""
    print(f"  round {i + 1} {r.name:<36} {r.wall_s:7.2f} s  rc={r.returncode}", flush=True)
    if r.returncode not in (0, 1, 200, 205) or b"Traceback" in r.stderr:
        print(r.stderr.decode(errors="replace")[-2000:], file=sys.stderr)


def median_wall(runs: list[Run]) -> float:
    return statistics.median(r.wall_s for r in runs)


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return files, size


def warm_cache(root: Path) -> None:
    """Read every file once so the first tool does not pay for the disk."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            p = os.path.join(dirpath, name)
            try:
                with open(p, "rb") as fh:
                    while fh.read(1 << 20):
                        pass
            except OSError:
                pass


def table(runs: list[Run], size_bytes: int | None, reference: str, peers: Sequence[str]) -> str:
    """Side-by-side table plus ratios of `reference` against each peer (>1 means the reference wins)."""
    lines = [
        f"{'tool':<34} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11} {'tree RSS MB':>12} {'tree PSS MB':>12}"
        f" {'MB/s':>8} {'rc':>4}",
    ]
    by_name = {r.name: r for r in runs}
    for r in runs:
        mbps = f"{size_bytes / 1e6 / r.wall_s:8.1f}" if size_bytes else f"{'-':>8}"
        cpu = cpu_of(r)
        lines.append(
            f"{r.name:<34} {r.wall_s:8.3f} {cpu:8.2f} {r.max_rss_mb:11.1f} {r.tree_rss_mb:12.1f}"
            f" {r.tree_pss_mb:12.1f} {mbps} {r.returncode:>4}"
        )
    ref = by_name.get(reference)
    if ref is not None:
        lines.append("")
        lines.append(f"ratios ({reference} vs peer; >1 = {reference} is faster / smaller):")
        for p in peers:
            peer = by_name.get(p)
            if peer is None:
                continue
            lines.append(
                f"  vs {p:<30} wall x{peer.wall_s / ref.wall_s:5.2f}"
                f"   cpu x{cpu_of(peer) / max(cpu_of(ref), 1e-9):5.2f}"
                f"   tree RSS x{peer.tree_rss_mb / max(ref.tree_rss_mb, 1e-9):5.2f}"
                f"   tree PSS x{peer.tree_pss_mb / max(ref.tree_pss_mb, 1e-9):5.2f}"
            )
    return "\n".join(lines)


def print_table(medians: list[Run], size_bytes: int, cmds: Mapping[str, Any]) -> Run | None:
    """The medians against mindee-scan, printed; mindee-scan's own median run, if it ran."""
    print()
    print(table(medians, size_bytes, "mindee-scan", [n for n in cmds if n != "mindee-scan"]))
    return next((r for r in medians if r.name == "mindee-scan"), None)


def finish(
    medians: list[Run], planted_file: Path | None, reports: dict[str, str], out: Path, json_path: Path | None
) -> None:
    """Which planted keys each tool found (when the input came with its list), and the medians as JSON
    (without the tools' output) when `--json` asked for them."""
    import json

    if planted_file is not None and planted_file.exists():
        print()
        print("\n".join(check_planted(json.loads(planted_file.read_text()), reports, out)))
    if json_path:
        rows = [{k: v for k, v in vars(r).items() if k not in ("stdout", "stderr")} for r in medians]
        json_path.write_text(json.dumps(rows, indent=1))


def check_planted(planted: list[dict[str, str]], reports: dict[str, str], out: Path) -> list[str]:
    """Which planted keys each tool reported: Mindee keys are ours to find, the generic ones every tool's."""
    lines = ["planted keys found (mindee / generic):"]
    kinds = {k: sum(1 for p in planted if p["kind"] == k) for k in ("mindee", "generic")}
    for tool, name in reports.items():
        path = out / name
        if not path.exists():
            lines.append(f"  {tool:<36} (no report)")
            continue
        text = path.read_text(errors="replace")
        found = {k: sum(1 for p in planted if p["kind"] == k and p["secret"] in text) for k in kinds}
        lines.append(
            f"  {tool:<36} mindee {found['mindee']}/{kinds['mindee']}   generic {found['generic']}/{kinds['generic']}"
        )
    return lines


def reset_reports(reports: dict[str, str], out: Path) -> None:
    """A private report folder (reports hold the planted keys) without stale reports that would count as found."""
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    for name in reports.values():
        (out / name).unlink(missing_ok=True)
