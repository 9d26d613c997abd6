"""Which refs reach a commit: one pass over the commit graph that the provenance walk collected, or
`for-each-ref --contains` for a single commit."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.sources.git.gitio import Git

NAMED_REFS = ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/stash")


def reaching_refs(graph: dict[str, str], refs: dict[str, str], targets: Sequence[str]) -> dict[str, set[str]]:
    """target commit -> refs whose history holds it (branches, tags, remotes, stash; other refs such as
    refs/pull/* only for targets none of those reach), in one pass over the commit graph.

    Each target gets a bit; bits flow from parents to children, so a ref reaches a target when its tip
    carries the target's bit. One linear pass in git's order, reversed: `for-each-ref --contains` per
    target takes seconds each on a mirror with tens of thousands of refs (docs/git.md).
    """
    bit = {t: 1 << i for i, t in enumerate(dict.fromkeys(targets))}
    mask: dict[str, int] = {}  # commit -> the targets it descends from (or is)
    visiting: set[str] = set()

    def settle(start: str) -> None:
        """Depth first, for a commit whose parent git listed before it (clock skew). A commit met again
        while its own ancestors are being settled (a cycle, which only grafts can make) counts as 0."""
        stack = [(start, False)]
        while stack:
            sha, parents_done = stack.pop()
            if parents_done:
                m = bit.get(sha, 0)
                for p in graph[sha].split():
                    m |= mask.get(p, 0)
                mask[sha] = m
                continue
            if sha in mask or sha in visiting:
                continue
            visiting.add(sha)
            stack.append((sha, True))
            stack.extend((p, False) for p in graph[sha].split() if p in graph and p not in mask)

    # git lists a commit before its parents (newest first): reversed, parents are almost always done.
    for sha in reversed(graph):
        m = bit.get(sha, 0)
        for p in graph[sha].split():
            parent_mask = mask.get(p)
            if parent_mask is None:
                if p in graph:  # not settled yet
                    break
                continue  # outside the walk: excluded, or beyond a shallow boundary
            m |= parent_mask
        else:
            mask[sha] = m
            continue
        settle(sha)
    index = list(bit)
    out: dict[str, set[str]] = {t: set() for t in bit}

    def resolve(names: Sequence[str], wanted: int) -> None:
        for name in names:
            m = mask.get(refs[name], 0) & wanted
            while m:  # one step per target this ref reaches
                low = m & -m
                out[index[low.bit_length() - 1]].add(name)
                m ^= low

    named = [n for n in refs if n.startswith(NAMED_REFS)]
    resolve(named, (1 << len(index)) - 1)
    # refs/pull/* and other bulk refs only for targets that no branch, tag or stash reaches
    unreached = sum(bit[t] for t in index if not out[t])
    if unreached:
        resolve([n for n in refs if not n.startswith(NAMED_REFS)], unreached)
    return out


def refs_containing(git: Git, commit: str) -> list[str]:
    """Branches, tags, remote branches and the stash that reach `commit`; other refs
    (refs/pull/*, review refs: tens of thousands on a GitHub mirror) only when none of those do."""
    args = ("for-each-ref", "--format=%(refname)", f"--contains={commit}")
    named = git.out(*args, *NAMED_REFS, check=False).split()
    return named or git.out(*args, check=False).split()
