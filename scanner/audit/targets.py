"""Turn what the user typed (paths, folders of repositories, list files, clone URLs) into audit targets.

Resolution never fails as a whole: a missing path or a folder without repositories becomes a target
carrying its error, so it is reported next to the others and never stops the audit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from scanner.audit.gitops import resolve_git_dir, without_credentials
from scanner.record import record

if TYPE_CHECKING:
    from scanner.audit.orgs import CloneAuth, OrgQuery

# scheme://... or scp-like user@host:path (what `git clone` accepts as remote).
_URL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|[\w.-]+@[\w.-]+:)")


@record(frozen=True)
class Target:
    """One repository to audit: `key` is its identity in the store (real path or URL)."""

    key: str
    location: str  # the work tree or bare repository for local repositories, the URL for clones
    kind: str  # "path" or "url"
    error: str | None = None
    auth: CloneAuth | None = None  # repositories listed by a forge's API: where the clone finds its token

    @property
    def name(self) -> str:
        tail = self.key.rstrip("/").rsplit("/", 1)[-1]
        return tail.removesuffix(".git") or self.key


def is_url(text: str) -> bool:
    return bool(_URL_RE.match(text)) and not os.path.exists(text)


def resolve(items: Iterable[str], base: str | None = None) -> list[Target]:
    """Targets in the order given, each repository once."""
    seen: set[str] = set()
    out: list[Target] = []
    for target in _expand(items, base, depth=0):
        if target.key not in seen:
            seen.add(target.key)
            out.append(target)
    return out


def from_forges(query: OrgQuery, targets: list[Target]) -> list[Target]:
    """`targets` plus every repository the forges list (each once); a listing failure stops the audit
    before any scan, as a bad config does: an audit that silently missed an organisation is not clean."""
    from scanner.audit.orgs import org_targets

    seen = {t.key for t in targets}
    out = list(targets)
    for url, auth in org_targets(query):
        if url not in seen:
            seen.add(url)
            out.append(Target(key=url, location=url, kind="url", auth=auth))
    return out


def _expand(items: Iterable[str], base: str | None, depth: int) -> Iterable[Target]:
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if is_url(item):
            # The key is printed and stored: never the `user:token@` part (only `location` clones with it).
            yield Target(key=without_credentials(item), location=item, kind="url")
            continue
        path = os.path.join(base, item) if base and not os.path.isabs(item) else item
        real = os.path.realpath(path)
        if os.path.isdir(real):
            yield from _from_dir(real)
        elif os.path.isfile(real) and depth == 0:
            yield from _expand(_read_list(real), os.path.dirname(real), depth + 1)
        elif os.path.isfile(real):
            yield Target(key=real, location=real, kind="path", error=f"{path}: list files cannot include lists")
        else:
            yield Target(key=real, location=real, kind="path", error=f"{path}: no such file or directory")


def _from_dir(path: str) -> Iterable[Target]:
    if resolve_git_dir(path) is not None:
        yield Target(key=path, location=path, kind="path")
        return
    found = False
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if resolve_git_dir(entry.path) is not None:
            found = True
            real = os.path.realpath(entry.path)
            yield Target(key=real, location=real, kind="path")
    if not found:
        yield Target(
            key=path, location=path, kind="path", error=f"{path}: neither a git repository nor a folder of repositories"
        )


def _read_list(path: str) -> list[str]:
    """A list file: one path or clone URL a line; blank lines and `#` comments ignored."""
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]
