"""Options shared by every scan command, and the one path from a ScanResult to output and exit code.

source -> detection -> findings -> (suppression) -> (verification) -> report: the CLI only wires it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.errors import UsageError
from scanner.model import ScanResult
from scanner.record import record, replace
from scanner.report import FORMATS

if TYPE_CHECKING:
    from scanner.config import Config

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_CHOICES = list(FORMATS)


@record(frozen=True)
class OutputOptions:
    """Everything after detection: what to suppress, what to verify, how and where to write."""

    fmt: str = "text"
    output: str | None = None
    show_secrets: bool = False
    color: bool | None = None
    verbose: bool = False
    quiet: bool = False
    verify: bool = False
    mindee_v2_url: str | None = None
    mindee_v1_url: str | None = None
    baseline: str | None = None
    ignore_file: str | None = None
    config: Config | None = None  # the scan's config: what the scanned repository's files may read (trust)
    remediation_file: str | None = None
    hook: str | None = None
    exit_code: int = 1  # the exit code for findings (`--exit-code N`, `--exit-zero` makes it 0)
    fail_on: str = "any"  # "live": only verified live (or unverifiable) Mindee keys fail the run
    redact: int | None = None  # percentage of each key hidden in output; None: prefix and tail shown


def output_options(f: F) -> F:
    """Decorate a scan command with the options every scan shares."""
    decorators = [
        click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(FORMAT_CHOICES),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE (mode 0600)."),
        click.option("--show-secrets", is_flag=True, help="Print keys in full (they are redacted by default)."),
        click.option("--color/--no-color", "color", default=None, help="Colour text output (default: on a TTY)."),
        click.option("-v", "--verbose", is_flag=True, help="List every skipped file and why."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing when nothing is found."),
        click.option(
            "--verify",
            is_flag=True,
            help="Ask Mindee whether each found key is live (sends the key to Mindee).",
        ),
        click.option(
            "--mindee-v2-url", envvar="MINDEE_SCAN_V2_URL", help="Mindee v2 API base URL (for proxies/tests)."
        ),
        click.option(
            "--mindee-v1-url", envvar="MINDEE_SCAN_V1_URL", help="Mindee v1 API base URL (for proxies/tests)."
        ),
        click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not in this baseline."),
        click.option(
            "--ignore-file",
            type=click.Path(dir_okay=False),
            help="Fingerprints to ignore (default: .mindee-scan-ignore at the scan root).",
        ),
        click.option(
            "--remediation-file",
            type=click.Path(dir_okay=False),
            help="Write a `git filter-repo --replace-text` file for the keys found.",
        ),
        click.option(
            "--exit-code",
            "exit_code",
            type=click.IntRange(0, 125),
            default=None,
            metavar="N",
            help="Exit with N when there are findings (default 1; 2 stays reserved for errors).",
        ),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (errors still exit 2)."),
        click.option(
            "--fail-on",
            type=click.Choice(["any", "live"]),
            default="any",
            show_default=True,
            help="`live`: fail only on Mindee keys --verify found live (or could not check); needs --verify.",
        ),
        click.option(
            "--redact",
            type=click.IntRange(0, 100),
            default=None,
            metavar="PCT",
            help="Hide PCT%% of each key (100: nothing of it shown). Default: its prefix and last 3 characters.",
        ),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def make_output_options(kwargs: dict[str, Any], hook: str | None = None) -> OutputOptions:
    """Pop the shared options out of a command's kwargs into one frozen object."""
    exit_code, exit_zero = kwargs.pop("exit_code"), kwargs.pop("exit_zero")
    require(exit_code != 2, "--exit-code 2 would read as an error: pick another code")
    require(not (exit_zero and exit_code not in (None, 0)), "use either --exit-zero or --exit-code N, not both")
    fail_on = kwargs.pop("fail_on")
    verify = kwargs["verify"]
    require(
        fail_on != "live" or verify,
        "--fail-on live needs --verify: only Mindee can say a key is live, and keys are sent only when you ask",
    )
    return OutputOptions(
        fmt=kwargs.pop("fmt"),
        output=kwargs.pop("output"),
        show_secrets=kwargs.pop("show_secrets"),
        color=kwargs.pop("color"),
        verbose=kwargs.pop("verbose"),
        quiet=kwargs.pop("quiet"),
        verify=kwargs.pop("verify"),
        mindee_v2_url=kwargs.pop("mindee_v2_url"),
        mindee_v1_url=kwargs.pop("mindee_v1_url"),
        baseline=kwargs.pop("baseline"),
        ignore_file=kwargs.pop("ignore_file"),
        remediation_file=kwargs.pop("remediation_file"),
        hook=hook,
        exit_code=0 if exit_zero else (1 if exit_code is None else exit_code),
        fail_on=fail_on,
        redact=kwargs.pop("redact"),
    )


def with_config_defaults(opts: OutputOptions, config: Config) -> OutputOptions:
    """`baseline:` and `ignore_file:` in .mindee-scan.yaml apply when the command line does not say otherwise."""
    baseline, ignore_file = config.suppression_files()
    if opts.baseline is None and baseline:
        opts = replace(opts, baseline=baseline)
    if opts.ignore_file is None and ignore_file:
        opts = replace(opts, ignore_file=ignore_file)
    return replace(opts, config=config)


