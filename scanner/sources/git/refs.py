"""A repository's refs and the revisions a history scan starts from: tips (tags peeled), stash entries,
revisions a user named, and whether the history is cut short (shallow)."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.sources.git.gitio import LOG_SAFE, Git


def list_refs(git: Git, broken: list[str] | None = None, tags: dict[str, str] | None = None) -> dict[str, str]:
    """refname -> commit sha (tags peeled), plus HEAD when it points somewhere.

    Refs that point at a missing or damaged object are left out and named in `broken`; annotated tags'
    own objects (which carry a message) go into `tags`, refname -> tag object id.
    """
    # show-ref takes peeled tags from packed-refs (for-each-ref's %(*objectname) inflates every tagged
    # object: ten times slower) and peels nested tags fully. It exits 1 when there are no refs at all.
    proc = git.run("show-ref", "-d", check=False)
    if proc.returncode > 1:
        # One dangling ref fails the listing as a whole: peel ref by ref instead.
        refs = _refs_one_by_one(git, broken if broken is not None else [])
    else:
        refs = {}
        for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
            obj, _, name = line.partition(" ")
            if name:
                if tags is not None and name.endswith("^{}") and name[:-3] in refs:
                    tags[name[:-3]] = refs[name[:-3]]  # the line before was the tag object itself
                refs[name.removesuffix("^{}")] = obj  # a tag's peeled line follows the tag's own
    head = git.run("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    if head.returncode == 0:
        refs["HEAD"] = head.stdout.decode().strip()
    return refs


def stored_refs(git: Git) -> dict[str, str]:
    """refname -> the object it points at as stored (an annotated tag's own object, not peeled), plus HEAD.

    The other reading of the same refs: `list_refs` gives what a scan starts from (commits), this gives
    what decides whether a repository moved since an audit last saw it (a re-made tag moves it). Every
    ref is listed, one pointing at a missing object too; a failure to list is an error.
    """
    out = git.out("for-each-ref", "--format=%(objectname) %(refname)")
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition(" ")
        if sha and name:
            refs[name] = sha
    head = git.run("rev-parse", "--verify", "-q", "HEAD", check=False)
    if head.returncode == 0:  # a detached HEAD can hold commits no ref has
        refs["HEAD"] = head.stdout.decode().strip()
    return refs


def _refs_one_by_one(git: Git, broken: list[str]) -> dict[str, str]:
    """Raw ref values, peeled to commits by one `cat-file --batch-check` (which answers `missing`, not fails)."""
    pairs = [line.split(" ", 1) for line in git.out("for-each-ref", "--format=%(objectname) %(refname)").splitlines()]
    pairs = [p for p in pairs if len(p) == 2]
    query = "".join(f"{sha}^{{commit}}\n" for sha, _ in pairs).encode()
    answers = git.run("cat-file", "--batch-check=%(objectname)", input=query, check=False).stdout.decode().splitlines()
    refs: dict[str, str] = {}
    for (sha, name), answer in zip(pairs, answers + [""] * len(pairs), strict=False):
        if answer and " " not in answer:
            refs[name] = answer
        else:
            broken.append(f"{name} ({sha[:12]})")
    return refs


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
