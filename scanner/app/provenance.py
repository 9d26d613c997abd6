"""Where each finding of a history scan lives: the tree-diff walk (`git log --raw`) that names the commit
and path where a blob entered history, run beside the scan and held while nothing needs it, then every
(commit, path, line) of one secret folded into one finding with the refs that reach it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from scanner.app.objectscan import ShareResult
from scanner.model import Finding, Occurrence, ScanStats, Secret
from scanner.pathmatch import PathMatcher
from scanner.record import record, replace
from scanner.sources.git.gitio import Git
from scanner.sources.git.log import HistoryLog, Introduction
from scanner.sources.git.objects import MESSAGE_PATH, TAG_MESSAGE_PATH, CommitMeta, GitObject, blobs_at, tree_blobs
from scanner.sources.git.reachability import reaching_refs, refs_containing

if TYPE_CHECKING:  # history.py drives this module
    from scanner.app.request import GitScanOptions

_MAX_REF_LOOKUPS = 200
# With nothing found, the tree-diff pass runs only to name the paths of unread blobs, and only where cheap.
_PATH_LOOKUP_MAX_COMMITS = 50_000


class LogStarter:
    """The provenance walk (`git log --raw`) over the scanned commits, started once something needs it
    (a blob with a finding, or one that will need a path), then run while the rest is scanned: on a
    repository with findings it is mostly done when the scan is; on a clean one it never runs.

    It does not start with the listing: a walk held through the scan kept its pack windows (100 MB
    and more on git/git) beside the listing's and then the scan's `cat-file` processes."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self.revs: list[str] = []
        self.exclude: list[str] = []
        self.commits = 0  # in the listing
        self.log: HistoryLog | None = None
        self.wanted = False

    def paths_affordable(self) -> bool:
        """With nothing found, the walk runs only to name the paths of unread blobs, where it is cheap."""
        return self.commits <= _PATH_LOOKUP_MAX_COMMITS

    def start(self) -> None:
        """Something needs provenance: run the walk (called again on every poll once it is wanted)."""
        if self.wanted:
            return
        self.wanted = True
        self._open()

    def running(self) -> bool:
        """Is git walking (started and not yet exited)?"""
        return self.log is not None and self.log.running()

    def _open(self) -> None:
        if self.revs:
            self.log = HistoryLog(self.git, self.revs, self.exclude)

    def cancel(self) -> None:
        if self.log is not None:
            self.log.cancel()
            self.log = None


@record
class _Place:
    commit: str | None
    path: str
    finding: Finding
    author: str | None = None
    date: str | None = None
    refs: tuple[str, ...] = ()  # refs known to hold it without a walk (an annotated tag's own ref)
    note: str = ""  # said on the finding (how an object outside every ref's history is still reached)


