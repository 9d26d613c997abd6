"""The `mindee-scan` command group. Commands are imported only when run, so `--help` and hooks stay light."""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Any

import click

from scanner import __version__

# name -> "module:attribute"; each command module imports what it needs inside its body.
COMMANDS: dict[str, str] = {
    "dir": "scanner.cli.dir_cmd:dir_command",
    "git": "scanner.cli.git_cmd:git_command",
    "staged": "scanner.cli.git_cmd:staged_command",
    "pre-push": "scanner.cli.git_cmd:pre_push_command",
    "install-hook": "scanner.cli.git_cmd:install_hook_command",
    "verify": "scanner.cli.verify_cmd:verify_command",
    "baseline": "scanner.cli.baseline_cmd:baseline_group",
    "audit": "scanner.cli.audit_cmd:audit_command",
    "findings": "scanner.cli.audit_cmd:findings_group",
    "rules": "scanner.cli.rules_cmd:rules_command",
    "version": "scanner.cli.misc_cmd:version_command",
    "completion": "scanner.cli.misc_cmd:completion_command",
}

_SHORT_HELP: dict[str, str] = {
    "dir": "Scan files and folders.",
    "git": "Scan the whole history of a git repository.",
    "staged": "Scan what is staged for the next commit (pre-commit hook).",
    "pre-push": "Scan the commits about to be pushed (pre-push hook).",
    "install-hook": "Install mindee-scan as a git hook without the pre-commit framework.",
    "verify": "Check whether one Mindee key (from stdin or an env var) is live.",
    "baseline": "Create or update a baseline of known findings.",
    "audit": "Audit many repositories into a findings store.",
    "findings": "List, show and triage findings in an audit store.",
    "rules": "List the detection rules.",
    "version": "Print the versions of mindee-scan, Python and git.",
    "completion": "Print the shell completion script (bash, zsh, fish).",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if _available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(name: str) -> bool:
    import importlib.util

    module_name = COMMANDS[name].split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mindee-scan")
def cli() -> None:
    """Find leaked Mindee API keys in files, git history and commits; verify and revoke them.

    Exit codes: 0 nothing found, 1 findings, 2 usage/config/runtime error, 130 interrupted.
    """


def main(argv: list[str] | None = None, obj: Any = None) -> int:
    """Console entry point: one place turns errors, Ctrl-C and broken pipes into exit codes.

    `obj` becomes click's context object: the CI wrappers (scanner/ci/) pass a sink that `finish` fills
    with what it rendered, so they can annotate and summarise the very result the report shows.
    """
    from scanner.errors import ExitCode, ScanError

    try:
        result: Any = cli.main(args=argv, prog_name="mindee-scan", standalone_mode=False, obj=obj)
    except ScanError as exc:
        from scanner.redact import error_message

        _safe_echo(f"mindee-scan: error: {error_message(exc)}")
        return int(exc.exit_code)
    except click.exceptions.Abort:
        _safe_echo("mindee-scan: interrupted")
        return int(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        _safe_echo("mindee-scan: interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        from scanner.report.writer import quiet_broken_pipe

        quiet_broken_pipe()
        return int(ExitCode.CLEAN)
    except Exception as exc:  # a bug: exit 2, never 1 (which means findings), and no raw traceback
        from scanner.errors import report_internal_error

        report_internal_error(exc, _safe_echo)
        return int(ExitCode.ERROR)
    if isinstance(result, int):
        return result
    return int(ExitCode.CLEAN)


def _safe_echo(message: str) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        click.echo(message, err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
