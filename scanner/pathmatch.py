"""Glob matching for excludes and path allowlists, compiled once into one regex."""

from __future__ import annotations

import re
from collections.abc import Iterable


def _glob_to_regex(glob: str) -> str:
    """gitignore-like globs: `**` spans directories, `*` and `?` do not; a bare name matches anywhere."""
    anchored = glob.startswith("/")
    glob = glob.strip("/")
    out = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = glob.find("]", i)
            if j < 0:
                out.append(re.escape(c))
            else:
                out.append(glob[i : j + 1])
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    prefix = "" if anchored or "/" in glob else "(?:.*/)?"
    # A pattern naming a directory also covers everything below it.
    return f"{prefix}{body}(?:/.*)?"


class PathMatcher:
    """True when a relative '/'-separated path matches any of the globs."""

    def __init__(self, globs: Iterable[str]) -> None:
        self.globs = tuple(g for g in globs if g)
        self._regex = re.compile("|".join(f"(?:{_glob_to_regex(g)})" for g in self.globs)) if self.globs else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def matches(self, rel_path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(rel_path) is not None