def provenance(
    git: Git,
    options: GitScanOptions,
    log: LogStarter,
    refs: dict[str, str],
    part: ShareResult,
    unread: list[tuple[GitObject, str]],
    stats: ScanStats,
    known: Iterable[str] | None,
) -> list[Finding]:
    """Fold every (commit, path, line) of the same secret into one finding, oldest place first.

    The tree-diff pass that finds where blobs entered history (`LogStarter`) is resumed, or started,
    here if the scan did not already; it also names the paths of blobs that were not read (too large,
    LFS pointers).
    """
    head = refs.get("HEAD")
    head_blobs: set[str] = set()
    if head:
        head_blobs, links = blobs_at(git, head)
        for path, sha in links:
            stats.skip(path, f"submodule (pinned at {sha[:12]}): not followed, scan it separately")
    places: dict[tuple[str, Secret], list[_Place]] = {}
    order: list[tuple[str, Secret]] = []

    def add(place: _Place) -> None:
        key = (place.finding.rule.id, place.finding.secret)
        if key not in places:
            places[key] = []
            order.append(key)
        places[key].append(place)

    at_head: set[tuple[str, Secret]] = set()
    paths: dict[str, str] = {o.sha: o.path for o, _ in unread if o.path}
    graph: dict[str, str] = {}
    if part.blob_hits or (unread and log.paths_affordable()):
        log.start()  # when the scan ran here, not in workers, nothing started it yet
    else:
        log.cancel()
    if log.log is not None:
        wanted = set(part.blob_hits) | {o.sha for o, _ in unread}
        intros, metas, absent = log.log.introductions(wanted, known, graph)
        for sha, path in absent.items():
            # The whole-history listing reads the object store; the history names these and it lacks them.
            stats.skip(f"{path} ({sha[:12]})", "missing object")
        introduced: set[str] = set()
        for intro in intros:
            paths.setdefault(intro.blob, intro.path)
            if intro.blob not in part.blob_hits:
                continue
            introduced.add(intro.blob)
            meta = metas.get(intro.commit)
            for f in part.blob_hits[intro.blob]:
                add(_Place(intro.commit, intro.path, f, meta.author if meta else None, meta.date if meta else None))
        limited = bool(log.exclude) or options.branch is not None or bool(options.revs)
        for sha, found in part.blob_hits.items():
            if sha in head_blobs:
                at_head.update((f.rule.id, f.secret) for f in found)
        outside = [sha for sha in part.blob_hits if sha not in introduced and not limited]
        if outside:
            # In the object store but in no commit's history from the refs: say what still reaches it
            # (a ref naming the blob or a tree holding it, a reflog entry), or that nothing does.
            for spot in _locate_outside(git, refs, outside, stats):
                for f in part.blob_hits[spot.blob]:
                    add(_Place(spot.commit, spot.path, f, spot.author, spot.date, spot.refs, spot.note))
    for obj, reason in unread:
        where = paths.get(obj.sha)
        stats.skip(f"{where} ({obj.sha[:12]})" if where else f"blob {obj.sha}", reason)
    for commit, (found, meta) in part.message_hits.items():
        for f in found:
            add(_Place(commit, MESSAGE_PATH, f, meta.author, meta.date))
    for _sha, (found, tag) in part.tag_hits.items():
        # Placed at the commit it tags (a tag of a tree or another tag has none); reached by its own ref.
        tagged = tag.target if tag.target_type == "commit" else None
        own = (f"refs/tags/{tag.name}",) if tag.name and f"refs/tags/{tag.name}" in refs else ()
        for f in found:
            add(_Place(tagged, TAG_MESSAGE_PATH, f, tag.tagger, tag.date, own))

    skip_paths = PathMatcher(options.config.allow_paths + options.config.exclude)
    kept_places: list[tuple[tuple[str, Secret], list[_Place]]] = []
    for key in order:
        kept = [p for p in places[key] if p.path in _MESSAGES or not skip_paths.matches(p.path)]
        if kept:
            kept_places.append((key, kept))
    targets = [p.commit for _, kept in kept_places for p in kept if p.commit]
    reach_of = _reaching(git, graph, refs, targets)
    out: list[Finding] = []
    for key, kept in kept_places:
        first = kept[0]
        occurrences = tuple(
            dict.fromkeys(
                Occurrence(path=p.path, line=p.finding.where.line, commit=p.commit, column=p.finding.where.column)
                for p in kept
            )
        )
        reach: set[str] = {r for p in kept for r in p.refs}
        for commit in dict.fromkeys(p.commit for p in kept if p.commit):
            reach.update(reach_of.get(commit, ()))
        notes = [n for n in dict.fromkeys([first.finding.rule.note, *(p.note for p in kept if p is first)]) if n]
        out.append(
            first.finding.with_changes(
                rule=replace(first.finding.rule, note="; ".join(notes)),
                where=replace(first.finding.where, path=first.path),
                history=replace(
                    first.finding.history,
                    commit=first.commit,
                    author=first.author,
                    date=first.date,
                    occurrences=occurrences,
                    present_at_head=key in at_head,
                    refs=tuple(sorted(reach)),
                ),
            )
        )
    return out


@record(frozen=True)
class _Outside:
    """Where a blob outside every ref's commit history is found: by a ref, in a reflog, or nowhere."""

    blob: str
    path: str
    commit: str | None = None
    refs: tuple[str, ...] = ()
    note: str = ""
    author: str | None = None
    date: str | None = None


_REVOKE_FIRST = (
    "revoke the key first: pruning the object (`git gc --prune`) only destroys the evidence in this clone, "
    "while every other clone, fork and pull-request ref keeps it"
)


