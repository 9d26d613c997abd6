"""Behaviour-unchanged check: run one scanner on fixed inputs and write one normalised report per case.

    python bench/compare_behaviour.py prepare --inputs DIR
    python bench/compare_behaviour.py run --scanner "/path/to/.venv/bin/mindee-scan" --inputs DIR --out OUT
    python bench/compare_behaviour.py compare OUT_BEFORE OUT_AFTER

`prepare` writes the inputs ONCE, outside the project (e.g. /work/mirrors/behaviour-inputs): the quality
corpora materialised (tests/quality/realworld, the generated corpus of tests/corpus.py), tests/data, a
deterministic synthetic git repository (fixed dates, fixed fake keys derived from labels, a staged
change), the realworld corpus committed as a history, this project at a given revision, and a copy of
psf/requests (brought in with the search tool's `fetch` verb) with planted fake keys. Every later `run`
scans the same files, so the scanner command is the only thing that differs between two runs: pass
the mindee-scan of a worktree of the old commit, then that of main, then `compare`.

Only what changes from run to run of the same code is normalised: durations and timestamps, the
absolute inputs folder and the temporary folder. Everything else (findings, order, counts, notes,
stderr, exit codes) must be byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import GIT_ENV

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REQUESTS = Path("/work/.mirror/psf+requests/repo")
FORMATS = ("text", "json", "jsonl", "sarif", "html", "junit", "csv", "gitlab")
EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z: the synthetic commits' first date

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B64 = _ALNUM + "+/"


# -- fixed fake keys -------------------------------------------------------------------------------
# Derived from a label by SHA-256 so that the inputs are the same on every machine and no key is
# written in this file; none is a real credential.


def _stream(label: str) -> Iterator[int]:
    n = 0
    while True:
        yield from hashlib.sha256(f"compare_behaviour fake key {label} {n}".encode()).digest()
        n += 1


def _body(label: str, alphabet: str, size: int) -> str:
    chars = [alphabet[b % len(alphabet)] for b, _ in zip(_stream(label), range(size), strict=False)]
    body = "".join(chars)
    if alphabet is _ALNUM:  # like every real key: both cases and a digit
        body = "Q" + body[1:-2] + "z7"
    return body


def fake_v2(label: str) -> str:
    return "md_" + _body(label, _ALNUM, 32)


def fake_v2_long(label: str) -> str:
    return "md_" + _body(label, _ALNUM + "-_", 43)


def fake_legacy(label: str) -> str:
    return hashlib.sha256(f"compare_behaviour legacy {label}".encode()).hexdigest()[:32]


def fake_github_pat(label: str) -> str:
    return "ghp_" + _body(label, _ALNUM, 36)


def fake_aws(label: str) -> tuple[str, str]:
    key_id = "AKIA" + "".join(c for c in _body(label + "-id", _ALNUM, 40).upper() if c.isalnum())[:16]
    return key_id, _body(label + "-secret", _B64, 40)


# -- git with a fixed identity and clock -----------------------------------------------------------


class Git:
    """git for the synthetic repositories: no user or system config, a fixed identity, a ticking clock."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.tick = 0

    def env(self) -> dict[str, str]:
        date = f"@{EPOCH + self.tick * 3600} +0000"
        return {**GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.repo, env=self.env(), check=True, capture_output=True, text=True)
        return done.stdout

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    def commit(self, message: str, *paths: str) -> None:
        self.tick += 1
        if paths:
            self("add", "--", *paths)
        else:
            self("add", "-A")
        self("commit", "-q", "--allow-empty", "-m", message)


