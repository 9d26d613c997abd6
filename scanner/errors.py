"""One exception family and the exit codes it maps to, so only the CLI decides how a run ends."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2
    INTERRUPTED = 130


class ScanError(Exception):
    """An error the user can act on; the message says what to do."""

    exit_code: ExitCode = ExitCode.ERROR


class ConfigError(ScanError):
    """A rule file or config file is invalid: the message names the file (and rule or line)."""


class UsageError(ScanError):
    """The command line asks for something impossible or unsafe."""


class SourceError(ScanError):
    """A scan source (path, repository) cannot be read at all."""


def report_internal_error(exc: BaseException, echo: Callable[[str], None] | None = None) -> None:
    """A bug: exit 2, never 1 (which means findings). A traceback can quote scanned bytes (a decode
    error's message, a local in a frame): masked, and shown only on request.

    `echo` writes one message to stderr (the command line passes click's; the lean hook has no click)."""
    import os
    import traceback

    from scanner.redact import error_message, mask_keys, printable_lines

    say = echo or _stderr_line
    say(
        f"mindee-scan: internal error: {type(exc).__name__}: {error_message(exc)}\n"
        "This is a bug in mindee-scan; the scan did not complete. "
        "Set MINDEE_SCAN_TRACEBACK=1 to see where it happened."
    )
    if os.environ.get("MINDEE_SCAN_TRACEBACK"):
        # Where it happened, from our own code's frames; the message goes through error_message, where
        # a newline of its own is escaped rather than starting a line
        frames = mask_keys("".join(traceback.format_tb(exc.__traceback__))).splitlines()
        say(
            printable_lines(
                ["Traceback (most recent call last):", *frames, f"{type(exc).__name__}: {error_message(exc)}"]
            )
        )


def _stderr_line(message: str) -> None:
    import contextlib
    import sys

    with contextlib.suppress(BrokenPipeError, OSError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
