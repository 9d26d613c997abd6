"""What a CI event asks to scan: the commits a push, pull request or merge request adds, or every ref.

A CI gate that scans nothing must never pass, so the plan also counts the commits it selects: zero
means the change set is truly empty (a deleted branch, a tag on an already pushed commit), and any
other count must end in a scan of at least that many objects.
"""

from __future__ import annotations

import os
import subprocess

from scanner.errors import ScanError
from scanner.record import record
from scanner.sources.git.gitio import NULL_SHA, Git


@record(frozen=True)
class Event:
    """A CI event, platform-neutral. `kind`: "full", "range" (base..tip) or "push" (tip, previous tip)."""

    kind: str
    tip: str = ""
    base: str = ""  # the PR/MR base, or the push's previous tip ("" or zeros for a new ref)
    ref: str = ""  # the pushed ref: refs/heads/NAME or refs/tags/NAME
    deleted: bool = False
    why: str = ""  # why this kind, for the log ("schedule: no base to compare with")


@record(frozen=True)
class Plan:
    """`mindee-scan git` arguments, what they select (for the log), and how many commits that is."""

    args: tuple[str, ...]
    what: str
    commits: int

    @property
    def empty(self) -> bool:
        return self.commits == 0


def plan(repo: str, event: Event, remote: str = "origin") -> Plan:
    """The scan an event asks for; fetches the history a shallow checkout lacks, or says what to change."""
    git = Git(repo)
    if event.deleted:
        return Plan((), f"{event.ref or 'the ref'} was deleted: a deletion pushes no content", 0)
    if _shallow(git):
        _deepen(git, repo, event, remote)
    if event.kind == "full":
        count = _count(git, "--all")
        return Plan((), f"the whole history of every ref ({event.why})" if event.why else "the whole history", count)
    tip = _commit(git, event.tip)
    if tip is None:
        raise ScanError(f"the commit to scan, {event.tip or '(none given)'}, is not in this checkout; {_FETCH_HINT}")
    if event.kind == "range":
        base = _commit(git, event.base)
        if base is None:
            raise ScanError(f"the base commit {event.base or '(none given)'} is not in this checkout; {_FETCH_HINT}")
        return Plan(
            ("--range", f"{base}..{tip}"),
            f"the commits {base[:12]}..{tip[:12]} ({event.why})",
            _count(git, f"{base}..{tip}"),
        )
    before = _commit(git, event.base) if event.base and event.base != NULL_SHA else None
    if before is not None and git.ok("merge-base", "--is-ancestor", before, tip):
        what = f"the commits this push adds to {event.ref or 'the branch'}, {before[:12]}..{tip[:12]}"
        return Plan(("--range", f"{before}..{tip}"), what, _count(git, f"{before}..{tip}"))
    # A new branch or tag, or a forced push: what no other branch or tag already has. Refs at the tip
    # itself are kept in (they may have been pushed with it); annotated tags are compared by their commit.
    others = [sha for name, sha in _ref_commits(git) if sha != tip and not _same_ref(name, event.ref, remote)]
    if before is not None:
        others.append(before)
    commits, boundary = _change_set(git, tip, others)
    if event.ref.startswith("refs/tags/"):
        kind = "the new tag"
    elif event.base and event.base != NULL_SHA:
        kind = "the forced push" if before is not None else "the forced push (its previous tip is gone)"
    else:
        kind = "the new branch"
    what = f"the commits of {kind} {event.ref or tip[:12]} that no other branch or tag has ({commits})"
    args: list[str] = ["--branch", tip]
    for sha in boundary:
        args += ["--exclude-rev", sha]
    return Plan(tuple(args), what, commits)


_FETCH_HINT = "check out with the full history (actions/checkout: `fetch-depth: 0`; GitLab: `GIT_DEPTH: 0`)"


def _same_ref(name: str, pushed: str, remote: str) -> bool:
    """Is `name` the pushed ref itself (locally, or as the remote-tracking copy of it)?"""
    if not pushed:
        return False
    if name == pushed:
        return True
    branch = pushed.removeprefix("refs/heads/")
    return branch != pushed and name == f"refs/remotes/{remote}/{branch}"


def _ref_commits(git: Git) -> list[tuple[str, str]]:
    """(ref name, the commit it points at) for every branch, remote branch and tag; one git call.

    `show-ref -d` reads annotated tags' commits from packed-refs, where for-each-ref's `%(*objectname)`
    parses every tag object (docs/benchmarks.md, "Measurements behind the code"). An annotated tag counts
    as its commit, never as the tag object's own id; a tag of a tree is ignored by rev-list's exclusions.
    """
    out = git.run("show-ref", "-d", check=False).stdout.decode("utf-8", "surrogateescape")
    tips: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition(" ")
        if name.endswith("^{}"):
            name = name[:-3]
        elif name in tips:
            continue
        if name.startswith(("refs/heads/", "refs/remotes/", "refs/tags/")):
            tips[name] = sha
    return list(tips.items())


def _change_set(git: Git, tip: str, exclude: list[str]) -> tuple[int, list[str]]:
    """(commits reachable from tip and from none of `exclude`, the excluded commits at its edge).

    One rev-list over stdin, so 45,000 tags cost one process and linear time; excluding only the
    boundary selects the same commits (every path from the tip into excluded history crosses it).
    """
    text = "".join([f"{tip}\n", *(f"^{sha}\n" for sha in dict.fromkeys(exclude))]).encode()
    out = git.run("rev-list", "--boundary", "--stdin", input=text).stdout.decode()
    commits = 0
    edge: list[str] = []
    for line in out.split():
        if line.startswith("-"):
            edge.append(line[1:])
        else:
            commits += 1
    return commits, edge


def _count(git: Git, *revs: str) -> int:
    return int(git.out("rev-list", "--count", *revs).strip() or 0)


def _commit(git: Git, rev: str) -> str | None:
    if not rev or rev == NULL_SHA or rev.startswith("-"):
        return None
    proc = git.run("rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _shallow(git: Git) -> bool:
    return git.out("rev-parse", "--is-shallow-repository").strip() == "true"


def _deepen(git: Git, repo: str, event: Event, remote: str) -> None:
    """A shallow checkout (actions/checkout's default `fetch-depth: 1`) lacks the history to compare:
    fetch it, or fail saying exactly what to change. A silent partial scan would pass too easily."""
    wanted = [sha for sha in (event.base, event.tip) if sha and sha != NULL_SHA and event.kind == "range"]
    attempts = [["--no-tags", remote, *wanted]] if wanted else []
    attempts.append(["--tags", remote])
    said = ""
    for extra in attempts:
        proc = _fetch(repo, "--quiet", "--unshallow", *extra)
        if not _shallow(git):
            print(f"mindee-scan: the checkout was shallow; fetched its history from {remote}", flush=True)
            return
        said = proc.stderr.decode("utf-8", "replace").strip()[-300:]
    raise ScanError(
        "this checkout is shallow (actions/checkout's default `fetch-depth: 1`, GitLab's `GIT_DEPTH`), so what "
        f"this event adds cannot be told apart from what was there before, and fetching the history from {remote} "
        f"failed ({said or 'no message'}). {_FETCH_HINT[0].upper()}{_FETCH_HINT[1:]}."
    )


def _fetch(repo: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """git fetch in the CI's own checkout: its remote and credentials (the checkout's config), no hooks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in ("GIT_SSH_COMMAND",)}
    env["GIT_TERMINAL_PROMPT"] = "0"
    argv = ["git", "-C", repo, "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", "fetch", *args]
    try:
        return subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(argv, 1, b"", str(exc).encode())
