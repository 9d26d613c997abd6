"""The one way a report (or any file holding findings) reaches disk: mode 0600, errors as ScanError."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator

from scanner.errors import ScanError


def batched(pieces: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """Pieces joined into blocks of about `size` characters: one write per block, not per finding."""
    block: list[str] = []
    held = 0
    for piece in pieces:
        block.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(block)
            block, held = [], 0
    if held:
        yield "".join(block)


def write_private(path: str, text: str | Iterable[str]) -> None:
    """Reports can hold provenance of secrets: write them 0600, and fail clearly (exit 2) if we cannot.

    `text` may come in pieces (a report as it is rendered, see report.render_chunks), written as they come."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # An existing report is made private too; `--output /dev/null` (or a FIFO) is left alone:
            # chmod 0600 on /dev/null as root breaks the machine for every other user.
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, 0o600)
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(batched(text))
    except OSError as exc:
        raise ScanError(f"cannot write {path}: {exc.strerror or exc}") from None


def quiet_broken_pipe() -> None:
    """After `| head` closes the pipe, silence the interpreter's flush of stdout at exit."""
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
