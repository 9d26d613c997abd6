"""A repository's refs and the revisions a history scan starts from: tips (tags peeled), stash entries,
revisions a user named, and whether the history is cut short (shallow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from scanner.sources.git.gitio import LOG_SAFE, Git


class Refs(NamedTuple):
    """A repository's refs, read once, in the two readings its callers need (each ends with HEAD when it
    points somewhere)."""

    # refname -> the object as stored (an annotated tag's own object): what decides whether a repository
    # moved since an audit last saw it (a re-made tag moves it). Every ref, one at a missing object too.
    stored: dict[str, str]
    # refname -> the commit a history scan starts from (tags peeled fully); broken refs left out.
    tips: dict[str, str]
    # annotated tag refname -> its tag object, which carries a message.
    tags: dict[str, str]
    # "refname (sha12)" of each ref that points at a missing or damaged object.
    broken: list[str]


def read_refs(git: Git) -> Refs:
    """Every ref, as stored and peeled to commits; a failure to list them is an error."""
    # One show-ref lists each ref as stored and, after an annotated tag, its fully peeled object, taken
    # from packed-refs (for-each-ref's %(*objectname) parses every tag object and, in git 2.39, peels
    # one level only: docs/benchmarks.md). It fails as a whole when a ref points at a missing or damaged
    # object.
    proc = git.run("show-ref", "-d", "--head", check=False)  # exit 1: no refs at all
    if proc.returncode > 1:
        return _read_one_by_one(git)
    stored: dict[str, str] = {}
    tips: dict[str, str] = {}
    tags: dict[str, str] = {}
    head: str | None = None
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        obj, _, name = line.partition(" ")
        if name == "HEAD":
            head = obj
        elif name.endswith("^{}"):  # a tag's peeled line follows the tag's own
            tag = name[:-3]
            if tag == "HEAD":
                continue  # HEAD's commit is asked of rev-parse below, as in a damaged repository
            if tag in tips:
                tags[tag] = tips[tag]
            tips[tag] = obj
        elif name:
            stored[name] = tips[name] = obj
    if head is not None:
        stored["HEAD"] = head
    _add_head_commit(git, tips)
    return Refs(stored, tips, tags, [])


def _read_one_by_one(git: Git) -> Refs:
    """Raw ref values, peeled to commits by one `cat-file --batch-check` (which answers `missing`, not fails)."""
    pairs = [line.split(" ", 1) for line in git.out("for-each-ref", "--format=%(objectname) %(refname)").splitlines()]
    pairs = [p for p in pairs if len(p) == 2]
    query = "".join(f"{sha}^{{commit}}\n" for sha, _ in pairs).encode()
    answers = git.run("cat-file", "--batch-check=%(objectname)", input=query, check=False).stdout.decode().splitlines()
    stored = {name: sha for sha, name in pairs if sha}
    tips: dict[str, str] = {}
    broken: list[str] = []
    for (sha, name), answer in zip(pairs, answers + [""] * len(pairs), strict=False):
        if answer and " " not in answer:
            tips[name] = answer
        else:
            broken.append(f"{name} ({sha[:12]})")
    head = git.run("rev-parse", "--verify", "-q", "HEAD", check=False)
    if head.returncode == 0:  # a detached HEAD can hold commits no ref has
        stored["HEAD"] = head.stdout.decode().strip()
    _add_head_commit(git, tips)
    return Refs(stored, tips, {}, broken)


def _add_head_commit(git: Git, tips: dict[str, str]) -> None:
    head = git.run("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    if head.returncode == 0:
        tips["HEAD"] = head.stdout.decode().strip()


def stash_entries(git: Git) -> list[str]:
    """Every stash entry, not only the newest one that refs/stash points at."""
    proc = git.run("log", *LOG_SAFE, "-g", "--format=%H", "refs/stash", "--", check=False)
    return proc.stdout.decode().split() if proc.returncode == 0 else []


def is_shallow(git: Git) -> bool:
    return git.out("rev-parse", "--is-shallow-repository", check=False).strip() == "true"


def resolve_commit(git: Git, rev: str) -> str:
    """A user-supplied revision as a commit sha; never lets it be read as an option."""
    from scanner.errors import UsageError

    proc = git.run("rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0 or rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a commit in this repository")
    return proc.stdout.decode().strip()


def revs_text(revs: Sequence[str], exclude: Sequence[str]) -> bytes:
    return "".join([*(f"{r}\n" for r in revs), *(f"^{x}\n" for x in exclude)]).encode()
