"""The trust model in one place: what the scanned repository's own files may do, and reading them safely.

A scan has two kinds of configuration. The *team's* (command-line options, `--config FILE`, and the files
those name) is trusted: it is chosen by whoever runs the scan. The *repository's* (`.mindee-scan.yaml`
and `.mindee-scan-ignore` at the scan root, and the `baseline:` / `ignore_file:` that config names) is
written by whoever wrote the code under scan, which in CI may be a stranger's pull request. Its files may
only narrow what the scan reports about that repository, every narrowing is shown in every report
(`repository_config` in the stats, a note per effect: `suppress.apply.annotate`), and it can never widen
what the tool does: no symlink following, no verifier on its own rules, no file read outside the
repository.

`read_repo_file` is the one way to read a file on a repository's say-so: a regular file (never a FIFO,
device or /proc entry, never waited on), inside the repository once symlinks are resolved, size-capped,
and every error names the file (and line) but never quotes its bytes, which could be the CI runner's
environment behind a symlink.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from scanner.errors import ConfigError

if TYPE_CHECKING:
    from scanner.config import Config

# Generous for a config or an ignore file, bounded for a hostile one (`baseline: /dev/zero` ate 2.6 GB).
REPO_FILE_MAX = 16 * 1024 * 1024


def inside(path: str, root: str) -> bool:
    """True when `path`, symlinks resolved, is `root` or below it (root resolved too)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def read_repo_file(path: str, root: str, what: str, max_bytes: int = REPO_FILE_MAX) -> str:
    """The UTF-8 text of `path`, read on the say-so of the repository at `root`.

    Refused (ConfigError, exit 2) unless, symlinks resolved, it is a regular file inside `root` of at
    most `max_bytes`. It is opened non-blocking, so a FIFO never holds the scan. Errors name the file
    and the line of a decoding problem, never the file's content.
    """
    if not inside(path, root):
        raise ConfigError(
            f"{path}: the {what} is outside the scanned repository; a repository's files cannot make us read it"
        )
    real = os.path.realpath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or type(exc).__name__}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: the {what} is not a regular file; it is not read")
        if st.st_size > max_bytes:
            raise ConfigError(f"{path}: the {what} is larger than {max_bytes} bytes; it is not read")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            try:
                chunk = os.read(fd, min(1024 * 1024, max_bytes + 1 - size))
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or type(exc).__name__}") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # it grew while we read it
            raise ConfigError(f"{path}: the {what} is larger than {max_bytes} bytes; it is not read")
    finally:
        os.close(fd)
    return decode_text(b"".join(chunks), path, what)


def read_trusted_file(path: str, what: str) -> str:
    """A file the user named (`--config`, `--baseline`, and what the team config names): any kind of
    file may be meant (`<(...)` is a FIFO), but errors still never quote its content."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or type(exc).__name__}") from None
    return decode_text(data, path, what)


def decode_text(data: bytes, path: str, what: str) -> str:
    """Strict UTF-8; the error gives the line of the first bad byte, not the byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: the {what} is not UTF-8 text") from None


# --- what a repository's config may do ----------------------------------------------------------------


def restrict_repository_config(config: Config, root: str) -> Config:
    """The scanned repository's `.mindee-scan.yaml`, less what a repository may never do.

    It may narrow its own report (visibly: see `annotate`), never widen what the tool does: symlink
    following stays off (a link could pull in the runner's files), and its own rules get no verifier
    (`--verify` would send whatever they match, CI secrets included, to Mindee).
    """
    from scanner.record import replace

    refused: list[str] = []
    follow = config.follow_symlinks
    if follow:
        refused.append("follow_symlinks: true (a repository cannot turn on symlink following; use --follow-symlinks)")
        follow = False
    rules = []
    for rule in config.extra_rules:
        if rule.verifier is not None:
            refused.append(
                f"verifier {rule.verifier} on its rule {rule.id} (what a repository's rule matches is never sent "
                "to Mindee)"
            )
            rule = replace(rule, verifier=None)
        rules.append(rule)
    return replace(
        config,
        origin="repository",
        repo_root=root,
        follow_symlinks=follow,
        extra_rules=tuple(rules),
        refused=tuple(refused),
    )