def with_excludes(config: Config, globs: tuple[str, ...]) -> Config:
    """`--exclude GLOB` adds to the config's `exclude:` list (it never replaces it)."""
    return replace(config, exclude=config.exclude + tuple(globs)) if globs else config


def settle(result: ScanResult, opts: OutputOptions) -> ScanResult:
    """Everything after detection but the report: post-process (app.postprocess), write the remediation
    file, hand the result to a CI wrapper."""
    from scanner.app.postprocess import PostOptions, postprocess

    post = PostOptions(
        config=opts.config,
        baseline=opts.baseline,
        ignore_file=opts.ignore_file,
        verify=opts.verify,
        v2_url=opts.mindee_v2_url,
        v1_url=opts.mindee_v1_url,
        redact=opts.redact,
    )
    result = postprocess(result, post)
    if opts.remediation_file and result.findings:
        from scanner.report.replace_text import write_replace_text

        click.echo(write_replace_text(result, opts.remediation_file), err=True)
    sink = click.get_current_context(silent=True)
    if sink is not None and hasattr(sink.obj, "finished"):
        sink.obj.finished(result, opts)  # a CI wrapper (scanner/ci/) reports from this very result
    return result


def revoke_to_stderr(result: ScanResult) -> None:
    """A live key must reach a human even when the report goes to a file or a pipe: the REVOKE block."""
    from scanner.report.remediation import revoke_lines

    block = revoke_lines(result)
    if block:
        from scanner.redact import printable_lines

        click.echo(printable_lines(block).strip("\n"), err=True)


def finish(result: ScanResult, opts: OutputOptions, root: str | None = None) -> int:
    """Suppress, verify, render and write; return the exit code (never 0 if nothing could be scanned).

    `root` is not used: which repository's own files may suppress is the config's to say (scanner.trust)."""
    result = settle(result, opts)
    from scanner.report import RenderOptions, render_chunks

    color = opts.color if opts.color is not None else (opts.output is None and opts.fmt == "text" and _stdout_tty())
    # Written as it is rendered: a report of tens of thousands of findings is never held whole (issue 13).
    text = render_chunks(
        result,
        opts.fmt,
        RenderOptions(
            show_secrets=opts.show_secrets,
            color=bool(color),
            verbose=opts.verbose,
            quiet=opts.quiet,
            hook=opts.hook,
        ),
    )
    if opts.output:
        from scanner.report.writer import write_private

        write_private(opts.output, text)
        if opts.fmt != "text" and not opts.quiet:
            # The report went to a file: CI logs still get one line saying what it holds.
            from scanner.report.text import summary_line

            mindee = sum(1 for f in result.findings if f.rule.is_mindee)
            click.echo(
                f"{len(result.findings)} finding(s), {mindee} Mindee key(s); {opts.fmt} report written to "
                f"{opts.output}; {summary_line(result)}",
                err=True,
            )
    else:
        from scanner.report.writer import batched

        try:
            for piece in batched(text):
                click.echo(piece, nl=False)
        except BrokenPipeError:
            # `| head` closed the pipe: stop writing quietly, but keep the exit code honest.
            from scanner.report.writer import quiet_broken_pipe

            quiet_broken_pipe()
    if opts.fmt == "csv" and not opts.output and result.stats.findings_over_cap:
        # CSV rows have no place for the scan's notes: what the memory cap left out goes to stderr.
        from scanner.report.text import summary_line

        click.echo(summary_line(result), err=True)
    if opts.output or opts.fmt != "text":
        revoke_to_stderr(result)
    return exit_status(result, opts)


def exit_status(result: ScanResult, opts: OutputOptions) -> int:
    """2 when nothing could be scanned; else the findings code when a finding counts, else 0."""
    from scanner.errors import ExitCode

    if result.failed:
        return int(ExitCode.ERROR)
    if opts.fail_on == "live":
        # Only Mindee can say a key is dead: a key it could not check counts as live, never as clean.
        failing = any(f.may_verify and f.decisions.verification.verdict != "revoked" for f in result.findings)
    else:
        failing = bool(result.findings)
    return opts.exit_code if failing else int(ExitCode.CLEAN)


def _stdout_tty() -> bool:
    try:
        return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    except (AttributeError, ValueError):
        return False


def config_option(f: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Your config file; it replaces the scanned repository's own .mindee-scan.yaml and ignore files "
        "(default: those, at the scan root).",
    )(f)


def repo_config_option(f: F) -> F:
    """`--ignore-repo-config`: the same on every command that scans a repository (see scanner.trust)."""
    return click.option(
        "--ignore-repo-config",
        is_flag=True,
        help="Read none of the scanned repository's own files (.mindee-scan.yaml, .mindee-scan-ignore): "
        "for untrusted code. --config FILE implies it.",
    )(f)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)


def jobs_option(f: F) -> F:
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(0, 64),
        default=0,
        show_default=True,
        help="Worker processes (0: automatic, 1: serial).",
    )(f)
