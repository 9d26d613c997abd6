"""Files and folders as a scan source: walk, filter and read, recording everything skipped and why."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scanner.model import ScanStats
from scanner.pathmatch import PathMatcher


@dataclass(frozen=True, slots=True)
class FileItem:
    path: str  # absolute (or as given) path to open
    rel: str  # relative to the scan root, '/' separators: what reports show
    size: int


def _rel(root: str, path: str, root_is_file: bool) -> str:
    if root_is_file:
        return os.path.basename(path)
    rel = os.path.relpath(path, root)
    return rel.replace(os.sep, "/")


def walk(
    roots: list[str],
    stats: ScanStats,
    exclude: PathMatcher,
    max_size: int,
    follow_symlinks: bool = False,
) -> Iterator[FileItem]:
    """Yield scannable regular files under each root; `.git` folders, special files and links are skipped."""
    for root in roots:
        try:
            st = os.stat(root) if follow_symlinks else os.lstat(root)
        except OSError as exc:
            stats.errors.append(f"{root}: cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                st = os.stat(root)  # a root named on the command line is followed, like find -H
            except OSError as exc:
                stats.errors.append(f"{root}: broken symbolic link: {exc.strerror or exc}")
                continue
        if stat.S_ISREG(st.st_mode):
            yield from _file(root, os.path.basename(root), st, stats, max_size)
            continue
        if not stat.S_ISDIR(st.st_mode):
            stats.skip(root, "special file: not a regular file")
            continue
        yield from _walk_dir(root, stats, exclude, max_size, follow_symlinks, multi=len(roots) > 1)


def _file(path: str, rel: str, st: os.stat_result, stats: ScanStats, max_size: int) -> Iterator[FileItem]:
    if st.st_size > max_size:
        stats.skip(rel, f"too large: {st.st_size} bytes > {max_size}")
        return
    yield FileItem(path, rel, st.st_size)


def _walk_dir(
    root: str, stats: ScanStats, exclude: PathMatcher, max_size: int, follow_symlinks: bool, multi: bool
) -> Iterator[FileItem]:
    prefix = Path(root).name + "/" if multi else ""
    stack = [root]
    seen_dirs: set[tuple[int, int]] = set()
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            stats.skip(prefix + _rel(root, directory, False), f"unreadable directory: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            rel = prefix + _rel(root, entry.path, False)
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    stats.skip(rel, "symlink: not followed (use --follow-symlinks)")
                    continue
                st = entry.stat(follow_symlinks=follow_symlinks)
            except OSError as exc:
                stats.skip(rel, f"unreadable: {exc.strerror or exc}")
                continue
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                if entry.name == ".git":
                    continue
                if exclude and exclude.matches(rel):
                    stats.skip(rel + "/", "excluded")
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    stats.skip(rel, "symlink loop")
                    continue
                seen_dirs.add(key)
                subdirs.append(entry.path)
            elif stat.S_ISREG(mode):
                if exclude and exclude.matches(rel):
                    stats.skip(rel, "excluded")
                    continue
                if entry.name == ".git":  # worktree/submodule pointer file
                    continue
                yield from _file(entry.path, rel, st, stats, max_size)
            else:
                stats.skip(rel, "special file: not a regular file")
        stack.extend(reversed(subdirs))


def read_file(item: FileItem, max_size: int) -> bytes:
    """Read at most `max_size + 1` bytes: a file that grew past the cap is caught, never loaded whole.

    O_NONBLOCK keeps a FIFO swapped in after the walk from hanging the scan.
    """
    fd = os.open(item.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file any more")
        chunks = []
        remaining = max_size + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
