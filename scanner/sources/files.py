"""Files and folders as a scan source: walk, filter and read, recording everything skipped and why."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from operator import attrgetter
from typing import NamedTuple

from scanner.model import ScanStats
from scanner.pathmatch import PathMatcher


class FileItem(NamedTuple):
    """A file the walk found. A tuple: a tree scan makes tens of thousands, and hands them to workers
    as plain tuples (a record cost 1.2 us to build and 3 us to pickle and back; a tuple a tenth)."""

    path: str  # absolute (or as given) path to open
    rel: str  # relative to the scan root, '/' separators: what reports show
    size: int  # -1 when the walk did not stat the file (the reader checks the size cap on the open file)


def walk(
    roots: list[str],
    stats: ScanStats,
    exclude: PathMatcher,
    max_size: int,
    follow_symlinks: bool = False,
) -> Iterator[FileItem]:
    """Yield scannable regular files under each root; `.git` folders, special files and links are skipped.

    Inside folders no file is stat'ed: the directory entry's type is free, and the size cap is
    enforced by `read_file` on the open file (one fstat instead of a stat per file during the walk).
    """
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
            rel = os.path.basename(root)
            if st.st_size > max_size:
                stats.skip(rel, too_large(st.st_size, max_size))
                continue
            yield FileItem(root, rel, st.st_size)
            continue
        if not stat.S_ISDIR(st.st_mode):
            stats.skip(root, "special file: not a regular file")
            continue
        prefix = _last_name(root) + "/" if len(roots) > 1 else ""
        yield from _walk_dir(root, prefix, stats, exclude, follow_symlinks)


def _last_name(root: str) -> str:
    """`pathlib.Path(root).name` (`.` parts dropped, `..` kept) without importing pathlib, which (with the
    urllib.parse and ipaddress it brings) was 6 ms of every scan's start-up."""
    parts = [part for part in root.split(os.sep) if part and part != "."]
    return parts[-1] if parts else ""


def too_large(size: int, max_size: int) -> str:
    return f"too large: {size} bytes > {max_size}"


def _walk_dir(
    root: str, prefix: str, stats: ScanStats, exclude: PathMatcher, follow_symlinks: bool
) -> Iterator[FileItem]:
    """Depth-first in name order; relative paths are built by concatenation (relpath costs more than the scan)."""
    stack: list[tuple[str, str]] = [(root, prefix)]
    # Without --follow-symlinks no symlinked folder is entered, so only a followed link can loop.
    seen_dirs: set[tuple[int, int]] = set()
    if follow_symlinks:
        st = os.stat(root)
        seen_dirs.add((st.st_dev, st.st_ino))
    excluding = bool(exclude)
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=_BY_NAME)
        except OSError as exc:
            stats.skip(rel_dir.rstrip("/") or ".", f"unreadable directory: {exc.strerror or exc}")
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            rel = rel_dir + name
            try:
                if entry.is_symlink():
                    if not follow_symlinks:
                        stats.skip(rel, "symlink: not followed (use --follow-symlinks)")
                        continue
                    st = entry.stat()
                    is_dir, is_file = stat.S_ISDIR(st.st_mode), stat.S_ISREG(st.st_mode)
                else:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = not is_dir and entry.is_file(follow_symlinks=False)
            except OSError as exc:
                stats.skip(rel, f"unreadable: {exc.strerror or exc}")
                continue
            if is_dir:
                if name == ".git":
                    continue
                if excluding and exclude.matches(rel):
                    stats.skip(rel + "/", "excluded")
                    continue
                if follow_symlinks:
                    try:
                        dst = entry.stat()
                    except OSError as exc:
                        stats.skip(rel, f"unreadable: {exc.strerror or exc}")
                        continue
                    key = (dst.st_dev, dst.st_ino)
                    if key in seen_dirs:
                        stats.skip(rel, "symlink loop")
                        continue
                    seen_dirs.add(key)
                subdirs.append((entry.path, rel + "/"))
            elif is_file:
                if name == ".git":  # worktree/submodule pointer file
                    continue
                if excluding and exclude.matches(rel):
                    stats.skip(rel, "excluded")
                    continue
                yield FileItem(entry.path, rel, -1)
            else:
                stats.skip(rel, "special file: not a regular file")
        stack.extend(reversed(subdirs))


_BY_NAME = attrgetter("name")


class TooLarge(Exception):
    """The open file is over the size cap (it may have grown since the walk)."""


class StreamIt(Exception):
    """Under the cap but too big to load whole (the user raised --max-file-size): read it with `read_chunks`."""


# Files above this are read in pieces and scanned in bounded windows (FindingBuilder.scan_stream), so
# memory stays constant whatever the file's size: a whole-file scan holds ~45 bytes per byte of a file
# full of keys (a 63 MB one took 2.9 GB).
STREAM_THRESHOLD = 2 * 1024 * 1024
STREAM_CHUNK = 1024 * 1024


def read_chunks(item: FileItem, max_size: int, chunk: int | None = None) -> Iterator[bytes]:
    """The file's bytes in pieces of `chunk` bytes; TooLarge if it grows past `max_size` while read."""
    chunk = chunk or STREAM_CHUNK
    fd = os.open(item.path, os.O_RDONLY | _O_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file any more")
        total = 0
        while data := os.read(fd, chunk):
            total += len(data)
            if total > max_size:
                raise TooLarge(f"too large: grew past {max_size} bytes during the scan")
            yield data
    finally:
        os.close(fd)


def read_file(item: FileItem, max_size: int) -> bytes:
    """Read a whole file, or raise TooLarge past `max_size` (see `read_path`)."""
    return read_path(item.path, item.size, max_size)


def read_path(path: str, size: int, max_size: int) -> bytes:
    """Read a whole file of `size` bytes (-1: unknown), or raise TooLarge past `max_size` (never loading
    more than `max_size + 1` bytes).

    Most source files fit the first read, so the common case is three system calls: open, one short
    read (a short read of a regular file is its end), close. The walk saw a regular file through the
    directory entry; O_NONBLOCK keeps a FIFO swapped in since then from hanging the scan.
    """
    fd = os.open(path, os.O_RDONLY | _O_FLAGS)
    try:
        want = min(size + 1 if size >= 0 else _FIRST_READ, max_size + 1, STREAM_THRESHOLD + 1)
        data = os.read(fd, want)
        if len(data) < want:
            return data
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file any more")
        if st.st_size > max_size:
            raise TooLarge(too_large(st.st_size, max_size))
        if st.st_size > STREAM_THRESHOLD:
            raise StreamIt()
        chunks = [data]
        total = len(data)
        while total <= max_size:
            chunk = os.read(fd, min(max_size + 1 - total, max(st.st_size + 1 - total, 1 << 16)))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_size:
            raise TooLarge(f"too large: grew past {max_size} bytes during the scan")
        return b"".join(chunks)
    finally:
        os.close(fd)


_FIRST_READ = 1 << 16
_O_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
