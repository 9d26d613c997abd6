"""`mindee-scan baseline create|update [SCAN COMMAND...]`: record known findings, later drop stale ones.

The scan itself is any scan command (`dir PATH`, `git REPO`, with its own options): its command line is
parsed by that command and scanned in-process through the same functions, and the baseline takes from
the findings what their JSON report holds (rule, secret hash, paths), so every source gets baselines for free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

_SCAN_COMMANDS = ("dir", "git", "staged")
_SCAN_HELP = "SCAN is a scan command and its arguments (default: `dir .`), e.g. `git .` or `dir src --exclude '*.md'`."


@click.group("baseline")
def baseline_group() -> None:
    """Create or update a baseline of known findings (keyed by rule + secret hash, never a line)."""


@baseline_group.command("create", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    show_default=False,
    help="Baseline file to write (default: .mindee-scan-baseline.json).",
)
@click.argument("scan", nargs=-1, type=click.UNPROCESSED)
def create_command(output: str | None, scan: tuple[str, ...]) -> int:
    """Scan, then write every finding as a baseline entry.

    SCAN is a scan command and its arguments (default: `dir .`), e.g. `git .`. `-o FILE` may come before
    or after it.
    """
    from scanner.app.baseline import baseline_path, create_baseline
    from scanner.cli.common import require

    scan, late = _take_output(scan)
    require(not (output and late and output != late), "give the baseline file once (-o FILE)")
    path = baseline_path(output or late)
    args = _scan_args(scan)
    doc = _run_scan(args)
    baseline = create_baseline(path, args, doc)
    click.echo(
        f"baseline {path}: {len(baseline.entries)} entr{'y' if len(baseline.entries) == 1 else 'ies'} "
        f"from {len(doc.get('findings', []))} finding(s) of `mindee-scan {' '.join(args)}`"
    )
    return 0


@baseline_group.command("update", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "-b",
    "--baseline",
    "baseline_path",
    default=None,
    metavar="FILE",
    help="Baseline file to update (default: .mindee-scan-baseline.json).",
)
@click.option("--add-new", is_flag=True, help="Also add findings that are not in the baseline yet.")
@click.argument("scan", nargs=-1, type=click.UNPROCESSED)
def update_command(baseline_path: str | None, add_new: bool, scan: tuple[str, ...]) -> int:
    """Scan again, drop entries that no longer occur (reported as stale), keep the rest.

    SCAN defaults to the scan command recorded in the baseline, else `dir .`.
    """
    from scanner.app.baseline import baseline_path as default_path
    from scanner.app.baseline import read_baseline, update_baseline

    path = default_path(baseline_path)
    baseline = read_baseline(path)
    args = _scan_args(scan or tuple(baseline.scan))
    doc = _run_scan(args)
    update = update_baseline(path, baseline, args, doc, add_new)
    entries, stale, new = update.baseline.entries, update.stale, update.new

    lines = [
        f"baseline {path}: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} kept, "
        f"{len(stale)} stale removed, {len(new)} new finding(s) " + ("added" if add_new else "not added")
    ]
    for e in stale:
        where = f" (last seen in {', '.join(e.paths[:3])})" if e.paths else ""
        lines.append(f"stale: {e.fingerprint}{where}: no longer found; removed")
    if new and not add_new:
        lines.append("new findings are not baselined: fix them, or rerun with --add-new to accept them")
    for e in new:
        lines.append(f"new: {e.fingerprint} in {', '.join(e.paths[:3])}")
    from scanner.redact import printable_lines

    click.echo(printable_lines(lines))  # paths come from the scanned code
    return 0


def _take_output(scan: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """`baseline create git . -o x.json` means the baseline file, as before the scan command: a scan's own
    report is never written by `baseline create`, so `-o`/`--output` after SCAN is taken out of it."""
    args = list(scan)
    output: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-o", "--output") and i + 1 < len(args):
            output = args[i + 1]
            del args[i : i + 2]
        elif arg.startswith("--output="):
            output = arg.split("=", 1)[1]
            del args[i]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            output = arg[2:]
            del args[i]
        else:
            i += 1
    return tuple(args), output


def _scan_args(scan: tuple[str, ...]) -> tuple[str, ...]:
    from scanner.cli.common import require

    args = tuple(scan) or ("dir", ".")
    require(args[0] in _SCAN_COMMANDS, f"`{args[0]}` is not a scan command; {_SCAN_HELP}")
    return args


def _run_scan(args: tuple[str, ...]) -> dict[str, Any]:
    """Run the scan command in-process: its command line is parsed by its own click command (not invoked),
    scanned and post-processed as that command would, and its findings read as its JSON report has them."""
    from scanner.cli.common import OutputOptions, exit_status, revoke_to_stderr, settle
    from scanner.cli.dir_cmd import scan_dir
    from scanner.cli.git_cmd import scan_git, scan_staged_files
    from scanner.cli.main import cli
    from scanner.errors import ExitCode, ScanError
    from scanner.model import ScanResult

    scans: dict[str, Callable[..., tuple[ScanResult, OutputOptions]]] = {
        "dir": scan_dir,
        "git": scan_git,
        "staged": scan_staged_files,
    }
    # The group's own settings (help option names among them): click caches a command's help option on
    # first use, so a context built without them left `dir --help` without `-h` for the rest of the process.
    group = click.Context(cli, info_name="mindee-scan", **cli.context_settings)
    command = cli.get_command(group, args[0])
    assert command is not None
    with command.make_context(args[0], [*args[1:], "--format", "json", "--quiet"], parent=group) as ctx:
        result, opts = scans[args[0]](**ctx.params)
        result = settle(result, opts)
    revoke_to_stderr(result)  # as the scan's own JSON run printed it
    if exit_status(result, opts) == ExitCode.ERROR:
        raise ScanError(f"`mindee-scan {' '.join(args)}` could not scan; baseline not written")
    doc = {"findings": [f.to_dict() for f in result.findings]}
    for err in result.stats.errors:
        from scanner.redact import printable

        click.echo(printable(f"error: {err}"), err=True)
    return doc