def _locate_outside(git: Git, refs: dict[str, str], blobs: list[str], stats: ScanStats) -> list[_Outside]:
    """Name what reaches each blob no commit of the refs' histories holds (a tag or other ref pointing at the
    blob itself or at a tree holding it; a reflog entry), else call it unreachable, and advise revocation
    before anything that deletes it. Runs only for blobs with findings, so its few git calls are rare."""
    out: list[_Outside] = []
    todo = set(blobs)
    by_ref = {name: sha for name, sha in refs.items() if name != "HEAD"}
    for name, sha in sorted(by_ref.items()):
        if sha in todo:
            out.append(_Outside(sha, f"blob {sha}", refs=(name,), note=f"the ref {name} points at this blob itself"))
            todo.discard(sha)
    if todo:
        for name, tree in _tree_refs(git, by_ref):
            for path, sha in tree_blobs(git, tree):
                if sha in todo:
                    out.append(_Outside(sha, path, refs=(name,), note=f"in the tree the ref {name} points at"))
                    todo.discard(sha)
    if todo:
        intros, metas = _reflog_introductions(git, refs, todo)
        reflog_note = f"reachable only from a reflog entry (an amended, reset or deleted branch); {_REVOKE_FIRST}"
        for intro in intros:
            if intro.blob in todo:
                meta = metas.get(intro.commit)
                author, date = (meta.author, meta.date) if meta else (None, None)
                out.append(_Outside(intro.blob, intro.path, intro.commit, (), reflog_note, author, date))
                todo.discard(intro.blob)
    for sha in blobs:
        if sha in todo:
            out.append(_Outside(sha, f"blob {sha}", note="unreachable: no ref or reflog reaches it; " + _REVOKE_FIRST))
    unreachable = len(todo)
    in_reflog = sum(1 for o in out if o.commit and not o.refs)
    if unreachable or in_reflog:
        stats.notes.append(
            f"{unreachable + in_reflog} blob(s) with findings are in no ref's history ({in_reflog} only in "
            f"reflogs, {unreachable} unreachable from any ref or reflog); {_REVOKE_FIRST}"
        )
    return out


def _tree_refs(git: Git, refs: dict[str, str]) -> list[tuple[str, str]]:
    """(ref, tree) for refs that point at a tree (peeled), not a commit: one batch query of every ref's type."""
    shas = sorted(set(refs.values()))
    query = "".join(f"{sha}\n" for sha in shas).encode()
    answer = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)", input=query, check=False)
    trees = {
        line.split(" ")[0] for line in answer.stdout.decode("ascii", "replace").splitlines() if line.endswith(" tree")
    }
    return [(name, sha) for name, sha in sorted(refs.items()) if sha in trees]


def _reflog_introductions(
    git: Git, refs: dict[str, str], blobs: set[str]
) -> tuple[list[Introduction], dict[str, CommitMeta]]:
    """Where `blobs` entered the history of commits only reflogs still name (amended, reset, deleted)."""
    proc = git.run("rev-list", "--reflog", "--no-walk=unsorted", check=False)
    commits = sorted(set(proc.stdout.decode("ascii", "replace").split()))
    if proc.returncode != 0 or not commits:
        return [], {}
    walk = HistoryLog(git, commits, sorted(set(refs.values())))
    intros, metas, _absent = walk.introductions(blobs)
    return intros, metas


_MESSAGES = (MESSAGE_PATH, TAG_MESSAGE_PATH)  # not files: path allowlists and excludes do not apply


def _reaching(git: Git, graph: dict[str, str], refs: dict[str, str], targets: list[str]) -> dict[str, set[str]]:
    """target commit -> refs reaching it: from the commit graph the provenance pass already read, or,
    without one, by asking git a bounded number of times."""
    if not targets:
        return {}
    commits = list(dict.fromkeys(targets))
    if graph and all(c in graph for c in commits):
        return reaching_refs(graph, {k: v for k, v in refs.items() if k != "HEAD"}, commits)
    # Commit messages without a provenance pass, or a limited scan: ask git, a bounded number of times.
    return {c: set(refs_containing(git, c)) for c in commits[:_MAX_REF_LOOKUPS]}