def build_synthetic(dest: Path) -> None:
    """A small repository that exercises every history feature: branches, tags, merge, rename, deletion,
    keys in a message, a binary blob, an allowlisted fixture, a stash, an orphan branch, a staged change."""
    dest.mkdir(parents=True)
    g = Git(dest)
    g("init", "-q", "-b", "main")
    g.write("README.md", "# demo\n\nConfigure MINDEE_API_KEY in your environment.\n")
    g.commit("initial commit")
    g.write("app/settings.py", f'import os\n\nMINDEE_V2_API_KEY = "{fake_v2("settings")}"\nDEBUG = False\n')
    g.write(".mindee-scan.yaml", "allowlist:\n  paths:\n    - fixtures/**\n")
    g.write("fixtures/sample.env", f"MINDEE_API_KEY={fake_v2('fixture')}\n")
    g.commit("add settings and fixtures")
    key_id, secret = fake_aws("legacy")
    g.write(
        "legacy.ini",
        f"[mindee]\nMINDEE_API_KEY = {fake_legacy('legacy')}\n[aws]\n"
        f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
    )
    g.commit("add legacy config")
    g("rm", "-q", "legacy.ini")
    g.commit("remove legacy config")
    g("checkout", "-q", "-b", "feature")
    g.write("docs/notes.md", f"Use this key for the demo: `{fake_v2_long('notes')}`\n")
    g.commit(f"try the demo\n\nTemporarily hard-code mindee_api_key={fake_v2('message')} for the demo.")
    g.tick += 1
    g("tag", "-a", "v0.1", "-m", "first demo")
    g("checkout", "-q", "main")
    g("mv", "app/settings.py", "app/config.py")
    g.commit("rename settings to config")
    g.tick += 1
    g("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    g.write("data.bin", b"\x00\x01BIN\x00" + f"MINDEE_API_KEY={fake_v2('binary')}".encode() + b"\x00\xff" * 64)
    g.commit("add binary data")
    g.write("docs/ci.md", f"GITHUB_TOKEN={fake_github_pat('docs')}\n")
    g.commit("document the CI token")
    g.write("app/config.py", 'import os\n\nMINDEE_V2_API_KEY = os.environ["MINDEE_V2_API_KEY"]\nDEBUG = False\n')
    g.commit("read the key from the environment")
    # A stash holds a key too (git mode reads refs/stash).
    g.write("app/local.py", f'mindee_client = Client(api_key="{fake_v2("stash")}")\n')
    g("add", "app/local.py")
    g.tick += 1
    g("stash", "push", "-q", "-m", "wip")
    # An orphan branch with its own history.
    g("checkout", "-q", "--orphan", "gh-pages")
    g("rm", "-rq", "--cached", ".")
    for p in list(dest.iterdir()):
        if p.name != ".git":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    g.write("index.html", f"<script>const MINDEE_API_KEY = '{fake_legacy('pages')}';</script>\n")
    g.commit("pages")
    g("checkout", "-q", "-f", "main")
    # The staged change (for `staged`): an added line with a key, a new file, a deletion; then an
    # unstaged edit and an untracked file, both with keys, that `staged` must not report.
    with (dest / "app/config.py").open("a") as f:
        f.write(f'FALLBACK_MINDEE_KEY = "{fake_v2("staged-line")}"\n')
    g.write("deploy/.env", f"MINDEE_API_KEY={fake_legacy('staged-env')}\nMINDEE_V2_API_KEY={fake_v2('staged-env')}\n")
    g("add", "app/config.py", "deploy/.env")
    g("rm", "-q", "docs/ci.md")
    with (dest / "README.md").open("a") as f:
        f.write(f"\nexport MINDEE_API_KEY={fake_v2('unstaged')}\n")
    g.write("scratch.txt", f"MINDEE_API_KEY={fake_v2('untracked')}\n")


def build_history_of(src: Path, dest: Path) -> None:
    """Commit a materialised corpus as a history: one commit per top folder, then edits and a deletion."""
    shutil.copytree(src, dest)
    g = Git(dest)
    g("init", "-q", "-b", "main")
    tops = sorted(p.name for p in src.iterdir())
    for top in tops:
        g.commit(f"add {top}", top)
    for top in tops[::3]:
        first = sorted(p for p in (dest / top).rglob("*") if p.is_file())[0]
        with first.open("a") as f:
            f.write("\n# edited\n")
        g.commit(f"edit {first.relative_to(dest)}")
    g("rm", "-rq", tops[-1])
    g.commit(f"remove {tops[-1]}")


def build_requests(source: Path, dest: Path) -> None:
    """A copy of psf/requests (every ref) with a branch of three commits planting fixed fake keys."""
    git_dir = dest / ".git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(source), str(git_dir)], check=True)
    g = Git(dest)
    g("--git-dir", str(git_dir), "config", "--bool", "core.bare", "false")
    g("reset", "-q", "--hard")
    g.tick = 100_000  # after every real commit
    g("checkout", "-q", "-b", "bench-planted")
    g.write(
        "bench_settings.py", f'MINDEE_V2_API_KEY = "{fake_v2("requests")}"\nGITHUB_TOKEN = "{fake_github_pat("r")}"\n'
    )
    g.commit("add settings", "bench_settings.py")
    key_id, secret = fake_aws("requests")
    g.write(
        "bench_legacy.ini",
        f"[mindee]\nMINDEE_API_KEY = {fake_legacy('requests')}\n[aws]\n"
        f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
    )
    g.commit("add legacy config", "bench_legacy.ini")
    g("rm", "-q", "bench_legacy.ini")
    g.commit("remove legacy config")


def build_project(repo: Path, rev: str, dest: Path) -> None:
    """This project's history up to `rev`, on one branch (what other engineers push elsewhere stays out)."""
    dest.mkdir(parents=True)
    g = Git(dest)
    g("init", "-q", "-b", "main")
    full = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    g("fetch", "-q", "--no-tags", "--update-head-ok", str(repo), f"{full}:refs/heads/main")
    g("reset", "-q", "--hard", "main")


def _import_helper(*names: str) -> Any:
    """Import a test helper wherever the test layout keeps it (tests17 moves them into tests/testing)."""
    import importlib

    sys.path.insert(0, str(ROOT))
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise SystemExit(f"none of {names} importable from {ROOT}")


def prepare(inputs: Path, requests_src: Path, project_repo: Path, project_rev: str) -> None:
    if inputs.exists():
        raise SystemExit(f"{inputs} exists: inputs are written once; remove it to start again")
    inputs.mkdir(parents=True)
    realworld = _import_helper("tests.quality.realworld", "tests.testing.realworld")
    corpus = _import_helper("tests.corpus", "tests.testing.corpus", "tests.quality.corpus")
    realworld.materialise(inputs / "realworld")
    corpus.build_corpus(inputs / "corpus", seed=0, copies=3)
    shutil.copytree(ROOT / "tests" / "data", inputs / "testdata")
    build_synthetic(inputs / "synthetic")
    build_history_of(inputs / "realworld", inputs / "realworld-history")
    build_project(project_repo, project_rev, inputs / "project")
    if requests_src.exists():
        build_requests(requests_src, inputs / "requests")
    else:
        print(f"{requests_src}: missing, the requests cases will be skipped", file=sys.stderr)
    print(f"inputs written to {inputs}")


# -- cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # after the scanner command; {tmp} is the case's temporary folder
    cwd: str = "."  # relative to the inputs folder
    stdin: str | None = None  # a file relative to the inputs folder, or "prepush:<repo>" (see below)
    needs: str = ""  # an inputs sub-folder the case needs (skipped when absent)
    outputs: tuple[str, ...] = field(default_factory=tuple)  # files under {tmp} to keep
    then: tuple[tuple[str, ...], ...] = ()  # further commands run after it in the same {tmp}, recorded too


def cases() -> list[Case]:
    out: list[Case] = []
    for corpus in ("realworld", "corpus", "testdata", "project", "synthetic", "requests"):
        out.append(Case(f"dir-{corpus}", ("dir", "-f", "json", corpus), needs=corpus))
    out += [
        Case("dir-realworld-j1", ("dir", "-j", "1", "-f", "json", "realworld")),
        Case("dir-corpus-j2", ("dir", "-j", "2", "-f", "json", "corpus")),
        Case("dir-project-ignore-repo-config", ("dir", "--ignore-repo-config", "-f", "json", "project")),
        Case("dir-realworld-show-secrets", ("dir", "--show-secrets", "-f", "json", "realworld")),
        Case("dir-realworld-redact100", ("dir", "--redact", "100", "-f", "json", "realworld")),
        Case("dir-synthetic-verbose", ("dir", "-v", "-f", "json", "."), cwd="synthetic"),
        Case("dir-stdin", ("dir", "-f", "json", "-"), stdin="synthetic/deploy/.env"),
        Case(
            "dir-realworld-remediation",
            ("dir", "-f", "json", "--remediation-file", "{tmp}/replace.txt", "realworld"),
            outputs=("replace.txt",),
        ),
    ]
    for corpus in ("synthetic", "realworld-history", "project", "requests"):
        out.append(Case(f"git-{corpus}", ("git", "--no-progress", "-f", "json", corpus), needs=corpus))
    syn = ("synthetic",)
    out += [
        Case("git-synthetic-j1", ("git", "-j", "1", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-no-messages", ("git", "--no-messages", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-branch-feature", ("git", "--branch", "feature", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-range", ("git", "--range", "HEAD~4..HEAD", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-since", ("git", "--since", "HEAD~3", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-exclude-rev", ("git", "--exclude-rev", "v0.1", "--no-progress", "-f", "json", *syn)),
        Case("git-synthetic-ignore-repo-config", ("git", "--ignore-repo-config", "--no-progress", "-f", "json", *syn)),
        Case("git-project-j1", ("git", "-j", "1", "--no-progress", "-f", "json", "project"), needs="project"),
        Case("git-requests-j1", ("git", "-j", "1", "--no-progress", "-f", "json", "requests"), needs="requests"),
        Case("git-requests-j2", ("git", "-j", "2", "--no-progress", "-f", "json", "requests"), needs="requests"),
        Case("staged-synthetic", ("staged", "-f", "json"), cwd="synthetic"),
        Case("staged-synthetic-all-lines", ("staged", "--all-lines", "-f", "json"), cwd="synthetic"),
        Case("staged-synthetic-files", ("staged", "-f", "json", "app/config.py", "README.md"), cwd="synthetic"),
        Case("staged-synthetic-text", ("staged", "-f", "text", "--no-color"), cwd="synthetic"),
        # The lean hook path (scanner/hookrun.py): a bare `staged [FILES]` and `pre-commit` skip click.
        Case("hook-staged", ("staged",), cwd="synthetic"),
        Case("hook-staged-files", ("staged", "app/config.py", "README.md"), cwd="synthetic"),
        Case("hook-pre-commit", ("pre-commit",), cwd="synthetic"),
        Case("rules", ("rules",)),
        Case(
            "pre-push-synthetic",
            ("pre-push", "-f", "json", "origin", "https://example.invalid/r.git"),
            cwd="synthetic",
            stdin="prepush:synthetic",
        ),
        Case(
            "baseline-create-dir-synthetic",
            ("baseline", "create", "-o", "{tmp}/baseline.json", "dir", "synthetic"),
            outputs=("baseline.json",),
        ),
        Case(
            "baseline-create-git-synthetic",
            ("baseline", "create", "-o", "{tmp}/baseline.json", "git", "synthetic"),
            outputs=("baseline.json",),
        ),
    ]
    db = ("--db", "{tmp}/findings.db")
    out.append(
        Case(
            "audit-local",
            ("audit", *db, "-j", "1", "--no-progress", "synthetic", "realworld-history", "project"),
            then=(
                ("findings", "list", *db),
                ("findings", "repos", *db),
                ("findings", "report", *db, "-f", "json"),
                ("findings", "report", *db, "-f", "sarif"),
                ("audit", *db, "-j", "1", "--no-progress", "synthetic", "realworld-history", "project"),
            ),
        )
    )
    for fmt in FORMATS:
        out.append(Case(f"format-{fmt}-dir-realworld", ("dir", "-f", fmt, "--no-color", "realworld")))
        out.append(Case(f"format-{fmt}-git-synthetic", ("git", "--no-progress", "-f", fmt, "--no-color", *syn)))
    return out


# -- normalisation ---------------------------------------------------------------------------------

# JSON keys whose value is a duration or a wall-clock time: they change from run to run of the same code.
_TIME_KEYS = re.compile(
    r"^(duration_s|duration|elapsed(_s)?|.*_seconds|started|finished|timestamp|.*_at|startTimeUtc|endTimeUtc)$"
)
_DURATION_TEXT = re.compile(r"\b\d+(\.\d+)?\s?(s|ms|µs|seconds)\b")
_JUNIT_TIME = re.compile(r'(\btime=)"[0-9.]+"')
_ISO = re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


@dataclass(frozen=True)
class Scrub:
    """Replace what changes from run to run: paths of the inputs and temporary folders, durations, and
    timestamps that fall inside the run itself (a commit date, even today's, is kept)."""

    subst: dict[str, str]
    t0: float
    t1: float

    def _now(self, m: re.Match[str]) -> str:
        try:
            when = datetime.fromisoformat(m.group(0).replace("Z", "+00:00"))
        except ValueError:
            return m.group(0)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return "<NOW>" if self.t0 - 2 <= when.timestamp() <= self.t1 + 2 else m.group(0)

    def text(self, text: str) -> str:
        for old, new in self.subst.items():
            text = text.replace(old, new)
        text = _JUNIT_TIME.sub(r'\g<1>"<DURATION>"', _ISO.sub(self._now, text))
        return _DURATION_TEXT.sub("<DURATION>", text)

    def json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("<TIME>" if _TIME_KEYS.match(k) else self.json(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def __call__(self, raw: str) -> Any:
        """Parsed and scrubbed JSON when the text is JSON (or JSON lines), else scrubbed lines."""
        try:
            return {"json": self.json(json.loads(raw))}
        except ValueError:
            pass
        lines = raw.splitlines()
        if lines and all(line.startswith("{") for line in lines):
            try:
                return {"jsonl": [self.json(json.loads(line)) for line in lines]}
            except ValueError:
                pass
        return {"lines": [self.text(line) for line in lines]}


# -- running ---------------------------------------------------------------------------------------


def _prepush_stdin(repo: Path) -> bytes:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True)
    return f"refs/heads/main {head.stdout.strip()} refs/heads/main {'0' * 40}\n".encode()


def run_case(scanner: list[str], case: Case, inputs: Path, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="behaviour-") as tmp:
        # PYTHON* too: an inherited PYTHONPATH would make both trees' commands import the same code.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MINDEE", "GIT_", "PRE_COMMIT", "XDG_", "PYTHON"))
        }
        env.update(
            GIT_CONFIG_GLOBAL="/dev/null",
            GIT_CONFIG_NOSYSTEM="1",
            XDG_CACHE_HOME=f"{tmp}/cache",
            XDG_DATA_HOME=f"{tmp}/data",
            XDG_CONFIG_HOME=f"{tmp}/config",
            NO_COLOR="1",
            COLUMNS="100",
            LC_ALL="C.UTF-8",
        )
        stdin = b""
        if case.stdin and case.stdin.startswith("prepush:"):
            stdin = _prepush_stdin(inputs / case.stdin.removeprefix("prepush:"))
        elif case.stdin:
            stdin = (inputs / case.stdin).read_bytes()
        subst = {str(inputs): "<INPUTS>", os.path.realpath(tmp): "<TMP>", tmp: "<TMP>"}
        t0 = time.time()
        record: dict[str, Any] = {"case": case.name, "args": list(case.args), "cwd": case.cwd}
        for i, step in enumerate((case.args, *case.then)):
            args = [a.replace("{tmp}", tmp) for a in step]
            try:
                done = subprocess.run(
                    [*scanner, *args], cwd=inputs / case.cwd, env=env, input=stdin, capture_output=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                record["exit" if i == 0 else f"then[{i}]"] = "timeout"
                return record
            scrub = Scrub(subst, t0, time.time())
            answer = {
                "exit": done.returncode,
                "stdout": scrub(done.stdout.decode("utf-8", "replace")),
                "stderr": scrub(done.stderr.decode("utf-8", "replace")),
            }
            if i == 0:
                record.update(answer)
            else:
                record[f"then[{i}]"] = {"args": list(step), **answer}
            stdin = b""
        for name in case.outputs:
            path = Path(tmp) / name
            record[f"file:{name}"] = scrub(path.read_text("utf-8", "replace")) if path.exists() else None
        return record


def run(scanner: list[str], inputs: Path, out: Path, only: str | None, timeout: float) -> None:
    inputs = inputs.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for case in cases():
        if only and not re.search(only, case.name):
            continue
        if case.needs and not (inputs / case.needs).exists():
            print(f"skip {case.name}: {case.needs} not in the inputs", file=sys.stderr)
            continue
        record = run_case(scanner, case, inputs, timeout)
        (out / f"{case.name}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=False) + "\n")
        print(f"{case.name}: exit {record['exit']}", file=sys.stderr)


def compare(before: Path, after: Path) -> int:
    names_b = {p.name for p in before.glob("*.json")}
    names_a = {p.name for p in after.glob("*.json")}
    differ = 0
    for name in sorted(names_b | names_a):
        if name not in names_a or name not in names_b:
            print(f"{name}: only in {'before' if name in names_b else 'after'}")
            differ += 1
            continue
        if (before / name).read_bytes() != (after / name).read_bytes():
            print(f"{name}: DIFFERS  (diff {before / name} {after / name})")
            differ += 1
    total = len(names_b | names_a)
    print(f"{total - differ}/{total} cases identical")
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="write the inputs once")
    p.add_argument("--inputs", type=Path, required=True)
    p.add_argument("--requests", type=Path, default=DEFAULT_REQUESTS, help="psf/requests mirror (fetch verb)")
    p.add_argument("--project-repo", type=Path, default=ROOT)
    p.add_argument("--project-rev", default="a62b517")
    r = sub.add_parser("run", help="run every case with one scanner command")
    r.add_argument("--scanner", required=True, help='the command, e.g. "/work/wt/base/.venv/bin/mindee-scan"')
    r.add_argument("--inputs", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--only", help="regular expression on case names")
    r.add_argument("--timeout", type=float, default=1800)
    c = sub.add_parser("compare", help="compare two run outputs; exit 1 if any case differs")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.cmd == "prepare":
        prepare(args.inputs.resolve(), args.requests, args.project_repo, args.project_rev)
        return 0
    if args.cmd == "run":
        run(shlex.split(args.scanner), args.inputs, args.out, args.only, args.timeout)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
