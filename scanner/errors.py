"""One exception family and the exit codes it maps to, so only the CLI decides how a run ends."""

from __future__ import annotations

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
